"""Kill fedihub in the middle of a fan-out and start it again: no follower's inbox loses the post.

Followers live on 30 loopback 'instances' (ports of one stand-in server that verifies every
signature with bovine); 10 of them have a shared inbox, 20 do not, so one post means
10 + 200 = 210 deliveries. The receivers answer slowly (0.4 s) so the kill lands mid-way."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.postgres import PostgresCluster
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation

HOSTS, SHARED_HOSTS, PER_HOST = 30, 10, 10


async def hub_with_followers(a: FedihubInstance, remote: RemoteServer) -> str:
    a.cli("hub", "create", "--data", a.data, "relief", "--name", "Sandy relief")
    await a.start()
    hub = f"{a.base_url}/hubs/relief"
    follows = []
    for host in range(HOSTS):
        for n in range(PER_HOST):
            actor = remote.add_actor(f"v{n}", host_index=host, shared_inbox=host < SHARED_HOSTS)
            follow = {"id": f"{actor.id}#follow", "type": "Follow", "actor": actor.id,
                      "object": hub}  # fmt: skip
            follows.append(remote.post(f"{hub}/inbox", follow, actor))
    statuses = [r.status for r in await asyncio.gather(*follows)]
    assert statuses == [202] * HOSTS * PER_HOST

    async def all_following() -> bool:
        rows = a.query("SELECT count(*) FROM followers WHERE state = 'accepted'")
        return rows[0][0] == HOSTS * PER_HOST

    await eventually(all_following, timeout_s=60, what="300 followers")
    return hub


def expected_inboxes(remote: RemoteServer) -> set[str]:
    inboxes = set()
    for actor in remote.actors.values():
        inboxes.add(f"{actor.base_url}/inbox" if actor.shared_inbox else actor.inbox)
    return inboxes


def creates(remote: RemoteServer) -> Counter[str]:
    return Counter(r.url for r in remote.received if r.activity["type"] == "Create")


async def post_then_interrupt(
    tmp_path: Path, how: int, cluster: PostgresCluster | None
) -> tuple[Counter[str], set[str], int, list[str]]:
    async with RemoteServer(hosts=HOSTS) as remote:
        # Created once the receiver's ports are bound, so its free port cannot be one of them.
        a = FedihubInstance(tmp_path, "a", cluster=cluster)
        try:
            a.init()
            a.cli("account", "create", "--data", a.data, "org", "--admin", "--password-file",
                  _password(tmp_path))  # fmt: skip
            await hub_with_followers(a, remote)
            remote.delay_s = 0.4
            post = tmp_path / "post.md"
            post.write_text("Volunteers needed in Rockaway tomorrow at 9.\n")
            await a.acli("post", "--data", a.data, "relief", "--as", "org", post)

            async def part_delivered() -> bool:
                return sum(creates(remote).values()) >= 60

            await eventually(part_delivered, what="the fan-out to start")
            at_interrupt = sum(creates(remote).values())
            code = await a.stop(how)
            if how == signal.SIGTERM:
                assert code == 0, f"not a graceful stop: exit code {code}"
            remote.delay_s = 0.0
            await a.start()
            expected = expected_inboxes(remote)

            async def all_delivered() -> bool:
                return set(creates(remote)) == expected

            await eventually(all_delivered, timeout_s=60, what="every inbox to get the post")

            async def queue_settled() -> bool:
                return a.query("SELECT count(*) FROM deliveries WHERE state = 'running'")[0][0] == 0

            await eventually(queue_settled, what="the last answers to be recorded")
            rows = a.query("SELECT d.inbox, d.state FROM deliveries d JOIN outbox_activities o"
                           " ON o.id = d.activity_id WHERE o.type = 'Create'")  # fmt: skip
            assert {state for _, state in rows} <= {"done", "pending"}  # nothing abandoned
            # A retry still queued (a transient error after the restart) is only ever for an
            # inbox that already holds the post: a would-be duplicate, never a missing copy.
            assert {inbox for inbox, state in rows if state == "pending"} <= set(creates(remote))
            assert remote.rejected == []  # every request carried a signature bovine verified
            return creates(remote), expected, at_interrupt, [state for _, state in rows]
        finally:
            await a.stop()
            a.drop_database()


def _password(tmp_path: Path) -> Path:
    path = tmp_path / "pw"
    path.write_text("organise-together\n")
    return path


async def test_graceful_restart_mid_fan_out_delivers_exactly_once(
    tmp_path: Path, suite_cluster: PostgresCluster | None
) -> None:
    received, expected, at_interrupt, states = await post_then_interrupt(
        tmp_path, signal.SIGTERM, suite_cluster
    )
    assert 0 < at_interrupt < len(expected)
    assert set(states) == {"done"}  # no retry queued either: nothing will arrive twice later
    assert (
        set(received) == expected
        and len(expected) == SHARED_HOSTS + (HOSTS - SHARED_HOSTS) * PER_HOST
    )
    assert all(n == 1 for n in received.values()), received.most_common(3)


async def test_killed_mid_fan_out_loses_nothing(
    tmp_path: Path, suite_cluster: PostgresCluster | None
) -> None:
    received, expected, at_interrupt, _ = await post_then_interrupt(
        tmp_path, signal.SIGKILL, suite_cluster
    )
    assert 0 < at_interrupt < len(expected)
    assert set(received) == expected  # no inbox lost the post
    # Only requests in flight at the kill can arrive twice (receivers dedupe by activity id):
    # at most the global concurrency limit, never a second full fan-out.
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= 128
