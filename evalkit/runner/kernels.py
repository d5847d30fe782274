"""The project's Jupyter kernel: registered (pointing at this Python) when missing."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.paths import write_atomic

log = logging.getLogger(__name__)

#: The project's Jupyter kernel; registered (pointing at this Python) when missing.
KERNEL_NAME = "evalkit"
KERNEL_DISPLAY_NAME = "Python (evalkit)"

_kernel_lock = threading.Lock()
_kernels_checked: set[str] = set()


def ensure_kernel(name: str = KERNEL_NAME) -> None:
    """Make sure the Jupyter kernel ``name`` exists; register the project kernel if missing.

    The project kernel (:data:`KERNEL_NAME`) runs this Python (``sys.executable``) and is
    written to ``sys.prefix/share/jupyter/kernels/evalkit``, as
    ``ipykernel install --prefix sys.prefix`` does.
    """
    with _kernel_lock:
        if name in _kernels_checked:
            return
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            spec = KernelSpecManager().get_kernel_spec(name)
        except NoSuchKernel:
            if name != KERNEL_NAME:
                raise EvalkitError(
                    f"No Jupyter kernel named {name!r}. Register it (python -m ipykernel install "
                    f"--sys-prefix --name {name}), or leave kernel_name at {KERNEL_NAME!r}."
                ) from None
            folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
            folder.mkdir(parents=True, exist_ok=True)
            spec_json = {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": KERNEL_DISPLAY_NAME,
                "language": "python",
                "metadata": {"debugger": True},
            }
            write_atomic(folder / "kernel.json", json.dumps(spec_json, indent=1) + "\n")
            log.info("Registered the Jupyter kernel %r in %s", name, folder)
        else:
            if (
                name == KERNEL_NAME
                and spec.argv
                and Path(spec.argv[0]).parent != Path(sys.executable).parent
            ):
                log.warning(
                    "The kernel %r runs %s, not this Python (%s); documents may be built with "
                    "other package versions.",
                    name,
                    spec.argv[0],
                    sys.executable,
                )
        _kernels_checked.add(name)
