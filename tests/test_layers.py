"""Data flow down the layers, never back (issue 17, item 10).

The layers, from the bottom: the scheme and the reading of an export (config, read, parse,
geography, clean, validate, flags, bounds, years, paths, cleaned_cache), the numbers (metrics,
stats, analysis, disclosure, trends, evaluation) with the words and number formats they write
into ``metrics.json`` and ``data_quality.csv`` (wording, formats, inert); then the documents
(``evalkit/document/``: pieces, sentences, figures, the HTML, PDF and Excel writers), which
read an evaluation and compute no statistic; then the runner (``evalkit/runner/``, and
``evalkit/kernel_side.py``, what a warm kernel runs inside itself) and the entry points (cli,
lab, ``__main__``).

The rule checked here, by reading every module's imports (at module level and inside
functions): no module below the documents imports ``evalkit.document``, and the documents do
not import the runner or the command line. Every module of ``evalkit/`` that is not a
document, the runner or an entry point counts as below the documents, so a new module is
held to the rule without being listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evalkit"

#: The entry points, above the runner.
ENTRY_POINTS = {"evalkit.cli", "evalkit.lab", "evalkit.__main__"}
#: The runner's modules outside ``evalkit/runner/``: what a warm kernel runs inside itself,
#: kept out of the package so that the kernel does not import the build.
RUNNER_OUTSIDE = {"evalkit.kernel_side"}


def module_name(path: Path) -> str:
    """``evalkit/document/year.py`` → ``evalkit.document.year``; a package's face keeps its
    ``__init__`` (``evalkit.document.__init__``), so that a relative import in it is resolved
    against the package itself."""
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def imported(source: str, name: str) -> list[tuple[int, str]]:
    """Every module of evalkit that ``source`` (the module ``name``) imports, anywhere in it,
    with its line: ``from evalkit import document`` is ``evalkit.document``, a relative import
    is resolved against ``name``."""
    package = name.split(".")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level], *filter(None, [base])])
            found += [(node.lineno, base)]
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, m) for line, m in found if m == "evalkit" or m.startswith("evalkit.")]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer(module: str) -> str:
    if module in ENTRY_POINTS | RUNNER_OUTSIDE or within(module, "evalkit.runner"):
        return "runner"
    if within(module, "evalkit.document"):
        return "document"
    return "below"


def modules() -> dict[str, str]:
    return {
        module_name(p): p.read_text(encoding="utf-8")
        for p in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def back_arrows(sources: dict[str, str]) -> list[str]:
    """Each import statement that runs up the layers: ``module (line N) imports target``."""
    above = {"below": ("evalkit.document", "evalkit.runner", *ENTRY_POINTS)}
    above["document"] = ("evalkit.runner", *ENTRY_POINTS)
    out = {}
    for name, source in sources.items():
        for line, target in imported(source, name):
            if any(within(target, upper) for upper in above.get(layer(name), ())):
                out.setdefault((name, line), f"{name} (line {line}) imports {target}")
    return list(out.values())


def test_the_layers_are_what_the_docstring_says():
    found = modules()
    by_layer = {name: layer(name) for name in found}
    for name in ("evalkit.document.year", "evalkit.document.html", "evalkit.document.pdf"):
        assert by_layer[name] == "document"
    for name in ("evalkit.evaluation", "evalkit.trends", "evalkit.metrics", "evalkit.clean"):
        assert by_layer[name] == "below"
    for name in ("evalkit.runner.build", "evalkit.cli", "evalkit.kernel_side"):
        assert by_layer[name] == "runner"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("evalkit.clean", "def f():\n    from evalkit.document.text import esc\n"),
        ("evalkit.metrics", "from evalkit import document as doc\n"),
        ("evalkit.evaluation", "import evalkit.document.counters\n"),
        ("evalkit.trends", "from .document import year\n"),
        ("evalkit.document.pdf", "from evalkit.runner.plan import output_root\n"),
        ("evalkit.document.year", "def f():\n    from .. import cli\n"),
    ],
)
def test_an_import_up_the_layers_is_found(name, source):
    """The check can fail: each of these imports runs up the layers."""
    assert len(back_arrows({name: source})) == 1


def test_an_import_down_the_layers_is_allowed():
    sources = {
        "evalkit.document.year": "from evalkit.evaluation import Evaluation\n",
        "evalkit.runner.execute": "from evalkit.document.html import export_html\n",
        "evalkit.clean": "from evalkit.formats import fmt_int\nfrom . import parse\n",
    }
    assert back_arrows(sources) == []


def test_no_module_imports_up_the_layers():
    assert back_arrows(modules()) == []


def test_a_document_begins_with_its_title_not_with_the_evaluation():
    """The evaluation knows nothing of the documents: ``evaluate`` makes no document current;
    the title (the notebook's first cell) does, and a researcher's own figure then goes into
    it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit import document as doc
    from evalkit.document import counters
    from evalkit.evaluation import evaluate

    counters.forget()
    ev = evaluate("frisklivs_lms", 2023, data_dir=PACKAGE.parent / "data" / "demo")
    assert counters.current() is None
    doc.title(ev)
    assert counters.current() is ev
    fig, ax = plt.subplots()
    ax.bar(["Agder", "Oslo"], [3, 4])
    own = doc.figure(fig, title="Min figur", alt="To stolper: Agder 3, Oslo 4.")
    assert own.registry is counters.numbering(ev)
    counters.forget()


def test_the_catalogs_reader_is_the_lowest_layer():
    """Every layer reads its words through evalkit.i18n, so it imports no other module of
    evalkit but the errors and the cache folder (evalkit.kept, which imports none of evalkit).
    The catalogs' upkeep, which counts evalkit.flags' codes, is evalkit.catalogs, above them;
    an import of evalkit.flags here made a circle of five modules."""
    path = PACKAGE / "i18n.py"
    found = {m for _line, m in imported(path.read_text(encoding="utf-8"), "evalkit.i18n")}
    assert found and all(m.startswith(("evalkit.errors", "evalkit.kept")) for m in found), found
    kept = {m for _line, m in imported((PACKAGE / "kept.py").read_text("utf-8"), "evalkit.kept")}
    assert not kept, kept
