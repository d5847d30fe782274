"""The runner's kernel client knows a kernel is ready from the kernel's own answers
(:func:`evalkit.runner.kernels._client_class`): the reply to a ``kernel_info`` request and the
``idle`` status for it on IOPub. It does not listen for 0,2 s of silence as jupyter_client's
does before every document, and it does not throw away what comes after."""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest

from evalkit.runner import kernels


def _client(shell: list[dict], iopub: list[dict], *, alive: bool = True, published=None):
    """A ReadyClient whose channels hand out the messages given, in order, and then nothing
    (Empty at once); ``kernel_info`` returns ``req1``, ``req2`` … and is counted, and puts
    what the kernel publishes for that request (``published``) on IOPub."""

    class Scripted(kernels._client_class()):
        def __init__(self) -> None:  # no connection: the channels are the lists
            self.sent: list[str] = []

        def kernel_info(self) -> str:
            self.sent.append(f"req{len(self.sent) + 1}")
            iopub.extend((published or {}).get(self.sent[-1], []))
            return self.sent[-1]

        async def get_shell_msg(self, timeout=None):
            if not shell:
                raise Empty
            return shell.pop(0)

        async def get_iopub_msg(self, timeout=None):
            if not iopub:
                raise Empty
            return iopub.pop(0)

        async def is_alive(self) -> bool:
            return alive

        def _handle_kernel_info_reply(self, msg) -> None:
            pass

    return Scripted()


def _reply(parent: str) -> dict:
    return {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": parent}, "content": {}}


def _status(parent: str, state: str) -> dict:
    return {
        "msg_type": "status",
        "parent_header": {"msg_id": parent},
        "content": {"execution_state": state},
    }


def test_ready_after_the_reply_and_the_idle_status_of_its_own_request():
    """Stray messages from before (another request's reply and idle status) are skipped; the
    client is ready at the idle status of its own request, and what the kernel sent after it
    is left for the next reader, not thrown away."""
    later = {"msg_type": "stream", "parent_header": {"msg_id": "cell-1"}, "content": {}}
    shell = [_reply("prepare"), _reply("req1")]
    iopub = [_status("prepare", "idle"), _status("req1", "busy"), _status("req1", "idle"), later]
    client = _client(shell, iopub)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.sent == ["req1"]
    assert iopub == [later]


def test_an_iopub_not_yet_connected_is_asked_again():
    """ZeroMQ drops what the kernel publishes before the client's IOPub has joined: the
    reply came but not the idle status, so the request is sent again and its status waited
    for."""
    shell = [_reply("req1"), _reply("req2")]
    iopub: list[dict] = []
    published = {"req1": [], "req2": [_status("req2", "busy"), _status("req2", "idle")]}
    client = _client(shell, iopub, published=published)  # req1's status was lost
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.sent == ["req1", "req2"]
    assert iopub == []


def test_a_dead_kernel_is_an_error_not_a_wait():
    client = _client([], [], alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(client.wait_for_ready(timeout=30))
    assert client.sent == ["req1"]


def test_the_runners_kernels_use_it():
    """Every client the runner's kernel manager makes (nbclient's for each notebook, and the
    runner's own) is this client."""
    manager = kernels._manager_class()(kernel_name=kernels.KERNEL_NAME)
    assert manager.client_factory is kernels._client_class()
