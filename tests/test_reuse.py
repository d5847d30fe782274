"""What a build keeps from one document to the next, so that it is not paid again (issue 19):
the HTML exporter of each worker thread, its templates compiled once for every thread, and a
warm kernel's imported modules kept out of the garbage collector's walks."""

from __future__ import annotations

import subprocess
import sys
import threading

import jinja2
import nbformat


def _notebook(heading: str):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    data = {"text/html": f"<h2>{heading}</h2><p>Tekst</p>", "text/plain": heading}
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {heading}"), cell]
    return nb


def test_one_html_exporter_per_thread_and_the_same_page(monkeypatch):
    """A thread exports document after document with one exporter (its templates compiled
    once), another thread gets its own, and the page is the one a new exporter makes."""
    from evalkit.document import html as export

    nb = _notebook("Første")
    first = export.export_html(nb, "Første")
    exporter = export._html_exporter()
    second = export.export_html(_notebook("Andre"), "Andre")
    assert export._html_exporter() is exporter
    assert "<title>Andre</title>" in second and "Første" not in second
    others = []
    thread = threading.Thread(target=lambda: others.append(export._html_exporter()))
    thread.start()
    thread.join()
    assert others[0] is not exporter
    monkeypatch.setattr(export, "_EXPORTERS", threading.local())  # a new exporter
    assert export.export_html(nb, "Første") == first
    assert export._html_exporter() is not exporter


def _in_thread(function):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", function()))
    thread.start()
    thread.join()
    return result["value"]


def _count_compiled(monkeypatch) -> list:
    """The names of the templates Jinja compiles from now on (the list fills as it does)."""
    compiled = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_a_threads_exporter_compiles_no_template_another_has_compiled(monkeypatch):
    from evalkit.document import html as export

    notebook = _notebook("Første")
    first = _in_thread(lambda: export.export_html(notebook, "Første"))
    compiled = _count_compiled(monkeypatch)
    second = _in_thread(lambda: export.export_html(notebook, "Første"))
    assert compiled == []
    assert second == first
    # a template whose source is not the one compiled is compiled anew (Jinja's checksum)
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": "{{ 1 + 1 }}"}),
        bytecode_cache=export._compiled_templates(),
    )
    assert env.get_template("t.j2").render() == "2"
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": "{{ 2 + 2 }}"}),
        bytecode_cache=export._compiled_templates(),
    )
    assert env.get_template("t.j2").render() == "4"
    assert compiled.count("t.j2") == 2


#: Run in a Python of its own: the collection walks every object of the process, and a test
#: worker holding the suite's documents and dictionaries takes seconds for it.
_FREEZE = """
import gc
import weakref

from evalkit import kernel_side as kernels


class _Node:
    def __init__(self):
        self.me = self  # a cycle: only the cyclic collector frees it


garbage = _Node()
gone = weakref.ref(garbage)
kept = _Node()
del garbage
kernels._freeze()
assert gone() is None, "not collected"  # collected, not frozen with the rest
assert gc.get_freeze_count() > 0, "nothing frozen"
assert not any(o is kept for g in range(3) for o in gc.get_objects(generation=g)), "not frozen"
print("frozen")
"""


def test_a_warm_kernel_collects_then_freezes():
    """Before a document, a warm kernel collects its garbage and freezes what is left (the
    modules, their caches), so that a collection walks only the document's own objects."""
    run = subprocess.run(
        [sys.executable, "-c", _FREEZE], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["frozen"]


def test_a_warm_kernel_imports_none_of_the_runner(tmp_path):
    """What a warm kernel is asked to run (its warm-up, the reset before each document)
    imports the document modules and none of the runner, papermill or nbconvert: those are
    the builder's, and importing them cost every kernel 0,3 s of its start."""
    from evalkit.runner import kernels

    code = "\n".join(
        [
            "import sys",
            kernels.WARM_UP_CODE,
            kernels.PREPARE_CODE.format(folder=str(tmp_path)),
            "names = ('evalkit.runner', 'papermill', 'nbconvert', 'evalkit.document.year')",
            "print(' '.join(m for m in names if m in sys.modules))",
        ]
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["evalkit.document.year"]


def test_an_exporter_warmed_up_in_another_thread_makes_the_same_page(monkeypatch):
    """The exporter :func:`warm_up` makes in a thread of its own (while a notebook runs) is
    handed to the thread that exports: it compiles nothing more and makes the page a new
    exporter makes, the warm-up page's title, language and words left behind."""
    from evalkit.document import html as export

    notebook = _notebook("Første")
    monkeypatch.setattr(export, "_EXPORTERS", threading.local())
    fresh = _in_thread(lambda: export.export_html(notebook, "Første", lang="en"))
    monkeypatch.setattr(export, "_EXPORTERS", threading.local())
    assert not export.exporter_ready()
    warmed = _in_thread(lambda: export.warm_up("nn"))
    compiled = _count_compiled(monkeypatch)
    export.adopt_exporter(warmed)
    assert export.exporter_ready()
    page = export.export_html(notebook, "Første", lang="en")
    assert export._html_exporter() is warmed
    assert compiled == []
    assert page == fresh
    assert '<html lang="en"' in page and "Tittel" not in page and "punkt med" not in page


def test_one_worker_warms_up_the_export_beside_its_first_notebook(tmp_path, monkeypatch):
    """``evalkit report`` (a build with one worker) makes the HTML exporter in a thread of its
    own while the notebook runs, finished before the notebook's export, and only for the
    worker's first document; a build with several workers does not."""
    from evalkit.document import html as export
    from evalkit.runner import execute as runner_execute
    from evalkit.runner.build import build

    monkeypatch.setattr(export, "_EXPORTERS", threading.local())
    events = []
    real_warm_up, real_export = export.warm_up, runner_execute.export_html

    def warm_up(lang="nb"):
        events.append(("warm-up", threading.current_thread().name, lang))
        return real_warm_up(lang)

    def export_html(nb, title, lang=None):
        events.append(("export", threading.current_thread().name, export.exporter_ready()))
        return real_export(nb, title, lang=lang)

    monkeypatch.setattr(export, "warm_up", warm_up)
    monkeypatch.setattr(runner_execute, "export_html", export_html)
    data = __import__("evalkit.paths", fromlist=["_"]).project_root() / "data" / "demo"
    results = build(
        ["samhandling"], [2010, 2011], data_dir=data, out_dir=tmp_path / "one", jobs=1,
        pdf=False, langs=["nb"], trends=False, progress=False,
    )  # fmt: skip
    assert [r.status for r in results] == ["built", "built"]
    warm_ups = [e for e in events if e[0] == "warm-up"]
    exports = [e for e in events if e[0] == "export"]
    assert len(warm_ups) == 1 and warm_ups[0][1:] == ("evalkit-export-warm-up", "nb")
    assert [e[2] for e in exports] == [True, True]  # the exporter was there before the export
    assert events.index(warm_ups[0]) < events.index(exports[0])
    assert {e[1] for e in exports} == {"evalkit-0"}
    # with two workers neither warms up (the documents are not run here: what each worker
    # asks of execute is all that is looked at)
    import importlib

    from evalkit.runner.plan import BuildResult

    runner_build = importlib.import_module("evalkit.runner.build")
    asked = []

    class NoKernel:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def shutdown(self) -> None:
            pass

    def fake_execute(job, started, kernel, stop=None, **options):
        asked.append(options)
        return BuildResult(job.scheme, job.year, "built", None, "", 0.0)

    monkeypatch.setattr(runner_build, "WarmKernel", NoKernel)
    monkeypatch.setattr(importlib.import_module("evalkit.runner.execute"), "execute", fake_execute)
    results = build(
        ["samhandling"], [2010, 2011], data_dir=data, out_dir=tmp_path / "two", jobs=2,
        pdf=False, langs=["nb"], trends=False, progress=False, force=True,
    )  # fmt: skip
    assert len(asked) == 2 and all(o["warm_up_export"] is False for o in asked)


class _StartingWorker:
    """A PDF worker process still warming up (what pdfworker keeps of it here)."""

    def __init__(self) -> None:
        self.known = threading.Event()


def test_the_export_warm_up_waits_for_the_pdf_workers_and_is_called_off(monkeypatch):
    """Beside the notebook the export warms up after the PDF worker has (each then has a
    processor to itself); a notebook that ends before that calls the warm-up off, and its
    export makes its own exporter."""
    from evalkit.document import html as export
    from evalkit.runner import execute as runner_execute
    from evalkit.runner import pdfworker

    worker = _StartingWorker()
    monkeypatch.setattr(pdfworker, "_WORKER", worker)
    monkeypatch.setattr(export, "_EXPORTERS", threading.local())
    calls = []
    monkeypatch.setattr(export, "warm_up", lambda lang="nb": calls.append(lang) or "exporter")
    waiting = runner_execute._ExportWarmUp("nn")
    waiting._thread.join(0.3)
    assert waiting._thread.is_alive() and calls == []  # waits for the PDF worker
    worker.known.set()
    waiting._thread.join(5)
    assert not waiting._thread.is_alive() and calls == ["nn"]
    adopted = []
    monkeypatch.setattr(export, "adopt_exporter", adopted.append)
    waiting.finish()
    assert adopted == ["exporter"]
    # the notebook ended first: no warm-up, nothing adopted, finish does not wait it out
    worker.known.clear()
    adopted.clear()
    called_off = runner_execute._ExportWarmUp("nb")
    called_off.finish()
    assert not called_off._thread.is_alive()
    assert calls == ["nn"] and adopted == []
    # no PDF worker (--no-pdf): no wait at all
    monkeypatch.setattr(pdfworker, "_WORKER", None)
    at_once = runner_execute._ExportWarmUp("en")
    at_once._thread.join(5)
    assert calls == ["nn", "en"]
