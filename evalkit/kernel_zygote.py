"""A process that has imported what a kernel imports, and forks a kernel for each request.

Started by :mod:`evalkit.runner.forking` (``python -m evalkit.kernel_zygote FD``) when a process
starts its second kernel. It does what ``python -m ipykernel_launcher`` does before the kernel
application starts (this Python, the working folder out of ``sys.path``, matplotlib's inline
backend as ipykernel sets it) and imports what a warm kernel imports
(:data:`evalkit.kernel_side.WARM_IMPORTS`: pandas, scipy, statsmodels, matplotlib, seaborn,
pandera, openpyxl and the document modules; 2–3 s of processor time). It then answers on the
socket ``FD``: each request (a JSON line with the kernel's arguments, working folder and
environment, and the two file descriptors its output goes to) is answered by a forked child,
which becomes the kernel (``IPKernelApp``, as ``ipykernel_launcher`` starts it) in a session of
its own, and by the child's process id and a pidfd for it (:func:`os.pidfd_open`, handed over
with the answer), by which the runner learns when it ends and signals it without a race.

A forked kernel holds nothing a fresh one would not: nothing has run in this process but
imports, no thread has started (it is checked before each fork), and the child takes the
environment it was asked for. Imports nothing of :mod:`evalkit.runner`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading

#: The largest request read (a kernel's environment and arguments).
MAX_REQUEST = 1 << 20


def _imports() -> None:
    """What a warm kernel imports, with the cyclic garbage collector off meanwhile, then one
    collection and everything kept out of later ones (as :func:`evalkit.kernel_side._freeze`),
    so that the forked children share these pages with this process."""
    import gc
    import importlib

    if not os.environ.get("MPLBACKEND"):  # as ipykernel's IPKernelApp.init_gui_pylab
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    gc.disable()
    try:
        import ipykernel.kernelapp  # noqa: F401

        from evalkit.kernel_side import WARM_IMPORTS

        for name in WARM_IMPORTS:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    finally:
        gc.enable()
    gc.collect()
    gc.freeze()


def _child(request: dict, fds: list[int], control: socket.socket) -> None:
    """In the forked child: become the kernel the request asks for; never returns."""
    code = 1
    try:
        control.close()
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        out, err = fds
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if not os.environ.get("MPLBACKEND"):
            os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        # the kernel's parent is this process, as a kernel's is the process that launched it
        # (jupyter_client's launcher sets JPY_PARENT_PID): the kernel ends when it ends, which
        # is when the runner that asked for it ends
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [sys.executable, "-m", "ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        code = 0
        kernelapp.IPKernelApp.launch_instance(argv=argv)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reap(*_: object) -> None:
    """Reap the kernels that have ended (the SIGCHLD handler, and at the end)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _answer(control: socket.socket, answer: dict, fds: list[int] = ()) -> None:
    socket.send_fds(control, [json.dumps(answer).encode("utf-8") + b"\n"], list(fds))


def serve(control: socket.socket) -> None:
    """Answer requests on ``control`` until it is closed."""
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, MAX_REQUEST, 4)
        except InterruptedError:
            continue
        if not data:
            return
        try:
            request = json.loads(data)
            if threading.active_count() != 1:  # a fork keeps only this thread
                raise RuntimeError("the zygote has started a thread")
            if len(fds) != 2:
                raise ValueError("a request needs two file descriptors")
        except Exception as err:
            for fd in fds:
                os.close(fd)
            _answer(control, {"error": f"{type(err).__name__}: {err}"})
            continue
        pid = os.fork()
        if pid == 0:
            _child(request, fds, control)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as err:  # it ended already (and was reaped by _reap)
            _answer(control, {"error": f"the kernel ended at once ({err})"})
            continue
        _answer(control, {"pid": pid}, [pidfd])
        os.close(pidfd)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    # as ipykernel_launcher: the working folder is not where modules are found (the kernel's
    # IPython puts "" back)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # ended kernels are reaped here as they end, so that their processor time is counted with
    # this process's children, as a kernel's is with the runner that started it
    signal.signal(signal.SIGCHLD, _reap)
    try:
        _imports()
    except BaseException as err:
        _answer(control, {"error": f"{type(err).__name__}: {err}"})
        return
    _answer(control, {"ready": True})
    serve(control)
    _reap()


if __name__ == "__main__":
    main()
