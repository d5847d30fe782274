"""Shared fixtures: small hand-written exports in the reference layouts; and how the suite is
split among pytest-xdist's workers (``make test`` runs ``pytest -n auto --dist loadgroup``).

Under xdist every worker is a pytest session of its own, and tests go to whichever worker is
free, one at a time. :func:`pytest_collection_modifyitems` keeps together, on one worker, the
tests of a module that share a module-, class- or package-scoped fixture (a document built once
for the module's read-only tests), so the fixture is made once, not once per worker; and it
hands out the tests marked ``slow`` first, so the long ones do not start last while the other
workers have run dry. A session-scoped fixture is made once per worker: keep it cheap, or
build into ``tmp_path_factory.getbasetemp().parent`` (shared by the workers of one run) under a
lock. Run serially with ``-n 0`` (or ``-p no:xdist``), e.g. to use ``--pdb``.

Each test process keeps what it has imported out of Python's cyclic garbage collection
(:func:`_freeze_new_imports`), so that a collection walks the test's own objects only.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from evalkit import parse
from evalkit.config import load_scheme
from evalkit.paths import write_atomic

ROOT = Path(__file__).resolve().parent.parent
#: A message missing in a language is an error in the tests, a logged fallback to bokmål at run
#: time (:mod:`evalkit.i18n`); the notebooks' kernels inherit it.
os.environ.setdefault("EVALKIT_STRICT_CATALOGS", "1")
#: evalkit's cache folder (the checked schemes' facts, evalkit/scheme_summary.py): one of the
#: test run's own, removed after it, not the user's ~/.cache/evalkit; the kernels inherit it.
if "EVALKIT_CACHE_DIR" not in os.environ:
    os.environ["EVALKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="evalkit-test-cache-")
    atexit.register(shutil.rmtree, os.environ["EVALKIT_CACHE_DIR"], ignore_errors=True)
FRISKLIV = load_scheme("frisklivs_lms")


def frisklivs_header() -> list[str]:
    return list(FRISKLIV.layouts["questback-2022"].headers)


def frisklivs_row(**values: object) -> dict[str, object]:
    """A complete, clean row of the questback-2022 layout; override cells by field name."""
    base = {
        "respondent_id": "1001",
        "county": "Troms og Finnmark",
        "municipality_codes": "5401",
        "municipality_names": "Tromsø",
        "project_name": "Frisklivssentral i Tromsø",
        "grant_nok": "150 000",
        "intermunicipal": "Nei",
        "target_group": "Begge",
        "target_group_other": "",
        "offer_type": "Diagnoseuavhengig tilbud",
        "collaboration": "Ja",
        "actor.frisklivssentralen": "Frisklivssentralen",
        "actor.andre_kommunale": "",
        "actor.frivillige": "x",
        "actor.spesialist": "",
        "actor.annet": "",
        "subgoal.fremme_helse": "1",
        "subgoal.forebygge": "1",
        "subgoal.mestring": "",
        "subgoal.samhandling": "",
        "subgoal.utvikle_fls": "",
        "subgoal.ressursutnyttelse": "",
        "subgoal.kompetanse": "",
        "subgoal.etablere_fls": "",
        "subgoal.etablere_lms": "",
        "goal_achievement": "Målene er nådd",
        "goal_reason_text": "",
    }
    base.update(values)
    header_of = {f: h for h, f in FRISKLIV.layouts["questback-2022"].headers.items()}
    row = {header_of[f]: v for f, v in base.items()}
    row |= {
        "Kontaktperson": "Kari Hemmelig",
        "E-post": "kari@hemmelig.invalid",
        "Telefon": "99999999",
    }
    return row


def write_export(
    path: Path, rows: list[dict], *, sep: str = ";", encoding: str = "utf-8-sig"
) -> Path:
    """Write rows as a CSV (or .xlsx/.parquet by suffix) the way Excel/Questback would."""
    frame = pd.DataFrame(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif path.suffix == ".parquet":
        frame.astype("string").to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


def per_row(values, parse_text, *args):
    """An array-level parser of :mod:`evalkit.parse` (``yesno_of``, ``checkbox_of``,
    ``category_of``, ``amount_of``, ``reasons_of``) run the way ``clean_export`` runs it: on
    the distinct normalised values of ``values`` (:func:`parse.distinct_text`), each result
    taken back to the rows with the codes. A list is read as an object column (cells as
    typed, Excel numbers among them)."""
    if not isinstance(values, pd.Series):
        values = pd.Series(list(values), dtype=object)
    codes, text = parse.distinct_text(values)

    def rows(result):
        if isinstance(result, pd.DataFrame):
            return result.take(codes).set_axis(values.index)
        if isinstance(result, pa.Array):
            return parse.string_series(result.take(codes), index=values.index)
        if isinstance(result, np.ndarray):
            return pd.Series(result[codes], index=values.index)
        return pd.Series(result.take(codes), index=values.index)

    out = parse_text(text, *args)
    return tuple(rows(r) for r in out) if isinstance(out, tuple) else rows(out)


def make_data(folder: Path, **years: str) -> Path:
    """Tiny exports for the runner's tests (the tiny notebook reads no columns):
    ``make_data(d, y2021="a")`` writes ``d/frisklivs_lms/2021.csv``; by default 2021 and 2022."""
    years = years or {"y2021": "id\n1\n", "y2022": "id\n2\n"}
    (folder / "frisklivs_lms").mkdir(parents=True, exist_ok=True)
    for name, text in years.items():
        (folder / "frisklivs_lms" / f"{name.lstrip('y')}.csv").write_text(text, encoding="utf-8")
    return folder


# --- pytest-xdist ---------------------------------------------------------------------------
#: Fixture scopes shared by the tests of one module (or of one of its classes, or package).
_SHARED_SCOPES = frozenset({"module", "class", "package"})
#: ``workerinput`` key: the file where a worker writes each grouped test's ``xdist_group``.
_GROUPS = "evalkit_xdist_groups"
#: The controller's folder for that file, one per run.
_GROUPS_KEY = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """``xdist_group`` is a known mark (``--strict-markers``) without xdist too (``-p
    no:xdist``)."""
    config.addinivalue_line("markers", "xdist_group(name): run the tests of a group on one worker")


#: The tests that read :func:`demo_outputs` (and those that load the spelling dictionaries,
#: tests/test_spelling.py) go to one xdist worker: the worker that builds the demo documents
#: reads them, while the other runs other tests rather than wait 40 s for the build.
DEMO_OUTPUTS_USERS = pytest.mark.xdist_group("demo-outputs")


def _shares_a_fixture(item: pytest.Item) -> bool:
    """Whether ``item`` uses (directly or through another fixture) a fixture made once for
    several tests of its module: module-, class- or package-scoped."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a Python test function (a doctest, say): nothing shared
        return False
    return any(defs[-1].scope in _SHARED_SCOPES for defs in info.name2fixturedefs.values() if defs)


def _group_of(item: pytest.Item) -> str | None:
    """The item's ``xdist_group`` name, joined as pytest-xdist joins several; None if none."""
    names = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) or None


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker only (a serial run keeps the collection order): the tests reading
    ``demo_outputs`` form one ``xdist_group`` (:data:`DEMO_OUTPUTS_USERS`), the others sharing
    a module-scoped fixture one per module, and ``slow`` tests come first.
    Every worker collects and orders the same way, as xdist requires."""
    if not hasattr(config, "workerinput"):
        return
    for item in items:
        if "demo_outputs" in getattr(item, "fixturenames", ()) and _group_of(item) is None:
            item.add_marker(DEMO_OUTPUTS_USERS)
        if _shares_a_fixture(item) and _group_of(item) is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable


# pytest-xdist 3.8 passes a test's group to the controller as a suffix of its node id, which
# pytest 9.2's structured node ids no longer take (pytest-dev/pytest-xdist#1386): every test
# then goes alone. Until xdist mends it, each worker writes the groups to a file the
# controller's scheduler reads.
@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller: tell each worker where to write the groups (one folder for the run)."""
    config = node.config
    if _GROUPS_KEY not in config.stash:
        config.stash[_GROUPS_KEY] = Path(tempfile.mkdtemp(prefix="evalkit-xdist-"))
    node.workerinput[_GROUPS] = str(config.stash[_GROUPS_KEY] / "groups.json")


@pytest.hookimpl(tryfirst=True)  # before the worker sends its collection to the controller
def pytest_collection_finish(session: pytest.Session) -> None:
    """Worker: write each grouped test's group, by the node id the controller will see."""
    path = getattr(session.config, "workerinput", {}).get(_GROUPS)
    if path:
        groups = {item.nodeid: _group_of(item) for item in session.items if _group_of(item)}
        write_atomic(path, json.dumps(groups))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Controller: ``--dist loadgroup`` that takes the groups from the workers' file."""
    if config.getvalue("dist") != "loadgroup" or _GROUPS_KEY not in config.stash:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileGroupScheduling(LoadGroupScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # called once the workers have collected
                file = config.stash[_GROUPS_KEY] / "groups.json"
                self.groups = json.loads(file.read_text("utf-8")) if file.exists() else {}
            return self.groups.get(nodeid) or super()._split_scope(nodeid)

    return FileGroupScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the folder of the groups' file."""
    if _GROUPS_KEY in config.stash:
        shutil.rmtree(config.stash[_GROUPS_KEY], ignore_errors=True)


# --- Python's cyclic garbage collector in a test process -------------------------------------
#: How many modules the process had imported when its objects were last frozen.
_FROZEN_WITH = {"modules": 0}


def _freeze_new_imports() -> None:
    """Once the process has imported modules since the last time: its garbage collected, and
    what is left (the modules, their caches, the session's fixtures) kept out of later
    collections (``gc.freeze``), as the warm kernels keep theirs
    (:func:`evalkit.kernel_side._freeze`). A full collection walks every object not frozen:
    with pandas, scipy, statsmodels, matplotlib and the like imported, 0,1 s each, and a worker
    that runs hundreds of tests starts many (measured on the unit tests: from a seventh to a
    fifth of a worker's CPU time, a third of that with the freezing). Objects frozen are freed
    as ever when nothing refers to them; only a cycle among them is no longer collected."""
    if len(sys.modules) > _FROZEN_WITH["modules"]:
        gc.collect()
        gc.freeze()
        _FROZEN_WITH["modules"] = len(sys.modules)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """No cyclic garbage collection while the tests are collected: importing the test modules
    (and with them pandas, scipy, matplotlib and the like) and rewriting their assertions makes
    objects by the million and little garbage, and each full collection walks them all (a
    third of each worker's collection: 7 s of processor time with it, 5 s without). What is
    left is frozen once, after the collection (:func:`_freeze_new_imports`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if enabled:
            gc.enable()
        _freeze_new_imports()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Before and after each test (its fixtures torn down): :func:`_freeze_new_imports`."""
    _freeze_new_imports()
    try:
        return (yield)
    finally:
        _freeze_new_imports()


@pytest.fixture(autouse=True)
def _bokmal_after_each_test():
    """evaluate(..., lang="nn") makes nynorsk the process's language: each test starts in
    bokmål again, whatever the test before it wrote."""
    from evalkit import i18n

    yield
    i18n.set_language(i18n.SOURCE_LANGUAGE)


@pytest.fixture
def scheme():
    return FRISKLIV


@pytest.fixture
def no_weasyprint(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """WeasyPrint that cannot start in the PDF worker process
    (:mod:`evalkit.runner.pdfworker`), as where Pango is missing: a ``weasyprint`` package
    first on the worker's ``PYTHONPATH`` whose import raises the ``OSError`` cffi raises for a
    library it cannot load, after ``EVALKIT_TEST_WEASYPRINT_DELAY`` seconds (default 0). The
    worker running before and the one started under it are stopped."""
    from evalkit.runner import pdfworker

    fake = tmp_path_factory.mktemp("no-weasyprint")
    (fake / "weasyprint").mkdir()
    (fake / "weasyprint" / "__init__.py").write_text(
        "import os, time\n"
        "time.sleep(float(os.environ.get('EVALKIT_TEST_WEASYPRINT_DELAY', '0')))\n"
        "raise OSError(\"cannot load library 'libpango-1.0-0': No such file or directory\")\n",
        encoding="utf-8",
    )
    pdfworker.shut_down()
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(fake), os.environ.get("PYTHONPATH")]))
    )
    yield monkeypatch
    pdfworker.shut_down()


# --- demo documents built once for the run ---------------------------------------------------
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="session")
def demo_cache_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder of cleaned years (:mod:`evalkit.cleaned_cache`) for the tests that evaluate the
    demo years, as the runner passes ``<out>/_cache/cleaned`` to every document of a build:
    each demo year is read and cleaned once per run, not again for every document that shows
    it or compares with it (tests/test_cleaned_cache.py checks that a cached year gives the
    same metrics, byte for byte). In the run's temporary folder (:func:`_run_folder`), shared
    by the xdist workers as the runner's kernels share theirs: an entry is written to a
    temporary file and renamed into place, so a worker reads a whole entry or none."""
    folder = _run_folder(request.config, tmp_path_factory) / "cleaned"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder, shared by the xdist workers of one run: under xdist each
    worker's basetemp is ``<run>/popen-gwN`` and the run's folder is its parent; a serial
    run's basetemp is the run's folder itself (its parent holds earlier runs)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def demo_outputs_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one outputs folder of the run's demo documents (:func:`demo_outputs`,
    :func:`demo_document`), in the run's temporary folder: new for every run."""
    return _run_folder(config, tmp_path_factory) / "demo-all-languages"


@contextlib.contextmanager
def _demo_turn(out: Path) -> Iterator[None]:
    """Hold ``<out>.lock`` (beside the outputs folder ``out``, outside it) for one fixture's
    whole use of the folder: the runner's lock (:func:`evalkit.runner.build.output_lock`) is
    taken and let go for each ``report_year`` and ``build``, and a worker asking for one
    document would otherwise slip in between :func:`demo_outputs`' steps and build in a kernel
    of its own a document that the build's warm kernels make for less. ``flock``'s: the system
    lets it go when the process ends, however it ends."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file lets the lock go


#: The bokmål demo documents that are always built each by ``report_year`` in a kernel started
#: for it (never by the warm kernels of :func:`demo_outputs`' build, which builds them first):
#: tests/test_runner_build.py compares them with the same documents built warm.
FRESH_DEMO_DOCUMENTS = (("samhandling", 2011), ("samhandling", 2012))


def _report_demo(out: Path, scheme: str, year: int | str) -> Any:
    """The ``BuildResult`` of one bokmål demo document in the outputs folder ``out``, built as
    ``evalkit report --no-pdf`` builds it (a kernel of its own, the default years compared),
    or ``cached`` there; the runner's lock on ``out`` (:func:`evalkit.runner.build.output_lock`)
    lets one process build it while another that wants it waits."""
    from evalkit.runner import report_trends, report_year

    if str(year) == "trends":
        res = report_trends(scheme, data_dir=DEMO, out_dir=out, pdf=False)
    else:
        res = report_year(scheme, int(year), data_dir=DEMO, out_dir=out, pdf=False)
    assert res.status in ("built", "cached"), res.message
    return res


@pytest.fixture(scope="session")
def demo_document(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``demo_document(scheme, year)`` (``year="trends"`` for the trends document): the
    ``BuildResult`` of the bokmål demo document in the run's one outputs folder of the demo
    (:func:`demo_outputs_folder`, shared with :func:`demo_outputs`); its folder is
    ``result.out_path``. Each document is built once for the whole run: several test modules
    read the same documents (samhandling 2012 is read by the document, disclosure, workbook and
    accessibility tests), and ``demo_outputs`` reads them all. Treat the outputs as read-only;
    a test that changes them copies them first.

    A document not yet in the folder is built by ``report_year`` (``report_trends``) as
    ``evalkit report --no-pdf`` builds it, in a kernel started for it, the default years
    compared; one already there is ``cached``: built before by this fixture, or by
    ``demo_outputs``' ``evalkit build --no-pdf``, whose bokmål documents are the same (same
    data, same years compared; tests/test_runner_build.py checks that a document built warm
    equals one built fresh). Those of :data:`FRESH_DEMO_DOCUMENTS` are always built by
    ``report_year``. Under xdist the workers share the folder: the runner's lock
    (:func:`evalkit.runner.build.output_lock`) lets one worker build while another that wants
    the folder waits, and then finds the document ``cached`` (in this run: the folder is new
    for every run); the fixtures' own lock (:func:`_demo_turn`) makes the wait last until a
    whole ``demo_outputs`` build in another worker is done. The status is therefore ``built``
    or ``cached``; the fixture asserts that it is one of them."""
    out = demo_outputs_folder(request.config, tmp_path_factory)
    made: dict[tuple[str, str], Any] = {}

    def get(scheme: str, year: int | str) -> Any:
        key = (scheme, str(year))
        if key not in made:
            with _demo_turn(out):
                made[key] = _report_demo(out, scheme, year)
        return made[key]

    return get


# --- issue 20: every demo document in every language, built once ------------------------------
# (tests/test_spelling.py, tests/test_language_is_right.py, tests/test_a11y.py and
# tests/test_numbers_from_metrics.py read it; its bokmål documents are those demo_document
# serves)


def demo_documents() -> list[tuple[str, int | str, str]]:
    """(scheme, year or ``"trends"``, language) of every document ``evalkit build`` makes of the
    demo data: each year with an export and the trends document of each demo scheme, in each
    language the scheme's YAML lists. Known at collection time (no build needed)."""
    from evalkit.paths import available_years
    from evalkit.runner import TRENDS_FOLDER

    out = []
    for folder in sorted(p for p in DEMO.iterdir() if p.is_dir()):
        langs = load_scheme(folder.name).languages
        for label in [*available_years(DEMO, folder.name), TRENDS_FOLDER]:
            out.extend((folder.name, label, lang) for lang in langs)
    return out


def demo_document_folder(out: Path, scheme: str, label: int | str, lang: str) -> Path:
    """The folder of one document under the outputs folder ``out`` (bokmål in
    ``<scheme>/<year>/``, the others in ``<scheme>/<lang>/<year>/``)."""
    from evalkit.paths import language_output_dir

    return language_output_dir(out, scheme, lang) / str(label)


@pytest.fixture(scope="session")
def demo_outputs(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """The outputs folder of ``evalkit build --no-pdf`` on the demo data: every document of
    :func:`demo_documents` and ``index.html``, built by the runner (papermill, the project
    kernel) once per run, in the folder :func:`demo_document` serves its documents from
    (:func:`demo_outputs_folder`). The documents of :data:`FRESH_DEMO_DOCUMENTS` are built
    first, as ``demo_document`` builds them (``report_year``, a kernel of their own); the build
    then finds them, and any other that ``demo_document`` built before, ``cached``, and builds
    the rest in its warm kernels. Under xdist the workers share the folder: the first builds,
    the runner's lock (:func:`evalkit.runner.build.output_lock`) and the fixtures' own
    (:func:`_demo_turn`, held for these steps together) make the others wait, and they then
    find every document cached (well under a second)."""
    from evalkit.runner import build

    out = demo_outputs_folder(request.config, tmp_path_factory)
    with _demo_turn(out):
        for scheme, year in FRESH_DEMO_DOCUMENTS:
            _report_demo(out, scheme, year)
        results = build(
            data_dir=DEMO, out_dir=out, jobs=min(2, os.cpu_count() or 1), pdf=False, progress=False
        )
    failed = [r for r in results if r.status not in ("built", "cached")]
    if failed:
        pytest.fail(
            "the demo build failed: "
            + "; ".join(f"{r.scheme} {r.year} {r.lang}: {r.message}" for r in failed),
            pytrace=False,
        )
    # the fresh ones were served, not built again in a warm kernel
    rebuilt = [
        (r.scheme, r.year)
        for r in results
        if r.lang == "nb" and (r.scheme, r.year) in FRESH_DEMO_DOCUMENTS and r.status != "cached"
    ]
    assert not rebuilt, f"the demo build rebuilt {rebuilt}, built just before by report_year"
    return out


#: The tests that read :func:`demo_pdfs` go to one xdist worker: it builds the documents while
#: the other worker runs other tests, rather than wait for them (10 s of frisklivs 2023 in
#: three languages with their PDFs, in one kernel and the PDF worker).
DEMO_PDFS_USERS = pytest.mark.xdist_group("demo-pdfs")


@pytest.fixture(scope="session")
def demo_pdfs(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """The outputs folder of ``evalkit build --scheme frisklivs_lms --years 2023`` on the demo
    data, with ``report.pdf``: the 2023 document in each language the scheme lists, built by
    the runner once per run (tests/test_language_is_right.py and tests/test_i18n.py read its
    PDFs). A folder of its own in the run's temporary folder (:func:`demo_outputs`' documents
    have no PDF), shared by the xdist workers as ``demo_outputs`` is: the first builds, the
    runner's lock makes the others wait, and they then find the documents cached. The
    documents are ``built`` or ``cached``; the fixture asserts it. Where WeasyPrint cannot run
    the documents have no PDF (the runner says so on stderr)."""
    from evalkit.runner import build

    out = _run_folder(request.config, tmp_path_factory) / "demo-pdf"
    results = build(
        ["frisklivs_lms"], [2023], data_dir=DEMO, out_dir=out, trends=False, progress=False
    )
    assert {r.status for r in results} <= {"built", "cached"}, [r.message for r in results]
    return out
