"""Several `fedihub serve` processes of one PostgreSQL-backed instance, as an operator runs
them on one machine: one data directory, one database, a port each. Each answers, each takes
part in the work, and a follower on another server receives each post once.

Followers live on loopback 'instances' (ports of one stand-in server that verifies every
signature with bovine and records what it receives); none has a shared inbox, so every
follower is a delivery of its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from fedihub.postgres import LISTENER_NAME
from tests.support.instances import FedihubInstance
from tests.support.network import eventually, free_port, listening_sockets
from tests.support.postgres import PostgresCluster
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation

HUB = "relief"


@dataclass
class Cluster:
    web: list[FedihubInstance]  # `fedihub serve` processes
    workers: list[FedihubInstance] = field(default_factory=list)  # `fedihub worker` processes


@pytest.fixture
async def cluster(
    tmp_path: Path, postgres_cluster: PostgresCluster, password_file: Path
) -> AsyncIterator[Callable[..., Awaitable[Cluster]]]:
    """`await cluster(n)`: an instance on PostgreSQL with a hub and its organiser, served by
    `n` processes, all started; stopped (and the database dropped) when the test ends. With
    `workers=w`, the `n` serve the web only (`--no-workers`) and `w` `fedihub worker`
    processes do the background work."""
    made: list[FedihubInstance] = []

    async def start(count: int, *, workers: int = 0) -> Cluster:
        first = FedihubInstance(tmp_path, "a", cluster=postgres_cluster)
        made.append(first)
        first.init()
        first.cli("account", "create", "--data", first.data, "org", "--admin",
                  "--password-file", password_file)  # fmt: skip
        first.cli("hub", "create", "--data", first.data, HUB, "--name", "Sandy relief")
        made.extend(first.another_process(f"a{n}") for n in range(2, count + 1))
        flags = ("--no-workers",) if workers else ()
        for process in made:
            await process.start(*flags)
        started = Cluster(list(made))
        for n in range(1, workers + 1):
            worker = first.another_process(f"worker{n}")
            made.append(worker)
            await worker.start_worker()
            started.workers.append(worker)
        return started

    yield start
    for process in reversed(made):  # the first, which owns the database, last
        await process.stop()
    if made:
        made[0].drop_database()


@pytest.fixture
def cluster_of(
    cluster: Callable[..., Awaitable[Cluster]],
) -> Callable[[int], Awaitable[list[FedihubInstance]]]:
    """`await cluster_of(n)`: `cluster(n)`'s serve processes, each running workers too."""

    async def start(count: int) -> list[FedihubInstance]:
        return (await cluster(count)).web

    return start


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

    await eventually(all_following, timeout_s=240, what=f"{expected} followers")
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


def received(remote: RemoteServer, kind: str) -> Counter[tuple[str, str]]:
    """(inbox, object id) of each `kind` activity received, counted."""
    return Counter(
        (r.url, str(r.activity["object"]["id"]))
        for r in remote.received
        if r.activity["type"] == kind
    )


async def all_sent(instance: FedihubInstance) -> None:
    async def settled() -> bool:
        rows = instance.query(
            "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'running')"
        )
        return bool(rows[0][0] == 0)

    await eventually(settled, timeout_s=120, what="every delivery to be recorded")


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


def pid_of(owner: str) -> int:
    """The process id in a lease owner's name (jobs.THIS_PROCESS: HOST/NS:pid-PID:RANDOM)."""
    return int(owner.rsplit(":pid-", 1)[1].split(":", 1)[0])


async def test_three_worker_processes_beside_a_web_only_one_send_thousands_each_exactly_once(
    cluster: Callable[..., Awaitable[Cluster]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each worker sends only a few at once, so one of them cannot take the whole queue.
    monkeypatch.setenv("FEDIHUB_DELIVERY_CONCURRENCY", "8")
    async with RemoteServer(hosts=20) as remote:
        started = await cluster(1, workers=3)
        # 2,000 Follows to the web-only process: 2,000 inbox items for the workers, each
        # answered by an Accept; then one post: 2,000 Creates, one per follower.
        await follow_through_each(started.web, remote, per_host=100)
        remote.delay_s = 0.02
        await publish(started.web[0], tmp_path, "Volunteers needed in Rockaway tomorrow at 9.\n")

        async def all_delivered() -> bool:
            return len(creates(remote)) == 2000

        await eventually(all_delivered, timeout_s=240, what="the post at 2,000 inboxes")
        await all_sent(started.web[0])
        # Every Follow handled once and recorded: none left running (its result lost) to be
        # handled again when its lease runs out.
        inbox = "SELECT state, count(*) FROM inbox_items GROUP BY state"
        await eventually(
            lambda: _yes(started.web[0].query(inbox) == [("done", 2000)]),
            timeout_s=10,
            what="every inbox item recorded as done",
        )
        assert remote.rejected == []
        for kind in ("Accept", "Create"):  # none lost, none doubled
            counted = received(remote, kind)
            assert len(counted) == 2000, (kind, len(counted))
            assert all(n == 1 for n in counted.values()), (kind, counted.most_common(3))
        # The last owner of each lease stays on its row: every worker process sent and handled
        # some, and the web-only process none.
        workers = {w.process.pid for w in started.workers if w.process}
        for sql in (
            "SELECT d.locked_by, count(*) FROM deliveries d JOIN outbox_activities o"
            " ON o.id = d.activity_id WHERE o.type = 'Create' AND d.state = 'done'"
            " GROUP BY d.locked_by",
            "SELECT locked_by, count(*) FROM inbox_items WHERE state = 'done' GROUP BY locked_by",
        ):
            by_process = {pid_of(owner): n for owner, n in started.web[0].query(sql)}
            assert set(by_process) == workers, (sql, by_process)
            print(sql.split(" FROM ")[1].split()[0], sorted(by_process.values()))  # the shares


IDLE_POLL = "60"  # seconds: an idle worker left alone would not look for a minute


async def follow_and_time(web: FedihubInstance, remote: RemoteServer, name: str) -> float:
    """A remote actor follows the hub through `web`; seconds until its Accept arrives."""
    actor = remote.add_actor(name, shared_inbox=False)
    follow = {"id": f"{actor.id}#follow", "type": "Follow", "actor": actor.id,
              "object": f"{web.base_url}/hubs/{HUB}"}  # fmt: skip
    began = time.monotonic()
    response = await remote.post(f"{web.listening_url}/hubs/{HUB}/inbox", follow, actor)
    assert response.status == 202

    async def accepted() -> bool:
        return any(r.activity["type"] == "Accept" and r.url == actor.inbox for r in remote.received)

    await eventually(accepted, timeout_s=90, what=f"the Accept to {name}")
    return time.monotonic() - began


async def publish_and_time(web: FedihubInstance, remote: RemoteServer, tmp_path: Path) -> float:
    """Publishes from the command line; seconds from the command's end to the post's arrival
    at every follower."""
    before, followers = len(creates(remote)), len(received(remote, "Accept"))
    await publish(web, tmp_path, f"Shift {before}: volunteers needed at 9.\n")
    published = time.monotonic()

    async def arrived() -> bool:
        return len(creates(remote)) == before + followers

    await eventually(arrived, timeout_s=90, what="the post at every follower")
    return time.monotonic() - published


@pytest.fixture
async def one_worker(
    cluster: Callable[..., Awaitable[Cluster]], monkeypatch: pytest.MonkeyPatch
) -> Cluster:
    """A web-only process and one worker, whose idle polls are a minute apart: whatever it does
    sooner, a wake-up from another process started."""
    monkeypatch.setenv("FEDIHUB_WORKER_IDLE_POLL_S", IDLE_POLL)
    monkeypatch.setenv("FEDIHUB_SCHEDULER_INTERVAL_S", IDLE_POLL)
    started = await cluster(1, workers=1)
    await asyncio.sleep(1.0)  # its first passes are over: it is idle, waiting out its poll
    return started


PROMPTLY_S = 5.0  # a wake-up's bound, against a minute's idle poll


async def test_work_written_by_other_processes_wakes_the_worker_at_once(
    one_worker: Cluster, tmp_path: Path
) -> None:
    web = one_worker.web[0]
    async with RemoteServer() as remote:
        # An activity POSTed to the web-only process: its inbox row's NOTIFY wakes the worker.
        followed_in = await follow_and_time(web, remote, "v0")
        # A post published by `fedihub post`, a process of its own: its NOTIFY on the way out.
        published_in = await publish_and_time(web, remote, tmp_path)
        print(f"Follow handled and Accept delivered in {followed_in:.2f} s;"
              f" post delivered {published_in:.2f} s after the command")  # fmt: skip
        assert followed_in < PROMPTLY_S
        assert published_in < PROMPTLY_S


async def test_a_web_only_process_drops_its_cached_pages_when_a_worker_writes(
    one_worker: Cluster,
) -> None:
    """The page cache of a web process (`serve --no-workers`) hears the worker's commits: the
    follow the worker accepts shows on the dashboard it had cached, not a minute later."""
    web = one_worker.web[0]
    page = f"{web.listening_url}/hubs/{HUB}"
    async with RemoteServer() as remote, aiohttp.ClientSession() as session:

        async def shown() -> str:
            async with session.get(page, headers={"Accept": "text/html"}) as resp:
                assert resp.status == 200
                return await resp.text()

        assert "0 followers" in await shown() and "0 followers" in await shown()  # cached
        await follow_and_time(web, remote, "v0")

        async def counted() -> bool:
            return "1 follower" in await shown()

        await eventually(counted, timeout_s=5, what="the new follower on the cached dashboard")


async def test_the_worker_listens_again_when_its_connection_is_terminated(
    one_worker: Cluster, tmp_path: Path
) -> None:
    web, worker = one_worker.web[0], one_worker.workers[0]
    async with RemoteServer() as remote:
        await follow_and_time(web, remote, "v0")
        terminated = web.query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = ?",
            (LISTENER_NAME,),
        )
        # The worker's wake-up listener, and the web process's own for content changes (its
        # page cache): both are cut.
        assert terminated == [(2,)]
        await worker.wait_for_listening(2)
        await web.wait_for_listening(2)
        assert await follow_and_time(web, remote, "v1") < PROMPTLY_S
        assert await publish_and_time(web, remote, tmp_path) < PROMPTLY_S


async def test_a_notice_with_a_stray_payload_does_no_harm(
    one_worker: Cluster, tmp_path: Path
) -> None:
    web, worker = one_worker.web[0], one_worker.workers[0]
    async with RemoteServer() as remote:
        await follow_and_time(web, remote, "v0")
        with web.writing() as sql:
            for channel in ("fedihub_inbox", "fedihub_deliveries", "fedihub_scheduler"):
                for payload in ("", "x" * 7999, "\u202e\U0001f600'; DROP TABLE deliveries; --"):
                    sql.execute("SELECT pg_notify(?, ?)", (channel, payload))
        await asyncio.sleep(1.0)
        assert worker.process is not None and worker.process.poll() is None
        assert "Traceback" not in worker.log.read_text()
        assert await publish_and_time(web, remote, tmp_path) < PROMPTLY_S
        assert all(n == 1 for n in creates(remote).values())


async def test_a_stopped_worker_finishes_and_records_the_deliveries_in_flight(
    cluster: Callable[..., Awaitable[Cluster]], tmp_path: Path
) -> None:
    async with RemoteServer() as remote:
        started = await cluster(1, workers=1)
        web, worker = started.web[0], started.workers[0]
        await follow_and_time(web, remote, "v0")
        remote.delay_s = 3.0  # each answer takes 3 s: the worker is stopped while it waits
        await publish(web, tmp_path, "Volunteers needed at 9.\n")
        await eventually(lambda: _yes(len(creates(remote)) == 1), what="the post on its way")
        began = time.monotonic()
        assert await worker.stop() == 0  # SIGTERM: a clean exit, not a kill
        stopped_in = time.monotonic() - began
        rows = web.query(
            "SELECT d.state, d.attempts FROM deliveries d JOIN outbox_activities o"
            " ON o.id = d.activity_id WHERE o.type = 'Create'"
        )
        assert rows == [("done", 1)], rows  # answered while stopping, and recorded
        assert 2.0 < stopped_in < 30.0, stopped_in


async def test_a_worker_serves_its_own_counts_on_its_metrics_port(
    cluster: Callable[..., Awaitable[Cluster]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a worker delivered is counted in the worker, which serves no web: its own port.
    monkeypatch.setenv("FEDIHUB_METRICS_TOKEN", "scrape-me")
    async with RemoteServer() as remote:
        started = await cluster(1)  # the web process runs no workers once one is added below
        web = started.web[0]
        await web.stop()
        await web.start("--no-workers")
        worker, port = web.another_process("worker-m"), free_port()
        await worker.start_worker("--metrics-port", str(port))
        await follow_and_time(web, remote, "v0")
        await publish_and_time(web, remote, tmp_path)
        url = f"http://127.0.0.1:{port}/metrics"
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                assert resp.status == 401
            auth = {"Authorization": "Bearer scrape-me"}
            async with session.get(url, headers=auth) as resp:
                assert resp.status == 200
                text = await resp.text()
            async with session.get(f"{web.listening_url}/metrics", headers=auth) as resp:
                web_text = await resp.text()
        await worker.stop()
    # The Accept and the Create: two deliveries, each counted once, by the worker that sent it.
    assert sample(text, "fedihub_delivery_latency_seconds_count") == 2.0, text
    assert sample(text, 'fedihub_inbox_items_total{outcome="done"}') == 1.0
    assert sample(web_text, "fedihub_delivery_latency_seconds_count") == 0.0
    # The queues are the cluster's, whoever answers.
    assert 'fedihub_queue_depth{queue="deliveries",state="pending"} 0.0' in text


def sample(text: str, name: str) -> float:
    """The value of the series `name` (with its labels, as printed) in Prometheus' text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in {text[:2000]}")


async def _yes(value: bool) -> bool:
    return value


@pytest.mark.parametrize("command", [["worker"], ["serve", "--no-workers"]])
def test_on_sqlite_web_only_and_worker_processes_are_refused(
    tmp_path: Path, command: list[str]
) -> None:
    instance = FedihubInstance(tmp_path, "solo")
    instance.init()
    result = instance.cli(command[0], "--data", instance.data, *command[1:], check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"fedihub: error: `fedihub {' '.join(command)}` needs PostgreSQL; on SQLite one"
        " `fedihub serve` does all the work\n"
    )


async def test_web_processes_share_one_port_with_reuse_port(
    cluster: Callable[..., Awaitable[Cluster]],
) -> None:
    started = await cluster(1, workers=1)
    first = started.web[0]
    await first.stop()
    await first.start("--no-workers", "--reuse-port")
    second = first.another_process("a2")
    second.port = first.port  # the same port: the kernel spreads connections over both
    try:
        await second.start("--no-workers", "--reuse-port")  # (the first may be the one answering)

        async def both_listen() -> bool:
            assert second.process is not None and second.process.poll() is None, (
                second.log.read_text()[-2000:]
            )
            return listening_sockets(first.port) == 2

        await eventually(both_listen, what="both processes to listen on the port")
        await first.stop()  # the port still answers, through the other process
        text = await second.http_get("/nodeinfo/2.1", accept="application/json")
        assert '"fedihub"' in text
    finally:
        await second.stop()
