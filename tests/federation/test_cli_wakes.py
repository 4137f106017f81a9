"""A post written by the `fedihub post` command (a process of its own) wakes the running server's
delivery worker at once, on SQLite (Unix datagram sockets, fedihub/notices.py) as on PostgreSQL
(LISTEN/NOTIFY): the server's idle poll is set to 30 s here, and the follower must have the
post well before that poll could have found it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation

IDLE_POLL_S = 30


async def test_a_post_from_the_cli_is_delivered_without_waiting_for_the_idle_poll(
    new_instance: Callable[[str], FedihubInstance],
    password_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIHUB_WORKER_IDLE_POLL_S", str(IDLE_POLL_S))
    async with RemoteServer() as remote:
        a = new_instance("a")
        a.cli("hub", "create", "--data", a.data, "relief", "--name", "Relief")
        a.cli("account", "create", "--data", a.data, "org", "--admin",
              "--password-file", password_file)  # fmt: skip
        await a.start()
        hub = f"{a.base_url}/hubs/relief"
        follower = remote.add_actor("ana")
        follow = {"id": f"{follower.id}#follow", "type": "Follow", "actor": follower.id,
                  "object": hub}  # fmt: skip
        assert (await remote.post(f"{hub}/inbox", follow, follower)).status == 202

        async def accepted() -> bool:  # the Accept was sent by the server's own wake-up
            return any(r.activity["type"] == "Accept" for r in remote.received)

        await eventually(accepted, what="the Accept")
        await asyncio.sleep(1.0)  # the worker has gone back to its idle poll

        post = tmp_path / "post.md"
        post.write_text("Volunteers needed in Rockaway tomorrow at 9.\n")
        posted = time.monotonic()
        await a.acli("post", "--data", a.data, "relief", "--as", "org", post)

        async def created() -> bool:
            return any(r.activity["type"] == "Create" for r in remote.received)

        await eventually(created, timeout_s=IDLE_POLL_S + 10, what="the post")
        took = time.monotonic() - posted
        assert took < IDLE_POLL_S / 3, f"delivered {took:.1f} s after the command began"
