"""Several `fedihub serve` processes of one PostgreSQL-backed instance, as an operator runs
them on one machine: one data directory, one database, a port each. Each answers, each takes
part in the work, and a follower on another server receives each post once.

Followers live on loopback 'instances' (ports of one stand-in server that verifies every
signature with bovine and records what it receives); none has a shared inbox, so every
follower is a delivery of its own."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.postgres import PostgresCluster
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation

HUB = "relief"


@pytest.fixture
async def cluster_of(
    tmp_path: Path, postgres_cluster: PostgresCluster, password_file: Path
) -> AsyncIterator[Callable[[int], Awaitable[list[FedihubInstance]]]]:
    """`await cluster_of(n)`: an instance on PostgreSQL with a hub and its organiser, served by
    `n` processes, all started; stopped (and the database dropped) when the test ends."""
    made: list[FedihubInstance] = []

    async def start(count: int) -> list[FedihubInstance]:
        first = FedihubInstance(tmp_path, "a", cluster=postgres_cluster)
        made.append(first)
        first.init()
        first.cli("account", "create", "--data", first.data, "org", "--admin",
                  "--password-file", password_file)  # fmt: skip
        first.cli("hub", "create", "--data", first.data, HUB, "--name", "Sandy relief")
        made.extend(first.another_process(f"a{n}") for n in range(2, count + 1))
        for process in made:
            await process.start()
        return list(made)

    yield start
    for process in reversed(made):  # the first, which owns the database, last
        await process.stop()
    if made:
        made[0].drop_database()


async def follow_through_each(
    processes: list[FedihubInstance], remote: RemoteServer, per_host: int
) -> str:
    """`per_host` followers on each of the remote's hosts, their Follows spread over the
    processes' ports; returns the hub's URI once every follow is accepted."""
    hub = f"{processes[0].base_url}/hubs/{HUB}"
    follows = []
    for host in range(len(remote.ports)):
        for n in range(per_host):
            actor = remote.add_actor(f"v{n}", host_index=host, shared_inbox=False)
            through = processes[(host * per_host + n) % len(processes)]
            follow = {"id": f"{actor.id}#follow", "type": "Follow", "actor": actor.id,
                      "object": hub}  # fmt: skip
            follows.append(remote.post(f"{through.listening_url}/hubs/{HUB}/inbox", follow, actor))
    assert [r.status for r in await asyncio.gather(*follows)] == [202] * len(follows)
    expected = len(remote.ports) * per_host

    async def all_following() -> bool:
        rows = processes[0].query("SELECT count(*) FROM followers WHERE state = 'accepted'")
        return bool(rows[0][0] == expected)

    await eventually(all_following, timeout_s=60, what=f"{expected} followers")
    return hub


async def publish(instance: FedihubInstance, tmp_path: Path, text: str) -> None:
    post = tmp_path / "post.md"
    post.write_text(text)
    await instance.acli("post", "--data", instance.data, HUB, "--as", "org", post)


def creates(remote: RemoteServer) -> Counter[tuple[str, str]]:
    """(inbox, post) of each Create received, counted."""
    return Counter(
        (r.url, str(r.activity["object"]["id"]))
        for r in remote.received
        if r.activity["type"] == "Create"
    )


async def all_sent(instance: FedihubInstance) -> None:
    async def settled() -> bool:
        rows = instance.query(
            "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'running')"
        )
        return bool(rows[0][0] == 0)

    await eventually(settled, timeout_s=60, what="every delivery to be recorded")


async def test_two_serve_processes_both_answer_and_a_follower_receives_each_post_once(
    cluster_of: Callable[[int], Awaitable[list[FedihubInstance]]], tmp_path: Path
) -> None:
    async with RemoteServer(hosts=2) as remote:
        processes = await cluster_of(2)
        async with aiohttp.ClientSession() as session:
            for process in processes:  # each one answers, for the same instance
                url = f"{process.listening_url}/hubs/{HUB}"
                headers = {"Accept": "application/activity+json"}
                async with session.get(url, headers=headers) as resp:
                    assert resp.status == 200
                    assert json.loads(await resp.text())["id"] == f"{process.base_url}/hubs/{HUB}"
        await follow_through_each(processes, remote, per_host=2)
        for n in range(4):
            await publish(processes[n % 2], tmp_path, f"Shift {n}: volunteers needed at 9.\n")

        async def each_post_arrived() -> bool:
            return len(creates(remote)) == 4 * 4  # 4 posts to 4 followers' inboxes

        await eventually(each_post_arrived, timeout_s=60, what="every post at every follower")
        await all_sent(processes[0])
        assert remote.rejected == []
        assert all(n == 1 for n in creates(remote).values()), creates(remote).most_common(3)


async def test_three_serve_processes_drain_one_delivery_queue_nothing_lost_or_doubled(
    cluster_of: Callable[[int], Awaitable[list[FedihubInstance]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each process sends only a few at once, so one of them cannot take the whole queue.
    monkeypatch.setenv("FEDIHUB_DELIVERY_CONCURRENCY", "8")
    async with RemoteServer(hosts=20) as remote:
        processes = await cluster_of(3)
        await follow_through_each(processes, remote, per_host=10)
        remote.delay_s = 0.05
        await publish(processes[0], tmp_path, "Volunteers needed in Rockaway tomorrow at 9.\n")

        async def all_delivered() -> bool:
            return len(creates(remote)) == 200

        await eventually(all_delivered, timeout_s=90, what="the post at 200 inboxes")
        await all_sent(processes[0])
        assert all(n == 1 for n in creates(remote).values()), creates(remote).most_common(3)
        # The last owner of each delivery's lease stays on its row: all three did some.
        owners = processes[0].query(
            "SELECT DISTINCT d.locked_by FROM deliveries d JOIN outbox_activities o"
            " ON o.id = d.activity_id WHERE o.type = 'Create' AND d.state = 'done'"
        )
        assert len(owners) == 3, owners
