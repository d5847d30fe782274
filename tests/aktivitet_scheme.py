"""«aktivitet»: a small scheme of the user's own (YAML only, fields of its own, no
intermunicipal field, no sub-goals, no notebook), and its exports, written for the tests that
need a scheme outside evalkit/schemes (tests/test_new_scheme.py, tests/test_hostile_scheme_text.py,
tests/test_round_rule.py).

Each test module keeps its own YAML text and rows (their expected counts are worked out by
hand from them); what is written, and how, is here once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

NAME = "aktivitet"
#: The header of the layout ``v1`` of the schemes: the exports' first line.
HEADER = "Saksnummer;Fylke;Kommunenummer;Tiltak;Beløp;Målgruppe;Frivillige med"


def write_exports(
    data_dir: Path, rows: Mapping[int, Sequence[str]], *, header: str = HEADER
) -> Path:
    """Write ``data_dir/aktivitet/<year>.csv`` for each year of ``rows`` (``;``-separated
    lines after ``header``, by default the layout ``v1``'s :data:`HEADER`); return the
    scheme's data folder."""
    folder = data_dir / NAME
    folder.mkdir(parents=True, exist_ok=True)
    for year, lines in rows.items():
        (folder / f"{year}.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return folder


def write_scheme(path: Path, scheme: str | Mapping[str, Any]) -> Path:
    """Write the scheme YAML ``scheme`` (its text, or a mapping dumped as YAML) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(scheme, str):
        scheme = yaml.safe_dump(dict(scheme), allow_unicode=True, sort_keys=False)
    path.write_text(scheme, encoding="utf-8")
    return path


def write_project(
    folder: Path,
    scheme: str | Mapping[str, Any],
    rows: Mapping[int, Sequence[str]],
    *,
    scheme_path: Path | None = None,
    header: str = HEADER,
) -> Path:
    """A project folder: the scheme YAML (at ``scheme_path``, by default
    ``folder/schemes/aktivitet.yaml``, where a project keeps its own schemes) and the exports
    in ``folder/data`` (:func:`write_exports`); return the YAML's path."""
    path = write_scheme(scheme_path or folder / "schemes" / f"{NAME}.yaml", scheme)
    write_exports(folder / "data", rows, header=header)
    return path
