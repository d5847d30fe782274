"""A scheme YAML is data, and untrusted: `notebook:` names a file in notebooks/ and nothing
else, and a hostile file (a billion laughs, a huge list or string, 50 MB, 1 000 levels of
nesting, a named pipe) ends in one short error naming the file and the fix, quickly, without
stopping the other schemes. Every attack is made in the test."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.config import load_scheme_file
from evalkit.errors import EvalkitError

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "fixtures" / "notebooks" / "tiny.py"

#: A complete small scheme; the attacks are added to it or put in its place.
MINI = """\
scheme: {name}
title_nb: Et lite tilskudd
short_title_nb: Lite tilskudd
unit: project
id_field: project_id
first_year: 2020
layouts:
  v1:
    headers: {{Prosjekt-ID: project_id, Fylke: county, Beløp: amount}}
fields:
  project_id: {{type: id, required: true}}
  county: {{type: county, required: true}}
  amount: {{type: amount}}
"""
#: MINI has 13 lines: a line added after it is line 14.
MINI_LINES = 13


def scheme_text(name: str, extra: str = "") -> str:
    return MINI.format(name=name) + extra


def refused(path: Path) -> str:
    """The error of loading ``path`` (it must be refused with an EvalkitError)."""
    with pytest.raises(EvalkitError) as info:
        load_scheme_file(path)
    return str(info.value)


def test_mini_is_a_valid_scheme(tmp_path):
    """The base of the attacks loads: each refusal below is the attack's doing."""
    path = tmp_path / "mini.yaml"
    path.write_text(scheme_text("mini"), encoding="utf-8")
    assert load_scheme_file(path).name == "mini"
    assert len(MINI.format(name="mini").splitlines()) == MINI_LINES


# --- notebook: a file in notebooks/, never a path --------------------------------------------
@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder (notebooks/ and data/) with an export for 2022, a payload outside
    notebooks/ that would leave a marker file if it ever ran."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "schemes").mkdir()
    data = tmp_path / "data" / "mini"
    data.mkdir(parents=True)
    (data / "2022.csv").write_text("Prosjekt-ID;Fylke;Beløp\n1;Oslo;1000\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    marker = tmp_path / "PAYLOAD_RAN"
    (elsewhere / "payload.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "value",
    ["{payload}", "../elsewhere/payload.py", "../../elsewhere/payload.py", "sub/mine.py",
     "..\\elsewhere\\payload.py", "mine.txt", ".hidden.py", "mine.py\n"],
)  # fmt: skip
def test_notebook_must_be_a_file_name_in_notebooks(project, capsys, value):
    value = value.format(payload=project / "elsewhere" / "payload.py")
    path = project / "mini.yaml"
    path.write_text(scheme_text("mini", f"notebook: {json.dumps(value)}\n"), encoding="utf-8")
    message = refused(path)
    assert str(path) in message
    assert "notebook: " in message and "not the name of a notebook in notebooks/" in message
    assert "Put the notebook in the project's notebooks/ folder" in message
    # the command line: exit 2, one sentence, nothing run
    code = main(["report", "--scheme-file", str(path), "2022", "--data-dir", "data",
                 "--out", str(project / "out"), "--no-pdf"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "not the name of a notebook" in err
    assert not (project / "PAYLOAD_RAN").exists()


@pytest.mark.parametrize("value", ["mine.py", "mine_2.ipynb", "Mine-v1.2.py"])
def test_a_notebook_name_is_accepted(project, value):
    path = project / "mini.yaml"
    path.write_text(scheme_text("mini", f"notebook: {value}\n"), encoding="utf-8")
    assert load_scheme_file(path).notebook == value


def test_a_link_in_notebooks_that_leads_out_is_not_run(project, capsys):
    """`notebook: evil.py` is a name, but notebooks/evil.py links to a file elsewhere."""
    os.symlink(project / "elsewhere" / "payload.py", project / "notebooks" / "evil.py")
    path = project / "schemes" / "mini.yaml"
    path.write_text(scheme_text("mini", "notebook: evil.py\n"), encoding="utf-8")
    code = main(["report", "mini", "2022", "--data-dir", "data", "--out",
                 str(project / "out"), "--no-pdf"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "`notebook: evil.py` leads out of notebooks" in err
    assert "schemes/mini.yaml" in err  # the file the key is in
    assert "Traceback" not in err
    assert not (project / "PAYLOAD_RAN").exists()


def test_a_notebook_in_notebooks_is_the_one_planned(project):
    from evalkit.runner.plan import _default_notebook

    (project / "notebooks" / "mine.py").write_text("# a notebook\n", encoding="utf-8")
    (project / "schemes" / "mini.yaml").write_text(
        scheme_text("mini", "notebook: mine.py\n"), encoding="utf-8"
    )
    assert _default_notebook("mini") == project / "notebooks" / "mine.py"


# --- YAML bombs --------------------------------------------------------------------------------
def billion_laughs() -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 = 387 420 489
    strings once expanded, from under 1 KB."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_at_its_first_anchor(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text(scheme_text("bomb", billion_laughs()), encoding="utf-8")
    assert len(billion_laughs().encode()) < 1000
    started = time.process_time()
    message = refused(path)
    assert time.process_time() - started < 5  # generous: it is refused before any expansion
    assert message.startswith(f"{path}, line {MINI_LINES + 1}: anchors and aliases")
    assert "Write the value out in full" in message
    assert main(["metrics", "--scheme-file", str(path), "2022"]) == 2
    assert "anchors and aliases" in capsys.readouterr().err


def test_an_alias_alone_is_refused_too(tmp_path):
    path = tmp_path / "alias.yaml"
    extra = "source_nb: &s kilde\nbackground_nb: *s\n"
    path.write_text(scheme_text("alias", extra), encoding="utf-8")
    assert f"line {MINI_LINES + 1}: anchors and aliases" in refused(path)


LONG = "f" * 500_000


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # a string of 500 000 characters where `project` or `application` is wanted
        ("unit: project", "unit: " + LONG, "unit: Input should be 'project' or 'application'"),
        # a list of 9 000 numbers where a text is wanted
        ("first_year", "source_nb: [" + ", ".join(["1"] * 9_000) + "]\nfirst_year",
         "source_nb: Input should be a valid string"),
        # a name of 500 000 characters that names no field (a cross-check)
        ("first_year", "shares: [{field: " + LONG + ", kind: yesno, group: g, label_nb: L}]"
         "\nfirst_year", "shares[0].field: 'ffff"),
        # an unknown key of 500 000 characters (an explicit key: a plain one may have at most
        # 1 024): the key path quotes 80 of them
        ("first_year", "? " + LONG + "\n: 1\nfirst_year", "f" * 79 + "…: unknown key 'ffff"),
    ],
)  # fmt: skip
def test_a_long_value_costs_one_short_line(tmp_path, old, new, key):
    path = tmp_path / "long.yaml"
    path.write_text(scheme_text("long").replace(old, new, 1), encoding="utf-8")
    assert path.stat().st_size > 18_000
    message = refused(path)
    assert len(message) < 2_000, len(message)
    assert message.startswith(f"{path}: the scheme configuration has 1 problem(s):\n")
    assert message.splitlines()[1].startswith(f"  {key}")
    assert len(message.splitlines()[1]) <= 2 + 300


def test_a_million_element_list_is_refused_by_its_size(tmp_path):
    path = tmp_path / "million.yaml"
    path.write_text(scheme_text("million", "source_nb: [" + ",".join(["1"] * 10**6) + "]\n"))
    message = refused(path)
    assert len(message) < 2_000
    assert f"has {path.stat().st_size:,} bytes" in message
    assert "at most 1,048,576 bytes" in message


def test_thousands_of_problems_are_counted_and_twenty_shown(tmp_path):
    """15 000 vocabulary entries that are no mapping: 15 000 problems, 20 lines of them."""
    path = tmp_path / "many.yaml"
    path.write_text(scheme_text("many", "vocabularies:\n  v: [" + ", ".join(["[]"] * 15_000)
                                + "]\n"))  # fmt: skip
    message = refused(path)
    assert "has 15,000 problem(s):" in message
    lines = message.splitlines()
    assert lines[1].startswith("  vocabularies.v[0]: Input should be a valid dictionary")
    assert lines[20].startswith("  vocabularies.v[19]:")
    assert lines[21] == "  … and 14,980 more: correct these, and run again."
    assert len(lines) == 22


def test_wrong_names_by_the_thousand_are_checked_in_seconds(tmp_path):
    """3 000 headers naming no field, 3 000 fields: the suggestions (difflib) are made for the
    problems shown only, or this takes minutes."""
    headers = "".join(f"      h{i}: g{i}\n" for i in range(3_000))
    fields = "".join(f"  f{i}: {{type: text}}\n" for i in range(3_000))
    text = scheme_text("names").replace(
        "    headers: {Prosjekt-ID: project_id, Fylke: county, Beløp: amount}\n",
        "    headers:\n      Prosjekt-ID: project_id\n" + headers,
    )
    path = tmp_path / "names.yaml"
    path.write_text(text + fields, encoding="utf-8")
    started = time.process_time()
    message = refused(path)
    assert time.process_time() - started < 30  # generous: about 1 s here, minutes before
    assert "has 3,000 problem(s)" in message
    assert "layouts.v1.headers.h0: 'g0' is not a field" in message


def test_more_values_than_a_scheme_has_are_refused(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text(scheme_text("values", "source_nb: [" + ", ".join(["1"] * 25_000) + "]\n"))
    message = refused(path)
    assert f"line {MINI_LINES + 1}: the file holds more than 20,000 values" in message


def test_a_50_mb_file_is_refused_by_its_size_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:  # sparse: 50 MB on paper, a few bytes on disk
        f.write(scheme_text("huge").encode())
        f.truncate(50 * 2**20)
    started = time.process_time()
    message = refused(path)
    assert time.process_time() - started < 2
    assert message == (
        f"The scheme file {path} has {50 * 2**20:,} bytes; a scheme file is at most "
        "1,048,576 bytes (1 MiB; the bundled ones are under 16 KB), so it is not read. Check "
        "that it is a scheme YAML, and remove what does not belong in it."
    )


@pytest.mark.parametrize("levels", [1_000, 100])
def test_deep_nesting_is_an_error_not_a_recursion_error(tmp_path, levels):
    path = tmp_path / "deep.yaml"
    path.write_text(scheme_text("deep", "source_nb: " + "[" * levels + "]" * levels + "\n"))
    message = refused(path)  # a RecursionError would fail the test
    assert message == (
        f"{path}, line {MINI_LINES + 1}: mappings and lists are nested more than 30 levels deep "
        "(a scheme needs fewer than 10). Remove the extra nesting."
    )


def test_block_nesting_over_30_levels_is_refused_and_30_is_read(tmp_path):
    """Depth counts the top mapping: `source_nb:` over k nested lists is k + 1 levels."""
    path = tmp_path / "deep.yaml"
    block = "source_nb:\n" + "".join(" " * i + "-\n" for i in range(1, 30 + 1))
    path.write_text(scheme_text("deep", block), encoding="utf-8")
    assert (
        f"line {MINI_LINES + 1 + 30}: mappings and lists are nested more than 30 levels deep"
        in refused(path)
    )
    path.write_text(scheme_text("deep", "source_nb: " + "[" * 29 + "]" * 29 + "\n"))
    assert "source_nb: Input should be a valid string" in refused(path)  # read, then checked


def test_a_number_too_long_to_read_names_its_line(tmp_path):
    path = tmp_path / "digits.yaml"
    path.write_text(scheme_text("digits").replace("first_year: 2020", "first_year: " + "9" * 5000))
    message = refused(path)
    assert message.startswith(f"{path}, line 6: the number 9999999999999999999… has 5,000 digits")


def test_a_long_tag_is_quoted_short(tmp_path):
    path = tmp_path / "tag.yaml"
    path.write_text(scheme_text("tag", "source_nb: !" + "x" * 100_000 + " y\n"))
    message = refused(path)
    assert "is not valid YAML: could not determine a constructor for the tag" in message
    assert f"at line {MINI_LINES + 1}" in message
    assert len(message) < 400


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    extra = "source_nb: Helsedirektoratet, café\n"
    path.write_bytes(scheme_text("latin1").encode("utf-8") + extra.encode("latin-1"))
    assert refused(path) == (
        f"{path}, line {MINI_LINES + 1}: the byte 0xe9 is not UTF-8 text. Save the file as UTF-8."
    )


@pytest.mark.parametrize("kind", ["folder", "device"])
def test_only_a_regular_file_is_read(tmp_path, kind):
    if kind == "folder":
        path = tmp_path / "folder.yaml"
        path.mkdir()
        assert "is a folder, not a regular file" in refused(path)
    else:
        assert "/dev/zero is a device, not a regular file" in refused(Path("/dev/zero"))


# --- schemes/ holding hostile files: one short line each, the rest is built -------------------
_IN_PROJECT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from evalkit.config import load_scheme
    from evalkit.errors import EvalkitError
    from evalkit.runner.index import scheme_errors, write_index

    errors = scheme_errors()
    for name in sorted(errors):
        print(name, "::", errors[name].replace("\\n", " | "))
    print("good loads:", load_scheme("good").name)
    write_index(Path(sys.argv[1]))
    try:
        load_scheme("fifo")
    except EvalkitError as err:
        print("fifo:", err)
    """
)


@pytest.fixture
def hostile_project(tmp_path) -> Path:
    """schemes/ with a good scheme and a named pipe, a billion laughs, a 50 MB file and a file
    with 10 000 problems beside it."""
    schemes = tmp_path / "schemes"
    schemes.mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").mkdir()
    (schemes / "good.yaml").write_text(scheme_text("good"), encoding="utf-8")
    os.mkfifo(schemes / "fifo.yaml")
    (schemes / "bomb.yaml").write_text(scheme_text("bomb", billion_laughs()), encoding="utf-8")
    with (schemes / "huge.yaml").open("wb") as f:
        f.truncate(50 * 2**20)
    (schemes / "many.yaml").write_text(
        scheme_text("many", "vocabularies:\n  v: [" + ", ".join(["[]"] * 10_000) + "]\n")
    )
    return tmp_path


def test_hostile_files_in_schemes_cost_one_short_line_each(hostile_project):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = hostile_project / "out"
    run = subprocess.run(
        [sys.executable, "-c", _IN_PROJECT, str(out)],
        cwd=hostile_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip  (a FIFO that were opened would hang here until the timeout)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    by_name = {line.split(" :: ")[0]: line for line in lines if " :: " in line}
    assert set(by_name) == {"bomb", "fifo", "huge", "many"}
    assert "anchors and aliases" in by_name["bomb"]
    assert "is a named pipe (FIFO), not a regular file" in by_name["fifo"]
    assert "at most 1,048,576 bytes" in by_name["huge"]
    assert "10,000 problem(s)" in by_name["many"]
    assert all(len(line) < 2_000 for line in by_name.values())
    assert "good loads: good" in lines
    page = (out / "index.html").read_text(encoding="utf-8")
    shown = [html.unescape(p) for p in re.findall(r'<p class="failure[^"]*">(.*?)</p>', page)]
    assert len(shown) == 4
    said = "Konfigurasjonen kunne ikke leses, så ordningen ble ikke bygget: "
    assert all(p.startswith(said) and len(p) <= len(said) + 300 for p in shown), shown
    many = next(p for p in shown if "many.yaml" in p)
    assert "vocabularies.v[0]" in many and "(hele meldingen: evalkit build --scheme many)" in many
    assert len(page) < 20_000


@pytest.mark.slow
def test_a_build_goes_on_past_hostile_schemes(hostile_project):
    """`build` over every scheme: the four hostile ones fail as configurations, the good one
    is built (with the tiny test notebook)."""
    data = hostile_project / "data" / "good"
    data.mkdir()
    (data / "2022.csv").write_text("Prosjekt-ID;Fylke;Beløp\n1;Oslo;1000\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        from evalkit.runner import build
        for r in build(years=[2022], data_dir="data", out_dir="out", notebook={str(TINY)!r},
                       progress=False, pdf=False, trends=False):
            print(r.scheme, r.year, r.status, len(r.message or ""))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=hostile_project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    results = {line.split()[0]: line.split()[1:] for line in run.stdout.splitlines()}
    for name in ("bomb", "fifo", "huge", "many"):
        assert results[name][:2] == ["config", "failed"]
        assert int(results[name][2]) < 8_000  # the whole message, for the log
    assert results["good"][:2] == ["2022", "built"]
    assert (hostile_project / "out" / "good" / "2022" / "metrics.json").is_file()


def test_a_long_title_is_cut_in_the_index(tmp_path, monkeypatch):
    from evalkit.runner.index import write_index

    (tmp_path / "schemes").mkdir()
    text = scheme_text("longtitle").replace("short_title_nb: Lite tilskudd", "short_title_nb: "
                                            + "Lang tittel " * 10_000)  # fmt: skip
    (tmp_path / "schemes" / "longtitle.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "out" / "longtitle" / "2022").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    page = write_index(tmp_path / "out").read_text(encoding="utf-8")
    (heading,) = re.findall(r"<h2>(Lang tittel.*?)</h2>", page)
    assert len(heading) == 200 and heading.endswith("…")
