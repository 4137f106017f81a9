"""Several processes claim from one queue on PostgreSQL: no row is leased twice, none is left.

Each "process" here is a database of its own (its own connection pool and its own write lock,
as each `fedihub serve` has), all on one PostgreSQL database, claiming at the same time on one
event loop. tests/federation/test_cluster.py does the same with real `fedihub serve` processes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from fedihub import jobs
from fedihub.clock import FixedClock
from fedihub.db import Database
from fedihub.engine import open_database
from fedihub.inbox import store as inbox
from fedihub.inbox.validate import Incoming
from fedihub.jobs import QueuePolicy, Retry, exponential
from fedihub.postgres import PostgresDatabase

T0 = 1_800_000_000.0
POLICY = QueuePolicy(
    table="chores",
    key_column="host",
    finished_at_column="finished_at",
    retry=Retry(exponential(10.0), max_attempts=3),
)
PROCESSES, HOSTS, PER_HOST = 3, 30, 60  # 1,800 rows
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
