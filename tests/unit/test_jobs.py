"""The job machine on a real SQLite database, with a clock the tests set: claims and leases,
release on start, backoff and give-up, pruning, per-key caps and the worker loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from fedihub import jobs
from fedihub.clock import FixedClock
from fedihub.db import Database
from fedihub.engine import open_database
from fedihub.jobs import KeyedSlots, QueuePolicy, Retry, WorkerLoop, exponential

T0 = 1_800_000_000.0
POLICY = QueuePolicy(
    table="chores",
    key_column="host",
    finished_at_column="finished_at",
    retry=Retry(exponential(10.0, cap_s=60.0), max_attempts=3),
    lease_s=100.0,
    keep_finished_s=1000.0,
)
COLUMNS = "id, host, attempts"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "jobs.sqlite3")
    await database.execute(
        "CREATE TABLE chores (id INTEGER PRIMARY KEY, host TEXT NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
        " next_try_at REAL NOT NULL, locked_until REAL, locked_by TEXT, finished_at REAL)"
    )
    yield database
    await database.close()


async def add(db: Database, host: str, due_at: float = T0, count: int = 1) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO chores (host, next_try_at) VALUES (?, ?)", [(host, due_at)] * count
        )


async def claim(
    db: Database,
    clock: FixedClock,
    *,
    per_key: int = 10,
    busy: dict[str, int] | None = None,
    owner: str = "here",
) -> list[int]:
    rows = await jobs.claim_due(
        db, POLICY, now=clock.now(), limit=10, per_key=per_key, busy=busy or {}, columns=COLUMNS,
        owner=owner,
    )  # fmt: skip
    return sorted(r["id"] for r in rows)


async def states(db: Database) -> list[str]:
    return [r[0] for r in await db.fetchall("SELECT state FROM chores ORDER BY id")]


async def test_due_rows_are_claimed_once_under_a_lease(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example")
    await add(db, "a.example", due_at=T0 + 50)  # not yet due
    assert await claim(db, clock) == [1]
    assert await states(db) == ["running", "pending"]
    lease = await db.fetchone("SELECT locked_until, locked_by FROM chores WHERE id = 1")
    assert lease is not None and tuple(lease) == (T0 + 100, "here")
    assert await claim(db, clock) == []  # leased


async def test_an_expired_lease_makes_the_row_due_again(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example")
    assert await claim(db, clock) == [1]
    clock.advance(99)
    assert await claim(db, clock) == []
    clock.advance(2)  # its worker died: the lease ran out
    assert await claim(db, clock) == [1]


async def test_renewed_leases_keep_rows_their_workers(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example")
    assert await claim(db, clock) == [1]
    await jobs.renew_leases(db, POLICY, [1], T0 + 500, "here")
    clock.advance(200)
    assert await claim(db, clock) == []


async def test_a_lease_taken_over_is_not_renewed_by_its_old_owner(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example")
    assert await claim(db, clock, owner="slow") == [1]
    clock.advance(101)  # "slow" hung past its lease
    assert await claim(db, clock, owner="other") == [1]
    await jobs.renew_leases(db, POLICY, [1], T0 + 1000, "slow")
    lease = await db.fetchone("SELECT locked_until, locked_by FROM chores")
    assert lease is not None and tuple(lease) == (T0 + 201, "other")


async def test_claims_left_running_are_released_on_start(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example", count=2)
    assert await claim(db, clock) == [1, 2]
    assert await jobs.release_claims(db, POLICY, "here", clock.now()) == 2
    assert await states(db) == ["pending", "pending"]
    assert await claim(db, clock) == [1, 2]  # at once, not after the lease


async def test_a_process_starting_leaves_another_process_live_leases_alone(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example", count=3)
    assert await claim(db, clock, owner="first") == [1, 2, 3]
    await db.execute("UPDATE chores SET locked_until = ? WHERE id = 3", (T0 - 1,))  # it hangs
    assert await jobs.release_claims(db, POLICY, "second", clock.now()) == 1  # the expired one
    assert await states(db) == ["running", "running", "pending"]
    assert await claim(db, clock, owner="second") == [3]
    # "first" restarting (the same name: the same server) takes its own back at once.
    assert await jobs.release_claims(db, POLICY, "first", clock.now()) == 2
    assert await states(db) == ["pending", "pending", "running"]


async def test_rows_leased_before_leases_had_owners_are_released(db: Database) -> None:
    await add(db, "a.example")
    await db.execute("UPDATE chores SET state = 'running', locked_until = ?", (T0 + 100,))
    assert await jobs.release_claims(db, POLICY, "here", T0) == 1


def test_a_server_owner_names_its_host_and_data_directory(tmp_path: Path) -> None:
    assert jobs.server_owner(tmp_path) == jobs.server_owner(tmp_path / ".")
    assert jobs.server_owner(tmp_path) != jobs.server_owner(tmp_path / "other")
    assert jobs.server_owner(tmp_path) != jobs.THIS_PROCESS


async def test_per_key_caps_count_what_runs_already(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "big.example", count=5)
    await add(db, "small.example")
    assert await claim(db, clock, per_key=3, busy={"big.example": 2}) == [1, 6]
    assert await claim(db, clock, per_key=3, busy={"big.example": 3}) == []
    assert await claim(db, clock, per_key=3) == [2, 3, 4]


async def test_per_key_caps_count_what_other_processes_run(db: Database) -> None:
    """Another owner's live leases take a key's slots here too; once they run out, the rows
    are due again and take none."""
    clock = FixedClock(T0)
    await add(db, "big.example", count=6)
    await add(db, "small.example")
    assert await claim(db, clock, per_key=2, owner="elsewhere") == [1, 2, 7]
    assert await claim(db, clock, per_key=3) == [3]  # one slot left of big.example's three
    assert await claim(db, clock, per_key=3, busy={"big.example": 1}) == []  # this one's: `busy`
    assert await claim(db, clock, per_key=4, busy={"big.example": 1}) == [4]
    clock.advance(POLICY.lease_s + 1)  # every lease ran out: all due again, none counts
    assert await claim(db, clock, per_key=4) == [1, 2, 3, 4, 7]


async def test_a_named_lease_is_held_by_one_owner_at_a_time(db: Database) -> None:
    lease_s = 60.0
    assert await jobs.hold_lease(db, "tick", "a", T0, lease_s)
    assert not await jobs.hold_lease(db, "tick", "b", T0 + 1, lease_s)
    assert await jobs.hold_lease(db, "other", "b", T0 + 1, lease_s)  # another name: free
    assert await jobs.hold_lease(db, "tick", "a", T0 + 50, lease_s)  # renewed to T0 + 110
    assert not await jobs.hold_lease(db, "tick", "b", T0 + 100, lease_s)
    assert await jobs.hold_lease(db, "tick", "b", T0 + 111, lease_s)  # "a" stopped renewing
    assert not await jobs.hold_lease(db, "tick", "a", T0 + 112, lease_s)
    await jobs.give_back_lease(db, "tick", "a")  # not its own: stays "b"'s
    assert not await jobs.hold_lease(db, "tick", "a", T0 + 113, lease_s)
    await jobs.give_back_lease(db, "tick", "b")  # a clean stop: free at once
    assert await jobs.hold_lease(db, "tick", "a", T0 + 114, lease_s)


def test_backoff_doubles_up_to_its_cap_then_the_queue_gives_up() -> None:
    retry = POLICY.retry
    assert retry.next_try_at(1, T0) == T0 + 10
    assert retry.next_try_at(2, T0) == T0 + 20
    assert retry.next_try_at(3, T0) is None  # three attempts: given up
    never = Retry(exponential(10.0, cap_s=60.0), max_attempts=None)
    assert [never.next_try_at(n, 0.0) for n in (1, 2, 3, 4, 50)] == [10, 20, 40, 60, 60]


async def test_finished_rows_are_pruned_once_old(db: Database) -> None:
    await add(db, "a.example", count=4)
    await db.execute(
        "UPDATE chores SET state = CASE id WHEN 1 THEN 'done' WHEN 2 THEN 'gave_up'"
        " WHEN 3 THEN 'done' ELSE 'pending' END,"
        " finished_at = CASE id WHEN 3 THEN ? ELSE ? END",
        (T0 - 10, T0 - 1001),
    )
    assert await jobs.prune_finished(db, POLICY, T0) == 2
    assert await states(db) == ["done", "pending"]  # recent, and unfinished


def test_keyed_slots_cap_each_key() -> None:
    slots = KeyedSlots(2)
    slots.take("a")
    slots.take("a")
    slots.take("b")
    assert (slots.free("a"), slots.free("b"), len(slots)) == (False, True, 3)
    assert slots.full_keys() == ["a"]
    slots.give_back("a")
    slots.give_back("b")
    assert dict(slots.as_counts()) == {"a": 1}
    assert slots.taken("b") == 0


async def test_the_loop_releases_on_start_prunes_and_stops_cleanly(db: Database) -> None:
    clock = FixedClock(T0)
    await add(db, "a.example", count=2)
    await db.execute("UPDATE chores SET state = 'running', locked_by = ? WHERE id = 1",
                     (jobs.THIS_PROCESS,))  # fmt: skip
    await db.execute("UPDATE chores SET state = 'done', finished_at = ? WHERE id = 2", (T0 - 2000,))
    seen: list[list[str]] = []
    stopped = asyncio.Event()

    async def step() -> float | None:
        seen.append(await states(db))
        loop.stop()
        return None

    async def on_stop() -> None:
        stopped.set()

    loop = WorkerLoop("chores", step, db=db, clock=clock, idle_s=60.0, policy=POLICY,
                      on_stop=on_stop)  # fmt: skip
    await asyncio.wait_for(loop.run_forever(), 5)
    assert seen == [["pending"]]  # released, and the old finished row pruned, before the pass
    assert stopped.is_set()


class FailsFirstQuery:
    """The database, whose first query fails (a connection lost as the worker starts)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if not self.failed:
            self.failed = True
            raise OSError("connection reset")
        return await self._db.fetchall(sql, params)


async def test_the_loop_retries_releasing_claims_when_the_database_fails_at_start(
    db: Database,
) -> None:
    await add(db, "a.example")
    await db.execute("UPDATE chores SET state = 'running', locked_by = ? WHERE id = 1",
                     (jobs.THIS_PROCESS,))  # fmt: skip
    failing = FailsFirstQuery(db)
    seen: list[list[str]] = []

    async def step() -> float | None:
        seen.append(await states(db))
        loop.stop()
        return None

    loop = WorkerLoop("chores", step, db=cast(Database, failing), clock=FixedClock(T0),
                      idle_s=60.0, policy=POLICY, error_pause_s=0.01)  # fmt: skip
    await asyncio.wait_for(loop.run_forever(), 5)  # not ended by the failure: it tried again
    assert failing.failed
    assert seen == [["pending"]]  # released on the second try, before the first pass


async def test_the_loop_sleeps_until_due_wakes_at_once_and_survives_a_failed_pass(
    db: Database,
) -> None:
    passes = 0

    async def step() -> float | None:
        nonlocal passes
        passes += 1
        if passes == 1:
            raise RuntimeError("database locked")  # retried after error_pause_s
        if passes == 3:
            loop.stop()
        return None  # idle: only a wake brings the next pass this soon

    loop = WorkerLoop("chores", step, db=db, clock=FixedClock(T0), idle_s=60.0,
                      error_pause_s=0.01)  # fmt: skip
    task = asyncio.create_task(loop.run_forever())
    for _ in range(100):
        await asyncio.sleep(0.01)
        if passes == 2:
            break
    assert passes == 2 and not task.done()  # asleep, for up to a minute
    loop.wake()
    await asyncio.wait_for(task, 5)
    assert passes == 3
