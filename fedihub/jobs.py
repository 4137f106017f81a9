"""The job machine: work that must survive a crash and be retried is a row with a declared state,
an attempt count, a next-try time and a lease; this module claims due rows, releases leases left
by a stopped process, applies each queue's backoff and give-up policy, prunes finished rows and
runs the one worker loop that every queue (inbox, deliveries, website feeds via the scheduler)
steps.

    pending ──claim──▶ running ──▶ done | failed | gave_up
       ▲                  │
       └──retry / lease ──┘   (a retry, an expired lease, or a restart puts it back)

Every queue's table stores these five names in its `state` column (a CHECK constraint keeps it
to them); pages and the CLI may word them for people ("sending"), the rows do not.

A lease has an owner (`locked_by`), named by `server_owner` for `fedihub serve`, `THIS_PROCESS`
otherwise. On start a process takes back its own leases, expired ones (their owner died or
hangs) and those of owners known dead (`dead_owners_here`); the live leases of another process
sharing the queue stay its own.
- SQLite: one server per data directory (cli.py holds a lock on it), so its owner is host plus
  data directory, the same across restarts: a server restarted after `kill -9` takes its
  predecessor's leases back at once.
- PostgreSQL: any number of processes serve one database, so each owner is unique among live
  processes: machine (host and PID namespace), PID and a random suffix. A restarted process has
  a new name; it takes back leases of owners on this machine whose PID is gone at once, those
  of a process that died on another machine when their lease runs out (`lease_s`).

For PostgreSQL, what changes is this and no more:
- SQLite has one writer, so a claim (one UPDATE … RETURNING inside `BEGIN IMMEDIATE`) cannot
  race another. On PostgreSQL the rows a claim chose are locked `FOR UPDATE SKIP LOCKED` and
  checked again to be due (`still_due`) before they are leased: a row another process is
  claiming at this moment is passed over instead of waited for, and one it claimed since our
  read is due no more, so two processes never lease one row. The choosing itself (ranked per
  key, UNION, window functions) is a plain read, which FOR UPDATE could not be part of.
- Per-key caps (`per_key`, a remote host's delivery limit) hold across processes: a claim
  counts the rows running for a key in this process (`busy`, which knows of requests that
  finished and are not yet recorded) and the live leases of every other owner (rows). So that
  two processes never both take a key's last slots, claims of one queue take turns across
  processes: on PostgreSQL each claim's transaction first takes an advisory lock named for the
  queue (`claims_one_at_a_time`; a claim holds it about a millisecond); SQLite's one writer
  already makes them take turns. The global cap (`concurrency`) stays per process: it bounds
  what one process holds in memory and in flight. The inbox does not claim through here: its
  per-host holding and lanes are per process on purpose (they share out one process's workers
  fairly among senders; a busy sender's items are ours to handle, and more processes should
  handle more of them), while a delivery cap protects the remote host, so it is the cluster's.
- Work that one process at a time should do for the whole cluster (the scheduler's pass) holds
  a named lease row (`hold_lease`, table `leases`): an owner and an expiry, renewed while the
  work runs, taken over when it runs out or when its owner is a process of this machine that is
  gone (`dead_owners_here`), given back on a clean stop (`give_back_lease`).
- Leases, retries, backoff and give-up hold across processes: they are rows.
- Placeholders and lists take PostgreSQL's forms (postgres.py numbers `?`; lists are one JSON
  parameter read by `dialects.values_of`, on both engines).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from fedihub.clock import Clock
from fedihub.db import Database, Row, Transaction
from fedihub.dialects import Dialect, values_of

log = logging.getLogger(__name__)

JobState = Literal["pending", "running", "done", "failed", "gave_up"]
STATES: tuple[JobState, ...] = get_args(JobState)
# Done: it worked. Failed: it cannot work (bad input, a bug), kept for a look. Gave up: it might
# have worked later, but the queue's policy says it has been tried long enough.
FINISHED_STATES: tuple[JobState, ...] = ("done", "failed", "gave_up")
Backoff = Callable[[int, float], float]  # (attempts made, jitter in [0, 1)) -> seconds to wait


def _pid_namespace() -> str:
    """Processes in two containers may share a host name, not a PID namespace."""
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        return ""


# PIDs name processes uniquely among the live ones of one machine: this host, this namespace.
THIS_MACHINE = f"{socket.gethostname()}/{_pid_namespace()}"
_PID_MARK = ":pid-"
# The owner of leases taken by a process that does not serve a data directory on SQLite (tests,
# tools), and by every process on PostgreSQL: unique among live processes, and the random
# suffix keeps a later process with the same PID from passing for this one.
THIS_PROCESS = f"{THIS_MACHINE}{_PID_MARK}{os.getpid()}:{secrets.token_hex(4)}"


def server_owner(data_dir: Path, dialect: Dialect = "sqlite") -> str:
    """The owner of leases taken by `fedihub serve` on this data directory. SQLite: the same
    name across restarts (only one server at a time may serve it), so a restarted server takes
    back its predecessor's leases at once. PostgreSQL: several processes serve one database, so
    this process's own, unique name."""
    if dialect == "postgresql":
        return THIS_PROCESS
    return f"{socket.gethostname()}:{data_dir.resolve()}"


def dead_owners_here(owners: Collection[str]) -> list[str]:
    """The owners among `owners` that were processes of this machine and are gone."""
    dead = []
    for owner in owners:
        machine, mark, rest = owner.rpartition(_PID_MARK)
        pid = rest.split(":", 1)[0]
        if machine == THIS_MACHINE and mark and pid.isdigit() and not _running(int(pid)):
            dead.append(owner)
    return sorted(dead)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def still_due(now: str) -> str:
    """SQL: the row is due (pending and its time has come, or its lease ran out) at `now` (a
    placeholder such as `?1`)."""
    return (
        f"(state = 'pending' AND next_try_at <= {now}"
        f" OR state = 'running' AND locked_until < {now})"
    )


def skip_locked(dialect: Dialect) -> str:
    """Locks the rows a claim selects, passing over those another process holds; SQLite's one
    writer needs none."""
    return " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""


def exponential(first_s: float, cap_s: float = float("inf")) -> Backoff:
    """`first_s` after the first failed attempt, doubling with each after it, at most `cap_s`."""

    def delay_s(attempts: int, jitter: float) -> float:
        return min(first_s * 2.0 ** max(attempts - 1, 0), cap_s)

    return delay_s


@dataclass(frozen=True)
class Retry:
    """A queue's backoff and give-up policy. `max_attempts=None`: never give up (a feed is
    polled for as long as it is subscribed)."""

    backoff_s: Backoff
    max_attempts: int | None

    def next_try_at(self, attempts: int, now: float, jitter: float = 0.0) -> float | None:
        """When to try again after `attempts` attempts (this one counted) failed; None: give up."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return None
        return now + self.backoff_s(attempts, jitter)


@dataclass(frozen=True)
class QueuePolicy:
    """One queue's table and rules. The table has the columns `state`, `next_try_at`,
    `locked_until` and `locked_by` (the lease and its owner), one for the per-key caps
    (`key_column`) and, if its rows ever finish, one saying when (`finished_at_column`; None: a
    row is worked again and again, as a feed is polled, and never pruned)."""

    table: str
    key_column: str
    finished_at_column: str | None
    retry: Retry
    lease_s: float = 300.0
    keep_finished_s: float = 14 * 86400.0
    prune_every_s: float = 3600.0


async def release_claims(db: Database, policy: QueuePolicy, owner: str, now: float) -> int:
    """At start-up: rows `owner` was running when it stopped go back in the queue, and so do
    rows whose lease ran out (or that predate owners) and those of processes of this machine
    that are gone; another live owner's leases stay."""
    holders = await db.fetchall(
        f"SELECT DISTINCT locked_by FROM {policy.table}"
        " WHERE state = 'running' AND locked_by IS NOT NULL"
    )
    gone = [owner, *dead_owners_here([r[0] for r in holders])]
    return await db.execute(
        f"UPDATE {policy.table} SET state = 'pending', locked_until = NULL, locked_by = NULL"
        " WHERE state = 'running' AND (locked_by IS NULL OR locked_until < ?"
        f" OR locked_by IN ({values_of(db.dialect)}))",
        (now, json.dumps(gone)),
    )


async def renew_leases(
    db: Database, policy: QueuePolicy, ids: Collection[int], until: float, owner: str
) -> None:
    """Rows `owner` still holds stay its own: their leases move on to `until`. A row whose
    lease ran out and that another owner claimed since is left to that one."""
    if ids:
        await db.execute(
            f"UPDATE {policy.table} SET locked_until = ? WHERE state = 'running'"
            f" AND locked_by = ? AND id IN ({values_of(db.dialect, 'integer')})",
            (until, owner, json.dumps(sorted(ids))),
        )


async def prune_finished(db: Database, policy: QueuePolicy, now: float) -> int:
    """Rows that finished more than `keep_finished_s` ago are history: drop them."""
    if policy.finished_at_column is None:
        return 0
    return await db.execute(
        f"DELETE FROM {policy.table} WHERE state IN ({values_of(db.dialect)})"
        f" AND {policy.finished_at_column} < ?",
        (json.dumps(FINISHED_STATES), now - policy.keep_finished_s),
    )


# The first key of the advisory locks `claims_one_at_a_time` takes (the second names the queue):
# any number will do, as long as nothing else takes the same pair on the same database.
# PostgreSQL keeps two-key locks apart from one-key ones (postgres.py's MIGRATION_LOCK).
CLAIM_LOCK = 0x636C6169  # "clai"


async def claims_one_at_a_time(tx: Transaction, table: str) -> None:
    """Within this transaction, no other process claims from `table`: PostgreSQL takes a
    transaction-level advisory lock named for the queue (let go at commit); SQLite's one writer
    needs none. What the claim then reads includes every claim committed before it."""
    if tx.dialect == "postgresql":
        await tx.fetchall("SELECT pg_advisory_xact_lock(?, hashtext(?))", (CLAIM_LOCK, table))


async def claim_due(
    db: Database,
    policy: QueuePolicy,
    *,
    now: float,
    limit: int,
    per_key: int,
    busy: Mapping[str, int],
    columns: str,
    owner: str,
) -> list[Row]:
    """Leases up to `limit` due rows to `owner`, oldest first, never more than `per_key` running
    at once for one key across processes: `busy` counts those running in this process, live
    leases of other owners count for theirs. A lease that ran out (its worker died) is due
    again. Returns `columns` of the rows claimed."""
    in_flight = sum(busy.values())
    async with db.transaction() as tx:
        await claims_one_at_a_time(tx, policy.table)
        # Ranked per key, so one key's backlog never hides the others'. Each half of the UNION
        # is served by a (state, …, next_try_at) index; an OR would scan the table. A key's
        # rank starts after the rows other owners are running for it (few: the running ones),
        # joined to the ranked rows it may still take, not to every candidate (a count per
        # candidate made a claim from 10,000 due rows twenty times slower on PostgreSQL).
        ranked = await tx.fetchall(
            f"WITH candidates AS (SELECT id, {policy.key_column} AS key, next_try_at"
            f"   FROM {policy.table} WHERE state = 'pending' AND next_try_at <= ?1 UNION ALL"
            f"   SELECT id, {policy.key_column}, next_try_at FROM {policy.table}"
            "    WHERE state = 'running' AND locked_until < ?1),"
            f" elsewhere AS (SELECT {policy.key_column} AS key, count(*) AS n FROM {policy.table}"
            "   WHERE state = 'running' AND locked_until >= ?1 AND coalesce(locked_by, '') <> ?4"
            f"   GROUP BY {policy.key_column}),"
            " due AS (SELECT id, key,"
            "   row_number() OVER (PARTITION BY key ORDER BY next_try_at, id) AS rank"
            "   FROM candidates),"
            " slots AS (SELECT d.id, d.key, d.rank + coalesce(e.n, 0) AS rank"
            "   FROM due d LEFT JOIN elsewhere e ON e.key = d.key WHERE d.rank <= ?2)"
            " SELECT id, key, rank FROM slots WHERE rank <= ?2 ORDER BY rank, id LIMIT ?3",
            (now, per_key, limit + in_flight, owner),
        )
        # Keys with work running here get only their spare slots. At most `in_flight` ranked
        # rows are passed over for that, which is why that many more rows were read.
        chosen = [r["id"] for r in ranked if r["rank"] <= per_key - busy.get(r["key"], 0)]
        if not chosen:
            return []
        # Chosen from what this transaction saw: on PostgreSQL a row may be locked by another
        # writer (its outcome being recorded), so rows are locked, skipping those, and checked
        # again.
        return await tx.fetchall(
            f"UPDATE {policy.table} SET state = 'running', locked_until = ?1, locked_by = ?2"
            f" WHERE id IN (SELECT id FROM {policy.table} WHERE id IN"
            f" ({values_of(tx.dialect, 'integer').replace('?', '?3')}) AND {still_due('?4')}"
            f"{skip_locked(tx.dialect)}) RETURNING {columns}",
            (now + policy.lease_s, owner, json.dumps(chosen[:limit]), now),
        )


async def hold_lease(db: Database, name: str, owner: str, now: float, lease_s: float) -> bool:
    """Takes or renews the lease `name` (table `leases`) for `owner` until `now + lease_s`:
    True if `owner` holds it now. It is `owner`'s to take if nobody holds it, if it is its own,
    if it ran out, or if its holder was a process of this machine that is gone."""
    async with db.transaction() as tx:
        holder = await tx.fetchone("SELECT owner FROM leases WHERE name = ?", (name,))
        dead = dead_owners_here([holder[0]]) if holder is not None else []
        changed = await tx.execute(
            "INSERT INTO leases (name, owner, expires_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,"
            " expires_at = excluded.expires_at WHERE leases.owner = excluded.owner"
            " OR leases.expires_at < ?4 OR leases.owner = ?5",
            (name, owner, now + lease_s, now, dead[0] if dead else ""),
        )
    return changed > 0


async def give_back_lease(db: Database, name: str, owner: str) -> None:
    """`owner` stops: the lease `name`, if it holds it, is free for another at once."""
    await db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))


class KeyedSlots:
    """Per-key concurrency (per remote host): at most `per_key` taken at once for one key, so
    one slow host holds only its own slots."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._taken: Counter[str] = Counter()

    def __len__(self) -> int:
        return self._taken.total()

    def taken(self, key: str) -> int:
        return self._taken.get(key, 0)

    def free(self, key: str) -> bool:
        return self._taken.get(key, 0) < self.per_key

    def full_keys(self) -> list[str]:
        return [k for k, n in self._taken.items() if n >= self.per_key]

    def as_counts(self) -> Mapping[str, int]:
        return self._taken

    def take(self, key: str) -> None:
        self._taken[key] += 1

    def give_back(self, key: str) -> None:
        self._taken[key] -= 1
        if self._taken[key] <= 0:
            del self._taken[key]


Step = Callable[[], Awaitable[float | None]]


class WorkerLoop:
    """The one worker loop. `step` does a pass and says when it wants the next: in so many
    seconds, at once (0) or, with nothing to do, None (then `idle_s`, a safety net for work
    written by another process). `wake()` (work was written in this process) ends any wait.

    With a `policy`, the loop releases `owner`'s leftover (and expired) claims before its first
    pass (retried like a pass until it succeeds) and prunes finished rows every `prune_every_s`.
    A failed pass is logged and retried after `error_pause_s`: a database error must not stop
    a queue for good. `stop()` ends the loop after the pass under way; `on_stop` then runs
    (also when the task is cancelled)."""

    def __init__(
        self,
        name: str,
        step: Step,
        *,
        db: Database,
        clock: Clock,
        idle_s: float,
        policy: QueuePolicy | None = None,
        owner: str = THIS_PROCESS,
        error_pause_s: float = 1.0,
        settle_s: float = 0.0,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self._step = step
        self._db = db
        self._clock = clock
        self._idle_s = idle_s
        self._policy = policy
        self.owner = owner
        self._error_pause_s = error_pause_s
        self._settle_s = settle_s  # after a wake, let a burst gather into one pass
        self._on_stop = on_stop
        self._wake = asyncio.Event()
        self._stopping = False
        self._pruned_at: float | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def run_forever(self) -> None:
        released = self._policy is None
        try:
            while not self._stopping:
                self._wake.clear()  # before the pass: a wake during it means another
                try:
                    if not released and self._policy is not None:  # fails like a pass would
                        await release_claims(self._db, self._policy, self.owner, self._clock.now())
                        released = True
                    await self._prune_now_and_then()
                    delay = await self._step()
                except Exception:
                    log.exception("%s worker pass failed; retrying", self.name)
                    delay = self._error_pause_s
                await self._wait(self._idle_s if delay is None else delay)
        finally:
            if self._on_stop is not None:
                await self._on_stop()

    async def _prune_now_and_then(self) -> None:
        if self._policy is None:
            return
        now = self._clock.now()
        if self._pruned_at is None or now - self._pruned_at > self._policy.prune_every_s:
            await prune_finished(self._db, self._policy, now)
            self._pruned_at = now

    async def _wait(self, delay_s: float) -> None:
        if delay_s <= 0 or self._stopping:
            await asyncio.sleep(0)  # others may run between passes
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay_s)
        if self._wake.is_set() and self._settle_s and not self._stopping:
            await asyncio.sleep(self._settle_s)


async def queue_depth(db: Database, policy: QueuePolicy) -> tuple[int, int, float | None]:
    """For monitoring: the rows of `policy`'s queue pending and running, and the earliest
    next-try time of the pending ones (None: none). Each part reads a range of the queue's
    (state, …) index (PostgreSQL scans the table instead when nearly every row is pending), so
    a scrape costs what is queued, not the finished history: with 100,000 rows pending in each
    of the inbox and deliveries, a whole scrape of /metrics takes about 15 ms on SQLite and
    30-60 ms on PostgreSQL (tests/http/test_metrics.py)."""
    row = await db.fetchone(
        f"SELECT count(*), (SELECT count(*) FROM {policy.table} WHERE state = 'running'),"
        f" min(next_try_at) FROM {policy.table} WHERE state = 'pending'"
    )
    assert row is not None
    return int(row[0]), int(row[1]), None if row[2] is None else float(row[2])
