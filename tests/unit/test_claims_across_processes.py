"""Several processes claim from one queue on PostgreSQL: no row is leased twice, none is left,
and a host's delivery limit holds for them all together.

Each "process" here is a database of its own (its own connection pool and its own write lock,
as each `fedihub serve` has), all on one PostgreSQL database, claiming at the same time on one
event loop. tests/federation/test_cluster.py does the same with real `fedihub serve` processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from fedihub import jobs
from fedihub.clock import FixedClock
from fedihub.db import Database
from fedihub.engine import open_database
from fedihub.hubs.service import create_hub
from fedihub.inbox import store as inbox
from fedihub.inbox.validate import Incoming
from fedihub.instance import init_instance
from fedihub.jobs import KeyedSlots, QueuePolicy, Retry, exponential
from fedihub.outbox import store as outbox
from fedihub.postgres import PostgresDatabase
from tests.support.network import free_port

T0 = 1_800_000_000.0
POLICY = QueuePolicy(
    table="chores",
    key_column="host",
    finished_at_column="finished_at",
    retry=Retry(exponential(10.0), max_attempts=3),
)
PROCESSES, HOSTS, PER_HOST = 3, 30, 60  # 1,800 rows
REPO = Path(__file__).parents[2]
Claim = Callable[[Database, str], Awaitable[list[int]]]


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[list[Database]]:
    opened = [await PostgresDatabase.open(postgres_url) for _ in range(PROCESSES)]
    yield list(opened)
    for db in opened:
        await db.close()


async def drain(databases: list[Database], table: str, claim: Claim) -> dict[str, list[int]]:
    """Every process claims and finishes rows until none is left; what each one claimed."""
    claimed: dict[str, list[int]] = {}

    async def work(db: Database, owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while True:
            ids = await claim(db, owner)
            if not ids:
                left = await db.fetchval(f"SELECT count(*) FROM {table} WHERE state = 'pending'")
                if left == 0:
                    return
                await asyncio.sleep(0.001)
                continue
            mine.extend(ids)
            await db.execute(
                f"UPDATE {table} SET state = 'done' WHERE id IN"
                " (SELECT value::bigint FROM json_array_elements_text(CAST(? AS json)) AS value)",
                (json.dumps(ids),),
            )

    await asyncio.gather(*(work(db, f"process-{n}") for n, db in enumerate(databases)))
    return claimed


def assert_each_row_claimed_once(claimed: dict[str, list[int]], all_ids: set[int]) -> None:
    counts = Counter(i for ids in claimed.values() for i in ids)
    assert [i for i, n in counts.items() if n > 1] == []  # nothing doubled
    assert set(counts) == all_ids  # nothing lost
    assert all(claimed.values()), {o: len(ids) for o, ids in claimed.items()}  # all took part


async def test_processes_claiming_one_job_queue_never_share_a_row(
    processes: list[Database],
) -> None:
    first = processes[0]
    await first.execute(
        "CREATE TABLE chores (id BIGSERIAL PRIMARY KEY, host TEXT NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
        " next_try_at DOUBLE PRECISION NOT NULL, locked_until DOUBLE PRECISION,"
        " locked_by TEXT, finished_at DOUBLE PRECISION)"
    )
    async with first.transaction() as tx:
        await tx.executemany(
            "INSERT INTO chores (host, next_try_at) VALUES (?, ?)",
            [(f"h{h}.example", T0 - n) for n in range(PER_HOST) for h in range(HOSTS)],
        )
    all_ids = {r[0] for r in await first.fetchall("SELECT id FROM chores")}

    async def claim(db: Database, owner: str) -> list[int]:
        rows = await jobs.claim_due(
            db, POLICY, now=T0, limit=40, per_key=4, busy={}, columns="id", owner=owner
        )
        return [r["id"] for r in rows]

    assert_each_row_claimed_once(await drain(processes, "chores", claim), all_ids)


async def test_processes_claiming_the_inbox_never_share_an_item(
    processes: list[Database],
) -> None:
    first = processes[0]
    async with first.transaction() as tx:
        await tx.executemany(
            "INSERT INTO inbox_items (activity_uri, actor_uri, actor_host, type, document,"
            " next_try_at, received_at) VALUES (?, ?, ?, 'Like', '{}', ?, ?)",
            [(f"https://h{h}.example/likes/{n}", f"https://h{h}.example/users/u",
              f"h{h}.example", T0 - n, T0) for n in range(PER_HOST) for h in range(HOSTS)],
        )  # fmt: skip
    all_ids = {r[0] for r in await first.fetchall("SELECT id FROM inbox_items")}

    async def claim(db: Database, owner: str) -> list[int]:
        items = await inbox.claim_due(db, now=T0, limit=40, per_host=4, full_hosts=(), owner=owner)
        return [i.id for i in items]

    assert_each_row_claimed_once(await drain(processes, "inbox_items", claim), all_ids)


async def test_an_activity_two_processes_store_at_once_is_stored_and_new_once(
    processes: list[Database],
) -> None:
    clock = FixedClock(T0)
    like = Incoming("https://a.example/likes/1", "Like", "https://a.example/users/ana", {}, "{}")
    writers = [inbox.InboxWriter(db, clock) for db in processes]
    fresh = await asyncio.gather(*(w.store(like) for w in writers for _ in range(3)))
    assert sorted(fresh) == [False] * (len(fresh) - 1) + [True]
    assert await processes[0].fetchval("SELECT count(*) FROM inbox_items") == 1


async def test_two_processes_storing_one_batch_in_opposite_orders_do_not_deadlock(
    processes: list[Database],
) -> None:
    """A server delivering the same activities to two processes (a hub's inbox and a
    person's, behind one balancer): each batch locks their ids in one order, not arrival's."""
    clock = FixedClock(T0)
    writers = [inbox.InboxWriter(db, clock) for db in processes[:2]]
    ana = "https://a.example/users/ana"
    for w in writers:
        w.start()
    try:
        for round_ in range(5):
            likes = [
                Incoming(f"https://a.example/likes/{round_}/{n}", "Like", ana, {}, "{}")
                for n in range(200)
            ]
            fresh = await asyncio.gather(
                *(writers[0].store(like) for like in likes),
                *(writers[1].store(like) for like in reversed(likes)),
            )  # a deadlock fails every activity of the batch PostgreSQL chose to end
            assert fresh.count(True) == len(likes)
    finally:
        for w in writers:
            await w.stop()


async def test_hosts_marked_healthy_in_opposite_orders_do_not_deadlock(
    processes: list[Database],
) -> None:
    hosts = [f"h{n}.example" for n in range(3000)]
    for round_ in range(5):
        async with processes[0].transaction() as tx:
            await tx.executemany(
                "INSERT INTO host_failure_days (host, day) VALUES (?, ?)",
                [(h, f"2027-01-{round_ + 1:02}") for h in hosts],
            )

        async def healthy(db: Database, order: list[str]) -> None:
            async with db.transaction() as tx:
                await outbox.mark_hosts_healthy(tx, order)

        await asyncio.gather(healthy(processes[0], hosts), healthy(processes[1], hosts[::-1]))
        assert await processes[0].fetchval("SELECT count(*) FROM host_failure_days") == 0


async def test_a_batch_holding_one_activity_twice_stores_it_once(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "inbox.sqlite3")
    try:
        writer = inbox.InboxWriter(db, FixedClock(T0))
        one, two = (Incoming(f"https://a.example/likes/{n}", "Like", "https://a.example/users/ana",
                             {}, "{}") for n in (1, 2))  # fmt: skip
        writer.start()  # requests waiting together are written in one batch
        try:
            assert await asyncio.gather(*map(writer.store, [one, two, one])) == [True, True, False]
            assert await writer.store(two) is False
        finally:
            await writer.stop()
        assert await db.fetchval("SELECT count(*) FROM inbox_items") == 2
    finally:
        await db.close()


async def add_deliveries(
    db: Database, hosts: dict[str, int], base: str = "", due_at: float = T0
) -> set[int]:
    """`hosts[h]` pending deliveries to host h (to inboxes at `base` if given), all due at
    `due_at`; their ids."""
    await create_hub(db, "climate", name="Climate", summary="")
    async with db.transaction() as tx:
        (actor_id,) = await tx.fetchone("SELECT id FROM local_actors") or (None,)
        activity_id = await tx.insert(
            "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
            " VALUES ('https://here.example/a/1', ?, 'Create', 1, '{}', ?)", (actor_id, due_at),
        )  # fmt: skip
        await tx.executemany(
            "INSERT INTO deliveries (activity_id, inbox, host, next_try_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(activity_id, f"{base or 'https://' + host}/u{n}/inbox", host, due_at - n, due_at)
             for host, count in hosts.items() for n in range(count)],
        )  # fmt: skip
    return {r[0] for r in await db.fetchall("SELECT id FROM deliveries")}


async def test_a_hosts_delivery_limit_holds_across_processes_at_every_claim(
    processes: list[Database],
) -> None:
    """Three processes send to one host (and a few others), each holding its requests a while:
    at no claim are more than `per_host` deliveries running for that host in all."""
    per_host, host = 8, "busy.example"
    all_ids = await add_deliveries(processes[0], {host: 240, "a.example": 20, "b.example": 20})
    seen_running: list[int] = []

    async def work(db: Database, owner: str) -> list[int]:
        mine: list[int] = []
        in_flight = KeyedSlots(per_host)
        requests: set[asyncio.Task[None]] = set()

        async def send(delivery: outbox.Delivery) -> None:
            await asyncio.sleep(0.002 * (delivery.id % 5))  # a request takes a while
            await db.execute(
                "UPDATE deliveries SET state = 'done', locked_by = NULL WHERE id = ?",
                (delivery.id,),
            )
            in_flight.give_back(delivery.host)

        while True:
            claimed = await outbox.claim_due(
                db, now=T0, limit=32 - len(in_flight), per_host=per_host,
                in_flight=in_flight.as_counts(), owner=owner,
            )  # fmt: skip
            seen_running.append(await db.fetchval(
                "SELECT count(*) FROM deliveries WHERE host = ? AND state = 'running'", (host,)
            ))  # fmt: skip
            for delivery in claimed:
                in_flight.take(delivery.host)
                mine.append(delivery.id)
                requests.add(task := asyncio.create_task(send(delivery)))
                task.add_done_callback(requests.discard)
            if not claimed:
                if not requests and not await db.fetchval(
                    "SELECT count(*) FROM deliveries WHERE state <> 'done'"
                ):
                    return mine
                await asyncio.sleep(0.001)

    owners = [f"process-{n}" for n in range(PROCESSES)]
    done = await asyncio.gather(*(work(db, o) for db, o in zip(processes, owners, strict=True)))
    assert max(seen_running) == per_host, Counter(seen_running)  # reached, never passed
    assert_each_row_claimed_once(dict(zip(owners, done, strict=True)), all_ids)


async def test_three_delivering_processes_keep_a_hosts_limit_together(
    tmp_path: Path, postgres_url: str
) -> None:
    """Real processes, each running the delivery worker as `fedihub serve` does, send to one
    host (a loopback server that counts the requests it is answering at once): never more than
    `delivery_per_host` at a time, every delivery once."""
    per_host, count = 8, 120
    data = tmp_path / "data"
    await init_instance(data, f"localhost:{free_port()}", insecure_http=True, database=postgres_url)
    answering, most, received = 0, 0, Counter[str]()

    async def inbox(request: web.Request) -> web.Response:
        nonlocal answering, most
        answering += 1
        most = max(most, answering)
        received[request.path] += 1
        await asyncio.sleep(0.02)
        answering -= 1
        return web.Response(status=202)

    site = web.Application()
    site.router.add_post("/{user}/inbox", inbox)
    runner = web.AppRunner(site, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    db = await PostgresDatabase.open(postgres_url)
    try:
        await add_deliveries(db, {"busy.example": count}, f"http://127.0.0.1:{port}", due_at=0.0)
        environment = {**os.environ, "FEDIHUB_DELIVERY_PER_HOST": str(per_host),
                       "PYTHONPATH": str(REPO)}  # fmt: skip
        command = [sys.executable, "-m", "tests.support.delivery_process", str(data)]
        workers = []
        for _ in range(PROCESSES):
            started = await asyncio.create_subprocess_exec(*command, cwd=REPO, env=environment)
            workers.append(started)
        codes = await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), 60)
    finally:
        await db.close()
        await runner.cleanup()
    assert codes == [0] * PROCESSES
    assert most == per_host  # reached, never passed
    assert sorted(received.values()) == [1] * count


async def test_claims_of_one_queue_take_turns_across_processes(
    processes: list[Database],
) -> None:
    """While one process claims (its transaction holds the queue's claim lock), another's claim
    of that queue waits for it, and then sees what it took; another queue's claims go on."""
    first, second, _ = processes
    await add_deliveries(first, {"busy.example": 10})
    async with first.transaction() as tx:
        await jobs.claims_one_at_a_time(tx, "deliveries")
        await tx.execute(
            "UPDATE deliveries SET state = 'running', locked_until = ?, locked_by = 'first'"
            " WHERE id IN (SELECT id FROM deliveries ORDER BY id LIMIT 6)", (T0 + 300,)
        )  # fmt: skip
        waiting = asyncio.create_task(outbox.claim_due(
            second, now=T0, limit=10, per_host=8, in_flight={}, owner="second"))  # fmt: skip
        async with second.transaction() as other:  # another queue's claims do not wait
            await asyncio.wait_for(jobs.claims_one_at_a_time(other, "feed_sources"), 5)
        await asyncio.sleep(0.2)
        assert not waiting.done()
    assert len(await asyncio.wait_for(waiting, 5)) == 2  # the host's last two slots


def test_on_postgresql_each_server_process_leases_under_a_name_of_its_own(
    tmp_path: Path,
) -> None:
    assert jobs.server_owner(tmp_path, "sqlite") == jobs.server_owner(tmp_path / ".", "sqlite")
    assert jobs.server_owner(tmp_path, "postgresql") == jobs.THIS_PROCESS
    other = subprocess.run(
        [sys.executable, "-c", "from fedihub import jobs; print(jobs.THIS_PROCESS)"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
    ).stdout.strip()  # fmt: skip
    assert other != jobs.THIS_PROCESS and other.startswith(jobs.THIS_MACHINE)


def pid_of_a_process_gone() -> str:
    return subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip


def test_owners_known_dead_are_processes_of_this_machine_that_are_gone() -> None:
    gone = pid_of_a_process_gone()
    dead = f"{jobs.THIS_MACHINE}:pid-{gone}:0a1b2c3d"
    alive = jobs.THIS_PROCESS.rsplit(":", 1)[0] + ":99999999"  # this process, another suffix
    elsewhere = f"other-host/ns:pid-{gone}:0a1b2c3d"
    sqlite_server = "host:/srv/fedihub"
    assert jobs.dead_owners_here([alive, dead, elsewhere, sqlite_server]) == [dead]


async def test_a_process_starting_takes_back_the_leases_of_dead_processes_here_only(
    tmp_path: Path,
) -> None:
    gone = pid_of_a_process_gone()
    db = await open_database(tmp_path / "jobs.sqlite3")
    try:
        await db.execute(
            "CREATE TABLE chores (id INTEGER PRIMARY KEY, host TEXT NOT NULL, state TEXT NOT NULL,"
            " next_try_at REAL NOT NULL, locked_until REAL, locked_by TEXT, finished_at REAL)"
        )
        owners = [f"{jobs.THIS_MACHINE}:pid-{gone}:0a1b2c3d",  # died here: back at once
                  jobs.THIS_PROCESS.rsplit(":", 1)[0] + ":99999999",  # alive here
                  f"other-host/ns:pid-{gone}:0a1b2c3d"]  # fmt: skip  # elsewhere: its lease
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO chores (host, state, next_try_at, locked_until, locked_by)"
                " VALUES ('a.example', 'running', ?, ?, ?)",
                [(T0, T0 + 300, owner) for owner in owners],
            )
        assert await jobs.release_claims(db, POLICY, "a-new-process", T0) == 1
        rows = await db.fetchall("SELECT state FROM chores ORDER BY id")
        assert [r[0] for r in rows] == ["pending", "running", "running"]
    finally:
        await db.close()


async def test_a_lease_held_by_a_process_of_this_machine_that_is_gone_is_taken_at_once(
    tmp_path: Path,
) -> None:
    gone = pid_of_a_process_gone()
    dead, alive = f"{jobs.THIS_MACHINE}:pid-{gone}:0a1b2c3d", jobs.THIS_PROCESS
    elsewhere = f"other-host/ns:pid-{gone}:0a1b2c3d"  # its PID means nothing here
    db = await open_database(tmp_path / "jobs.sqlite3")
    try:
        assert await jobs.hold_lease(db, "tick", alive, T0, 60.0)
        assert not await jobs.hold_lease(db, "tick", dead, T0, 60.0)
        await db.execute("UPDATE leases SET owner = ?", (elsewhere,))
        assert not await jobs.hold_lease(db, "tick", alive, T0 + 1, 60.0)
        await db.execute("UPDATE leases SET owner = ?", (dead,))
        assert await jobs.hold_lease(db, "tick", alive, T0 + 1, 60.0)
    finally:
        await db.close()


async def test_an_actors_later_item_waits_while_another_process_runs_its_earlier_one(
    processes: list[Database],
) -> None:
    """A Follow and its Undo from one actor, claimed by two processes: the Undo is not handed
    to the second while the first is still running the Follow (the Undo could finish first and
    leave the follow in place); once the Follow is done, it is."""
    first, second = processes[0], processes[1]
    async with first.transaction() as tx:
        await tx.executemany(
            "INSERT INTO inbox_items (activity_uri, actor_uri, actor_host, type, document,"
            " next_try_at, received_at) VALUES (?, 'https://h.example/users/u', 'h.example',"
            " ?, 'null', ?, ?)",
            [("https://h.example/follow", "Follow", T0, T0),
             ("https://h.example/undo", "Undo", T0, T0)],
        )  # fmt: skip
    claim = {"now": T0, "per_host": 4, "full_hosts": ()}
    follow = await inbox.claim_due(first, limit=1, owner="process-a", **claim)
    assert [i.type for i in follow] == ["Follow"]
    assert await inbox.claim_due(second, limit=10, owner="process-b", **claim) == []
    # The same process may take it: its own lanes keep one actor's items in order.
    await first.execute("UPDATE inbox_items SET state = 'done' WHERE type = 'Follow'")
    undo = await inbox.claim_due(second, limit=10, owner="process-b", **claim)
    assert [i.type for i in undo] == ["Undo"]
