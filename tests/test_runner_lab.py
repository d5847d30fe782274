"""The lab: `make lab ARGS=…` reaches JupyterLab, saving a notebook leaves no jupytext version
lines, and no notebook starts with an empty-looking cell."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_passes_args_to_jupyterlab():
    res = subprocess.run(
        # --no-print-directory: run from `make test`, a sub-make prints «Entering directory»
        [
            "make",
            "--no-print-directory",
            "-n",
            "-W",
            "pyproject.toml",
            "lab",
            "ARGS=--no-browser --port 8900",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        res.stdout.strip().splitlines()[-1].endswith("-m evalkit.lab --no-browser --port 8900")
    ), res.stdout


def test_lab_hands_its_options_to_jupyterlab(monkeypatch, tmp_path):
    from evalkit import lab

    calls = []
    monkeypatch.setattr(lab, "ensure_kernel", lambda: None)
    monkeypatch.setattr(lab, "write_overrides", lambda: None)
    monkeypatch.setattr(lab.os, "chdir", lambda folder: None)
    monkeypatch.setattr(lab.os, "execv", lambda exe, args: calls.append(args))
    monkeypatch.setattr(sys, "argv", ["evalkit.lab", "--no-browser", "--port", "8900"])
    lab.main()
    (args,) = calls
    assert args[1:3] == ["-m", "jupyterlab"]
    assert args[3] == f"--ServerApp.root_dir={ROOT}"
    assert args[4:7] == ["--no-browser", "--port", "8900"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_starts_with_an_empty_looking_cell(path):
    import jupytext

    first = jupytext.read(path).cells[0]
    text = re.sub(r"<!--.*?-->", "", first.source, flags=re.S).strip()
    assert text, f"{path.name}: the first cell shows nothing"
    if first.cell_type == "code":  # comments only: shown as code in JupyterLab
        assert all(line.startswith("#") for line in text.splitlines())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saving_a_notebook_leaves_no_version_metadata(path, tmp_path, monkeypatch):
    """JupyterLab saves through jupytext with the project's configuration (pyproject.toml):
    the .py written back is the committed file, byte for byte, with no version lines.

    jupytext's command line is run in this process (its ``main``, as the ``jupytext`` script
    runs it): a process of its own would spend 1,8 s importing nbformat again."""
    from jupytext.cli import jupytext

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks").mkdir()
    copy = tmp_path / "notebooks" / path.name
    shutil.copy(path, copy)
    monkeypatch.chdir(tmp_path)
    for args in (
        ["--to", "ipynb", str(copy)],
        ["--to", "py:percent", str(copy.with_suffix(".ipynb"))],
    ):
        assert jupytext(["--quiet", *args]) == 0
    saved = copy.read_text(encoding="utf-8")
    assert not re.search(r"^#\s+(jupytext_version|format_version):", saved, re.M)
    assert saved == path.read_text(encoding="utf-8")
