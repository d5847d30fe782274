"""Kernels: the project's Jupyter kernel (registered, pointing at this Python, when missing) and
warm kernels that run document after document.

A :class:`WarmKernel` is started once per build worker. It imports evalkit's document modules
(and with them pandas, scipy, statsmodels, matplotlib and seaborn) once; before each document
:func:`evalkit.kernel_side.kernel_prepare` runs inside the kernel: figures closed,
matplotlib's settings and the warning filters put back as they were right after those imports,
the working folder set, and the user namespace and execution counter reset (IPython's
``reset``), so the document runs as it would in a fresh kernel. What runs inside the kernel is
:mod:`evalkit.kernel_side`, outside this package, so that a kernel imports none of the runner
(``evalkit/runner/__init__.py`` imports the build: 0,3 s of every kernel's start). The
kernel's own output (its log) goes to a file, not the terminal. From a process's second kernel
on, the kernel is forked from a process that has made those imports already
(:mod:`evalkit.runner.forking`).
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import signal
import sys
import threading
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
# Controlling a kernel
# --------------------------------------------------------------------------------------------
#: What a warm kernel runs once when it starts, and before each document (``folder``: the
#: document's working folder); :mod:`evalkit.kernel_side` imports nothing of the runner.
WARM_UP_CODE = "__import__('evalkit.kernel_side', fromlist=['_']).kernel_warm_up()"
PREPARE_CODE = "__import__('evalkit.kernel_side', fromlist=['_']).kernel_prepare({folder!r})"


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
def _client_class() -> type:
    import time
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        """A kernel client that knows the kernel is ready without listening for silence."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """Ready when the kernel has answered a ``kernel_info`` request on the shell
            channel and its ``idle`` status for that request has come on IOPub: IOPub is then
            connected, and every message the kernel sends afterwards reaches this client.

            jupyter_client's own wait ends by listening until IOPub has been silent for 0,2 s,
            to drop stray messages: a fifth of a second before every document, on the wall
            clock of ``evalkit report`` and of each worker. Messages from before are skipped
            here as they come; nbclient keeps only those of the cells it sends (by their
            parent's id). An IOPub that is not connected yet misses the status (ZeroMQ drops
            what is published before a subscriber joins): the request is sent again after a
            tenth of a second, then after twice as long each time, at most a second (a kernel
            forked from the zygote answers within a tenth). A kernel that died, or does not
            answer within ``timeout``, raises RuntimeError, as jupyter_client's does."""
            deadline = time.monotonic() + (60.0 if timeout is None else timeout)
            wait = 0.1  # a kernel forked from the zygote answers within a tenth of a second
            while True:
                request = self.kernel_info()
                if await self._answered(request, min(wait, max(deadline - time.monotonic(), 0))):
                    return
                wait = min(2 * wait, 1.0)
                if not await self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

        async def _answered(self, request: str, wait: float) -> bool:
            """Whether the reply to ``request`` and its idle status both came within
            ``wait`` seconds (other messages skipped)."""
            end = time.monotonic() + wait
            replied = idle = False
            while not (replied and idle):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                try:
                    if not replied:
                        msg = await self.get_shell_msg(timeout=left)
                        if msg.get("parent_header", {}).get("msg_id") == request:
                            replied = True
                            handle = getattr(self, "_handle_kernel_info_reply", None)
                            if handle is not None:  # the protocol version it speaks
                                handle(msg)
                    else:
                        msg = await self.get_iopub_msg(timeout=left)
                        idle = (
                            msg.get("parent_header", {}).get("msg_id") == request
                            and msg.get("msg_type") == "status"
                            and msg.get("content", {}).get("execution_state") == "idle"
                        )
                except Empty:
                    return False
            return True

    return ReadyClient


@functools.cache
def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class TrackingKernelManager(AsyncKernelManager):
        """Remembers the clients made for it (nbclient makes one per notebook), so they can be
        closed after each document while the kernel lives on; its clients are
        :func:`_client_class`'s, which know the kernel is ready without waiting 0,2 s."""

        @default("client_factory")
        def _ready_client(self) -> type:
            return _client_class()

        def client(self, *args: Any, **kwargs: Any) -> Any:
            made = super().client(*args, **kwargs)
            self.__dict__.setdefault("_evalkit_clients", []).append(made)
            return made

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            """From a process's second kernel on, the kernel is forked from the zygote
            (:mod:`evalkit.runner.forking`), which has imported what it imports; otherwise, and
            where that cannot be done, it is started as jupyter_client starts it."""
            from evalkit.runner import forking

            forked = forking.launch(kernel_cmd, kw)
            if forked is None:
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            provisioner = self.provisioner
            provisioner.process = forked
            provisioner.pid = provisioner.pgid = forked.pid  # a session of its own
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

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
            self._execute(WARM_UP_CODE, 300)

    def prepare(self, folder: Path) -> None:
        """Before a document: a clean namespace, matplotlib reset, the working folder set."""
        if self.warm:
            self._execute(PREPARE_CODE.format(folder=str(folder)), 60)

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
