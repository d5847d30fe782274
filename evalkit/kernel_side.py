"""What a warm kernel runs inside itself: :func:`kernel_warm_up` once, :func:`kernel_prepare`
before each document (:class:`evalkit.runner.kernels.WarmKernel` sends the calls).

Kept outside :mod:`evalkit.runner`, whose ``__init__`` imports the build (papermill's side):
a kernel that imported it for these two functions paid 0,3 s of its start for modules it
never uses.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any

#: Imported once by a warm kernel: the modules the notebooks use, and what they pull in,
#: including what evalkit imports only where it is first used (so that the command line stays
#: quick) but every document uses: pandera (the export's check), openpyxl (an xlsx export's
#: bounds and ``tables.xlsx``) and statsmodels' GLM (the comparison's odds ratios). Imported in
#: the kernel, each would cost every forked kernel (:mod:`evalkit.kernel_zygote`) its 0,1–0,2 s.
WARM_IMPORTS = (
    "matplotlib.pyplot",
    "IPython.display",
    "evalkit.evaluation",
    "evalkit.validate",
    "evalkit.document.year",
    "evalkit.trends",
    "evalkit.document.trends",
    "openpyxl.reader.excel",
    "openpyxl.styles",
    "statsmodels.genmod.generalized_linear_model",
)
_KERNEL_STATE: dict[str, Any] = {}


def kernel_warm_up() -> None:
    """Runs in the kernel once: import the heavy modules, remember the clean state. No cyclic
    garbage collection during the imports: they make objects by the hundred thousand and
    little garbage, and each full collection would walk them all (a fifth of the imports'
    processor time, 0,4 of 2 s); :func:`_freeze` collects once, after them."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        for name in WARM_IMPORTS:
            try:
                importlib.import_module(name)
            except ImportError:  # a module of another evalkit version: the notebook imports it
                pass
    finally:
        if enabled:
            gc.enable()
    import matplotlib

    _KERNEL_STATE["rc"] = dict(matplotlib.rcParams)
    _KERNEL_STATE["filters"] = list(warnings.filters)
    _freeze()


def _freeze() -> None:
    """What the kernel holds now (the imported modules, and what the last document left in
    their caches) kept out of Python's cyclic garbage collection from here on, so that a
    collection walks only the next document's objects: the 170 000 objects of pandas, scipy,
    statsmodels, matplotlib and seaborn were walked by every full collection (IPython's
    namespace reset starts one, as statsmodels' Holm adjustment did before
    :func:`evalkit.stats.holm` left it), 0,1 s each, 2,5 s of a build's 16 s in its kernels.
    Garbage is collected first, so none of it is kept."""
    import gc

    gc.collect()
    gc.freeze()


def kernel_prepare(folder: str) -> None:
    """Runs in the kernel before each document: the state of a fresh kernel, modules kept."""
    import matplotlib
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    plt.close("all")
    from evalkit.document.counters import forget

    forget()  # no document of the last notebook is the next one's
    if "rc" in _KERNEL_STATE:
        # as right after the imports (rcdefaults plus what ipykernel's inline backend set);
        # evalkit's style is applied by every figure function (evalkit.document.plots.set_style)
        dict.update(matplotlib.rcParams, _KERNEL_STATE["rc"])
        warnings.filters[:] = _KERNEL_STATE["filters"]
    for module in list(sys.modules.values()):  # warnings shown once are shown again
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    getattr(warnings, "_filters_mutated", lambda: None)()
    os.chdir(folder)
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=False)  # %reset -f: a clean user namespace, history, Out
        shell.execution_count = 1
    if "rc" in _KERNEL_STATE:  # a warm kernel
        _freeze()
