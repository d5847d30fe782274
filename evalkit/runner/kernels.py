"""Kernels: the project's Jupyter kernel (registered, pointing at this Python, when missing) and
warm kernels that run document after document.

A :class:`WarmKernel` is started once per build worker. It imports evalkit's document modules
(and with them pandas, scipy, statsmodels, matplotlib and seaborn) once; before each document
:func:`kernel_prepare` runs inside the kernel: figures closed, matplotlib's settings and the
warning filters put back as they were right after those imports, the working folder set, and
the user namespace and execution counter reset (IPython's ``reset``), so the document runs as
it would in a fresh kernel. The kernel's own output (its log) goes to a file, not the terminal.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import IO, Any

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


# --------------------------------------------------------------------------------------------
# Inside the kernel
# --------------------------------------------------------------------------------------------
#: Imported once by a warm kernel: the modules the notebooks use, and what they pull in.
WARM_IMPORTS = (
    "matplotlib.pyplot",
    "IPython.display",
    "evalkit.evaluation",
    "evalkit.document.year",
    "evalkit.trends",
    "evalkit.document.trends",
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


# --------------------------------------------------------------------------------------------
# Controlling a kernel
# --------------------------------------------------------------------------------------------
class KernelError(EvalkitError):
    """The kernel could not be started or prepared."""


_live_pids: set[int] = set()


@atexit.register
def _kill_leftover_kernels() -> None:
    """No kernel outlives evalkit, whatever happened."""
    for pid in list(_live_pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@functools.cache
def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class TrackingKernelManager(AsyncKernelManager):
        """Remembers the clients made for it (nbclient makes one per notebook), so they can be
        closed after each document while the kernel lives on."""

        def client(self, *args: Any, **kwargs: Any) -> Any:
            made = super().client(*args, **kwargs)
            self.__dict__.setdefault("_evalkit_clients", []).append(made)
            return made

        def stop_clients(self) -> None:
            for made in self.__dict__.pop("_evalkit_clients", []):
                try:
                    made.stop_channels()
                except Exception:  # already stopped
                    log.debug("stopping a kernel client failed", exc_info=True)

    return TrackingKernelManager


class WarmKernel:
    """One running kernel that builds document after document.

    Parameters
    ----------
    name : str
        The Jupyter kernel (:data:`KERNEL_NAME`).
    cwd : Path
        The working folder the kernel starts in.
    log : file, optional
        The kernel process's stdout and stderr (its log) go here.
    warm : bool
        Import the document modules now and reset the state before each document; False for
        a kernel that runs one document and is shut down (a fresh kernel, nothing run in it
        before the notebook).

    All methods but :meth:`interrupt` and :meth:`kill` must be called from the thread that
    created the kernel (its event loop lives there).
    """

    def __init__(
        self, name: str, cwd: Path, log_file: IO[bytes] | None = None, *, warm: bool = True
    ) -> None:
        from jupyter_core.utils import run_sync

        ensure_kernel(name)
        self.name = name
        self.warm = warm
        self.documents = 0
        self._run_sync = run_sync
        self._ready = False
        self.km = _manager_class()(kernel_name=name)
        streams = {"stdout": log_file, "stderr": log_file} if log_file is not None else {}
        try:
            # IPython's history database is shared by every kernel on the machine: kernels
            # started at once (or a namespace reset) collide in it and print an error into
            # the document; a document needs no history, so it stays in memory
            run_sync(self.km.start_kernel)(
                cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"], **streams
            )
        except Exception as err:
            raise KernelError(f"The Jupyter kernel {name!r} could not be started: {err}") from err
        process = getattr(self.km.provisioner, "process", None)
        self.pid: int | None = getattr(process, "pid", None)
        if self.pid:
            _live_pids.add(self.pid)
        if warm:
            self._execute(
                "__import__('evalkit.runner.kernels', fromlist=['_']).kernel_warm_up()", 300
            )

    def prepare(self, folder: Path) -> None:
        """Before a document: a clean namespace, matplotlib reset, the working folder set."""
        if self.warm:
            self._execute(
                "__import__('evalkit.runner.kernels', fromlist=['_'])"
                f".kernel_prepare({str(folder)!r})",
                60,
            )

    def notebook_ran(self) -> None:
        """The kernel has run a notebook, so it is ready (nbclient waited for it): what the
        runner asks it next does not wait for it again (jupyter_client's ``wait_for_ready``
        ends by listening 0,2 s for stray output, a tenth of what a fresh kernel's document
        costs after its notebook)."""
        self._ready = True

    def after_document(self) -> None:
        """Close the clients nbclient made for the document; the kernel stays."""
        self.documents += 1
        self.km.stop_clients()

    def _execute(self, code: str, timeout: float) -> None:
        self._run_sync(self._aexecute)(code, timeout)

    async def _aexecute(self, code: str, timeout: float) -> None:
        # a client of its own each time: one kept across papermill runs stops hearing replies
        client = self.km.client()
        client.start_channels()
        try:
            if not self._ready:
                await client.wait_for_ready(timeout=60)
                self._ready = True
            msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = await client.get_shell_msg(timeout=timeout)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
        finally:
            self.km.stop_clients()
        content = reply.get("content", {})
        if content.get("status") != "ok":
            error = KernelError(
                f"Preparing the kernel failed: {content.get('ename')}: {content.get('evalue')}"
            )
            error.ename, error.evalue = content.get("ename"), content.get("evalue")
            raise error

    def run(self, code: str, timeout: float = 300) -> None:
        """Run ``code`` in the kernel between documents (for work that belongs in the
        kernel's process, such as making the PDF, so that workers do it in parallel).

        Raises
        ------
        KernelError
            The code raised; ``ename`` and ``evalue`` say what.
        """
        self._execute(code, timeout)

    def interrupt(self) -> None:
        """Interrupt the running cell (any thread): SIGINT to the kernel process."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGINT)
            except OSError:
                pass

    def kill(self) -> None:
        """Kill the kernel process at once (any thread)."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def shutdown(self) -> None:
        """Stop the kernel (now, no grace period) and remove its connection file."""
        try:
            self.km.stop_clients()
            self._run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already dead
            log.debug("kernel shutdown failed", exc_info=True)
            self.kill()
            try:
                self._run_sync(self.km.cleanup_resources)()
            except Exception:
                log.debug("kernel cleanup failed", exc_info=True)
        if self.pid:
            _live_pids.discard(self.pid)
