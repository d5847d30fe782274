"""Build the per-year documents: run a scheme's notebook with papermill, export HTML, cache.

The runner: one module per job. One year of one scheme in one language (``nb``, ``nn`` or
``en``, passed to the notebook as ``lang``) is built by :func:`report_year` (``build.py``):

1. **Validate** (``params.py``) the notebook parameters against the typed parameters cell
   (:func:`notebook_parameters`, :func:`validate_parameters`). Unknown, missing, wrongly typed
   or out-of-range values raise :class:`~evalkit.errors.ParameterError` with the fix, before
   anything is written.
2. **Cache** (``plan.py``, as DVC and ploomber do it): the sha256 of the notebook bytes, the validated
   parameters, every export the year reads (its own and every compared year's), the scheme YAML
   and the evalkit version is compared with the ``cache_key`` of the existing
   ``manifest.json``; when they match and every output file is there, nothing runs.
3. **Execute** (``execute.py``, ``kernels.py``) the jupytext notebook in process with papermill on the project kernel
   (:data:`KERNEL_NAME`, registered on first use), in a staging folder beside the target.
4. **Export** (``execute.py``, with the document's writers) ``report.html`` with nbconvert
   (:mod:`evalkit.document.html`: code hidden, figures embedded, no script or stylesheet
   loaded from the network); ``report.pdf`` from it with WeasyPrint
   (:mod:`evalkit.document.pdf`: in each worker's kernel, or, when there is one worker, in
   the PDF worker process started with the build, :mod:`evalkit.runner.pdfworker`;
   ``pdf=False`` skips it); write ``manifest.json``.
5. **Swap** the staging folder into ``outputs/<scheme>/<year>/`` (bokmål) or
   ``outputs/<scheme>/<lang>/<year>/`` (nynorsk, English). A failed year leaves the previous
   output as it was and puts the partial notebook in ``_failed/<year>/`` beside it.

:func:`build` does this for every year found in the data, in every language each scheme lists,
and writes ``outputs/index.html`` (:func:`write_index`, ``index.py``).

Heavy imports (papermill, nbconvert, jupytext, jupyter_client; WeasyPrint, asked whether it can
run here only for a document to build or a cached one without ``report.pdf``) happen only when
a notebook is executed: planning, the cache check and ``index.html`` import no pandas, numpy or
scipy either, so checking the cache of every year costs little more than hashing the inputs
(tests/test_fast_cached.py, benchmarks/bench_cached.py).
"""

import sys

from evalkit.paths import project_root
from evalkit.runner.build import build, report_trends, report_year
from evalkit.runner.index import write_index
from evalkit.runner.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME, ensure_kernel
from evalkit.runner.params import Param, notebook_parameters, validate_parameters
from evalkit.runner.plan import TRENDS_FOLDER, BuildResult

# nbformat (which papermill, nbconvert and jupytext import) validates with jsonschema, which
# imports rfc3987_syntax where it is installed (jsonschema[format-nongpl]) only to check the
# «iri» format, which no notebook schema uses; its import compiles some 35 Earley grammars,
# 1,3 s of processor time in every process that builds a document
# (python-jsonschema/jsonschema#1428). Marked absent (ImportError) unless already imported.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__all__ = [
    "KERNEL_DISPLAY_NAME",
    "KERNEL_NAME",
    "TRENDS_FOLDER",
    "BuildResult",
    "Param",
    "build",
    "ensure_kernel",
    "notebook_parameters",
    "project_root",
    "report_trends",
    "report_year",
    "validate_parameters",
    "write_index",
]
