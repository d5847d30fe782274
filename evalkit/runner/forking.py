"""Kernels forked from a process that has imported what they import (:mod:`evalkit.kernel_zygote`).

A kernel started as Jupyter starts one (``python -m ipykernel_launcher``) imports IPython, then,
with the notebook's first cell or a warm kernel's warm-up, pandas, scipy, statsmodels,
matplotlib, seaborn and the document modules: 2–3 s of processor time for every kernel. A
process that starts one kernel pays that once; one that starts many (the tests, a researcher who
builds again from JupyterLab, a build whose failed document gets its worker a new kernel) paid
it each time. So from a process's second kernel on, the kernel is forked from a *zygote*: a
process started once (``python -m evalkit.kernel_zygote``) that has made those imports and
forks a child for each kernel, which then starts the kernel application as
``ipykernel_launcher`` would, in the working folder and with the environment the kernel was
asked for. The child has run nothing but the imports, so a document built in it is the same as
one built in a kernel started afresh (tests/test_forked_kernels.py compares them).

The zygote is used only for the project's kernel as Jupyter would start it (this Python,
``-m ipykernel_launcher -f {connection_file}``), with the environment it was started with (a
changed environment gets a new one: modules read it when they are imported), on a system with
``pidfd_open`` and file descriptors passed over sockets (Linux). Anywhere else, or with
``EVALKIT_FORK_KERNELS=0``, or when the zygote cannot start or stops, kernels are started as
before; the build does not depend on it.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: ``EVALKIT_FORK_KERNELS=0`` starts every kernel as Jupyter does; ``always`` forks a process's
#: first kernel too (the zygote's imports then come before that kernel instead of in it).
SWITCH = "EVALKIT_FORK_KERNELS"
#: The zygote's module (``python -m``).
ZYGOTE_MODULE = "evalkit.kernel_zygote"
#: How long the zygote may take for its imports (seconds); then kernels are started as before.
READY_TIMEOUT = 120.0
#: How long a fork may take to be answered (seconds).
FORK_TIMEOUT = 30.0


class ForkedProcess:
    """A kernel forked by the zygote, with what jupyter_client's local provisioner asks of a
    :class:`subprocess.Popen`: ``pid``, :meth:`poll`, :meth:`wait`, :meth:`send_signal`,
    :meth:`kill`, :meth:`terminate`. It is not this process's child, so its end is learnt from
    its pidfd (readable once it has ended) and its exit status is not known: ``returncode`` is
    0 once it has ended, or the signal this process killed it with, negated."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self._pidfd = pidfd
        self._signal: int | None = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd >= 0:
            ready, _, _ = select.select([self._pidfd], [], [], 0)
            if ready:
                self._ended()
        return self.returncode

    def _ended(self) -> None:
        self.returncode = -self._signal if self._signal else 0
        os.close(self._pidfd)
        self._pidfd = -1

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(["kernel"], timeout)
            select.select([self._pidfd], [], [], left)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self._signal = sig
        signal.pidfd_send_signal(self._pidfd, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:
        if getattr(self, "_pidfd", -1) >= 0:
            try:
                os.close(self._pidfd)
            except OSError:
                pass


class ZygoteError(Exception):
    """The zygote could not start, or could not fork a kernel."""


class Zygote:
    """The zygote process for one environment, and the socket the runner asks it on."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", ZYGOTE_MODULE, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=self.stderr,
                stderr=self.stderr,
                env=self.env,
                start_new_session=True,
            )
        except OSError as err:
            ours.close()
            raise ZygoteError(f"the zygote could not start ({err})") from err
        finally:
            theirs.close()
        self.sock = ours
        self.kernels: list[ForkedProcess] = []
        self.ready = threading.Event()
        self.problem: str | None = None
        threading.Thread(target=self._wait_ready, name="evalkit-zygote", daemon=True).start()

    def _receive(self, timeout: float) -> tuple[dict, list[int]]:
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            raise ZygoteError(f"the zygote did not answer within {timeout:.0f} s")
        data, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 16, 2)
        if not data:
            raise ZygoteError(f"the zygote stopped{self._last_words()}")
        return json.loads(data), fds

    def _last_words(self) -> str:
        try:
            self.stderr.seek(0)
            last = self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        except (OSError, ValueError):
            last = []
        return f": {last[0]}" if last else ""

    def _wait_ready(self) -> None:
        try:
            answer, fds = self._receive(READY_TIMEOUT)
            for fd in fds:
                os.close(fd)
            if not answer.get("ready"):
                self.problem = answer.get("error", "the zygote did not start")
        except (ZygoteError, OSError, ValueError) as err:
            self.problem = str(err)
        self.ready.set()

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], out: int, err: int):
        """A kernel forked with ``argv`` (ipykernel's arguments), in ``cwd``, with ``env``,
        its output to the file descriptors ``out`` and ``err``."""
        self.ready.wait(READY_TIMEOUT)
        if self.problem is not None or not self.ready.is_set():
            raise ZygoteError(self.problem or "the zygote is not ready")
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode("utf-8")
        with self.lock:
            socket.send_fds(self.sock, [request], [out, err])
            answer, fds = self._receive(FORK_TIMEOUT)
        if "pid" not in answer or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ZygoteError(answer.get("error", "the zygote made no kernel"))
        kernel = ForkedProcess(int(answer["pid"]), fds[0])
        self.kernels.append(kernel)
        return kernel

    def idle(self) -> bool:
        """Whether every kernel it forked has ended (its end would end them)."""
        self.kernels = [k for k in self.kernels if k.poll() is None]
        return not self.kernels

    def close(self) -> None:
        """Its socket closed: it reaps the kernels that have ended and ends (killed after a
        second), and this process waits for it (the processor time of it and of the kernels
        it reaped is then counted with this process's children)."""
        self.sock.close()
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.stderr.close()


_LOCK = threading.Lock()
_STATE: dict[str, Any] = {
    "starts": 0,
    "forked": 0,
    "zygote": None,
    "retired": [],  # zygotes of an earlier environment whose kernels still run
    "refused": set(),
}


def _usable() -> bool:
    switch = os.environ.get(SWITCH, "1")
    return (
        switch != "0"
        and (_STATE["starts"] >= 2 or switch == "always")
        and hasattr(os, "pidfd_open")
        and hasattr(signal, "pidfd_send_signal")
        and hasattr(socket, "send_fds")
        and hasattr(socket, "SOCK_SEQPACKET")
    )


def _kernel_args(cmd: list[str]) -> list[str] | None:
    """ipykernel's arguments when ``cmd`` starts this Python's ipykernel as Jupyter does; None
    for any other kernel."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        try:
            same = os.path.samefile(cmd[0], sys.executable)
        except OSError:
            same = False
        if same:
            return list(cmd[3:])
    return None


#: Variables that change from one kernel to the next and that no module reads when it is
#: imported: which test runs (pytest sets it for each), which Jupyter session and parent. A kernel
#: gets them as asked; they do not call for a new zygote.
_VOLATILE = frozenset({"PYTEST_CURRENT_TEST", "JPY_SESSION_NAME", "JPY_PARENT_PID"})


def _env_key(env: dict[str, str]) -> str:
    """What of an environment the zygote's imports may have read: all of it but
    :data:`_VOLATILE`."""
    return json.dumps(sorted((k, v) for k, v in env.items() if k not in _VOLATILE))


def launch(cmd: list[str], kwargs: dict[str, Any]) -> ForkedProcess | None:
    """The kernel ``cmd`` (with jupyter_client's launch arguments ``kwargs``: ``env``, ``cwd``,
    ``stdout``, ``stderr``) forked from the zygote; None when it is to be started as Jupyter
    starts it: this process's first kernel, another kernel than this Python's ipykernel, the
    switch off, or the zygote not working. The zygote's pid is ``zygote_pid()``."""
    args = _kernel_args(cmd)
    with _LOCK:
        _STATE["starts"] += 1
        if args is None or not _usable():
            return None
        env = dict(kwargs.get("env") or os.environ)
        key = _env_key(env)
        if key in _STATE["refused"]:
            return None
        zygote: Zygote | None = _STATE["zygote"]
        if zygote is not None and _env_key(zygote.env) != key:
            # another environment: a new zygote; this one ends when its kernels have (its end
            # would end them, in the middle of another build's document)
            _STATE["retired"].append(zygote)
            zygote = _STATE["zygote"] = None
        _close_idle_retired()
        if zygote is None:
            try:
                zygote = _STATE["zygote"] = Zygote(env)
            except ZygoteError as err:
                _STATE["refused"].add(key)
                log.info("Kernels are started as Jupyter starts them: %s", err)
                return None
    out_fd, err_fd, opened = _output_fds(kwargs)
    try:
        forked = zygote.fork(args, str(kwargs.get("cwd") or os.getcwd()), env, out_fd, err_fd)
        with _LOCK:
            _STATE["forked"] += 1
        return forked
    except (ZygoteError, OSError, ValueError) as err:
        with _LOCK:
            _STATE["refused"].add(key)
            if _STATE["zygote"] is zygote:
                _STATE["zygote"] = None
        zygote.close()
        log.info("Kernels are started as Jupyter starts them: %s", err)
        return None
    finally:
        for fd in opened:
            os.close(fd)


def _close_idle_retired() -> None:
    """Close the zygotes of earlier environments whose kernels have all ended (under _LOCK)."""
    for old in list(_STATE["retired"]):
        if old.idle():
            _STATE["retired"].remove(old)
            old.close()


def _output_fds(kwargs: dict[str, Any]) -> tuple[int, int, list[int]]:
    """The file descriptors the kernel's stdout and stderr go to (the log file the runner gave,
    else this process's own, as jupyter_client's launcher leaves them), and those opened here
    to be closed."""
    opened: list[int] = []

    def fd_of(stream: Any, own: int) -> int:
        if stream is None:
            return own
        if stream == subprocess.DEVNULL:
            fd = os.open(os.devnull, os.O_WRONLY)
            opened.append(fd)
            return fd
        return stream if isinstance(stream, int) else stream.fileno()

    return fd_of(kwargs.get("stdout"), 1), fd_of(kwargs.get("stderr"), 2), opened


def zygote_pid() -> int | None:
    """The pid of the zygote, if one runs (for tests and the log)."""
    zygote = _STATE["zygote"]
    return zygote.proc.pid if zygote is not None else None


def forked_count() -> int:
    """How many kernels this process has forked from a zygote."""
    return _STATE["forked"]


@atexit.register
def shut_down() -> None:
    """Stop the zygotes (at exit; their kernels are stopped by the runner)."""
    with _LOCK:
        zygotes = [*_STATE["retired"], _STATE["zygote"]]
        _STATE["zygote"], _STATE["retired"] = None, []
    for zygote in zygotes:
        if zygote is not None:
            zygote.close()
