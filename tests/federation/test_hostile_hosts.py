"""One remote host cannot stall a real `fedihub serve` for everyone: its activities whose
objects never answer hold only that host's inbox slots, while a Follow from another host is
accepted at once; and those activities are kept and retried, not lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.remote import AS, RemoteServer

pytestmark = pytest.mark.federation

STALLING = 50


async def test_a_stalling_host_does_not_delay_a_follow_from_another(
    new_instance, password_file: Path
) -> None:
    a: FedihubInstance = new_instance("a")
    await a.acli("account", "create", "--data", a.data, "org", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org")  # fmt: skip
    await a.start()
    hub = f"{a.base_url}/hubs/climate"
    async with RemoteServer(hosts=2) as remote:
        alice = remote.add_actor("alice", host_index=0)
        member = remote.add_actor("member", host_index=1)
        group = remote.add_actor("group", host_index=1, actor_type="Group")
        # A member publishing for their group (as Mobilizon does): we fetch the group server's
        # own copy of each object, and this server never answers those fetches.
        for n in range(STALLING):
            obj = {"id": f"{remote.base_url(1)}/stall/{n}", "type": "Note",
                   "attributedTo": group.id, "content": "never fetched", "to": [f"{AS}#Public"]}
            create = {"@context": AS, "id": f"{member.id}/creates/{n}", "type": "Create",
                      "actor": member.id, "object": obj, "to": [f"{AS}#Public"]}  # fmt: skip
            assert (await remote.post(f"{a.base_url}/inbox", create, member)).status == 202

        async def stalling() -> bool:
            return bool(remote.stalled)

        await eventually(stalling, what="a fetch of a stalling object to be under way")
        follow = {"@context": AS, "id": f"{alice.id}#follows/1", "type": "Follow",
                  "actor": alice.id, "object": hub}  # fmt: skip
        sent_at = time.monotonic()
        assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 202

        async def accepted() -> bool:
            answers = remote.received_by("/users/alice")
            return any(r.activity.get("type") == "Accept" for r in answers)

        await eventually(accepted, timeout_s=10, what="the Accept of alice's Follow")
        waited = time.monotonic() - sent_at
        assert waited < 2.0, f"the Accept took {waited:.2f} s behind a stalling host"
        # The stalled activities are all still kept, waiting their turn or a retry.
        kept = a.query("SELECT count(*) FROM inbox_items WHERE actor_uri = ?"
                       " AND state IN ('pending', 'running')", (member.id,))  # fmt: skip
        assert kept[0][0] == STALLING
        # Only one of them is fetched at a time: one actor's items are handled in order.
        assert len(remote.stalled) <= 1
