"""The environment of the benchmarks' commands (``bench_build.py``, ``bench_pdf.py``,
``bench_cached.py``): this checkout's evalkit, and Python's bytecode kept as an ordinary install
keeps it.

The machine these benchmarks were measured on sets ``PYTHONDONTWRITEBYTECODE``: every process
then compiled evalkit's 26 000 lines again, 0,25 s in each kernel and runner, on both sides of
a comparison. The commands write their bytecode to a folder of the run
(``PYTHONPYCACHEPREFIX``) instead, so evalkit's modules are compiled once, as in an install.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path


def environment(root: Path, *, bytecode: bool = True) -> dict[str, str]:
    """``os.environ`` with ``PYTHONPATH`` set to ``root`` (the kernels inherit it); with
    ``bytecode``, ``PYTHONDONTWRITEBYTECODE`` left out and ``PYTHONPYCACHEPREFIX`` set to a
    folder removed when the benchmark ends."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        folder = tempfile.mkdtemp(prefix="bench_pycache_")
        atexit.register(shutil.rmtree, folder, True)
        env["PYTHONPYCACHEPREFIX"] = folder
    return env
