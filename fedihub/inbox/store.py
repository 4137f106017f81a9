"""Durable inbox rows. Requests wait for the commit of a batch that holds their activity, so
concurrent deliveries share one commit (group commit) and each still answers only once it is
on disk. The inbox is a job machine queue (fedihub/jobs.py); its claim is its own, below."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from fedihub.activitystreams import host_of
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.db import Database, Row
from fedihub.dialects import Dialect, values_of
from fedihub.inbox.validate import Incoming
from fedihub.jobs import (
    JobState,
    QueuePolicy,
    Retry,
    claims_one_at_a_time,
    exponential,
    skip_locked,
    still_due,
)
from fedihub.outbox.store import mark_hosts_healthy

MAX_BATCH = 512
# An item waiting on another server is retried 30 s, 1 min, 2 min, … later, eight times in all.
INBOX = QueuePolicy(
    table="inbox_items",
    key_column="actor_host",
    finished_at_column="processed_at",
    retry=Retry(exponential(30.0), max_attempts=8),
)


def _no_op() -> None:
    return None


class InboxWriter:
    """`stored` is called after each commit that stored a new activity (the server wakes the
    inbox workers with it, here and in other processes): once per batch, not per request."""

    def __init__(
        self, db: Database, clock: Clock = SYSTEM_CLOCK, stored: Callable[[], None] = _no_op
    ) -> None:
        self._db = db
        self._clock = clock
        self._stored = stored
        self._queue: asyncio.Queue[tuple[Incoming, asyncio.Future[bool]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def store(self, activity: Incoming) -> bool:
        """True when newly stored, False for an id we already had. Returns after the commit."""
        if self._task is None:  # no writer running (tests of one request): write directly
            return (await self._write([activity]))[0]
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((activity, future))  # unbounded: no need to await room
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            try:
                inserted = await self._write([a for a, _ in batch])
            except Exception as e:  # every waiting request learns the write failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                continue
            for (_, future), fresh in zip(batch, inserted, strict=True):
                if not future.done():
                    future.set_result(fresh)

    async def _write(self, activities: list[Incoming]) -> list[bool]:
        """Which of `activities` were new: the unique activity id decides, not a read before the
        insert, so two processes storing one activity at once store it once and only one of
        them calls it new. The same id twice in one batch is stored (and new) once."""
        now = self._clock.now()
        firsts: dict[str, Incoming] = {}
        for a in activities:
            firsts.setdefault(a.id, a)
        # In id order, not arrival's (the requests of one batch came at once): two processes
        # storing the same activities lock their ids in one order and cannot deadlock.
        rows = [(a.id, a.actor, host_of(a.actor), a.type, a.raw, now, now)
                for _, a in sorted(firsts.items())]  # fmt: skip
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        async with self._db.transaction() as tx:
            returned = await tx.fetchall(
                "INSERT INTO inbox_items (activity_uri, actor_uri, actor_host, type, document,"
                f" next_try_at, received_at) VALUES {values}"
                " ON CONFLICT (activity_uri) DO NOTHING RETURNING activity_uri",
                [value for row in rows for value in row],
            )
            stored = {r[0] for r in returned}
            # A valid signed request from a host shows it is alive (as Mastodon does).
            await mark_hosts_healthy(tx, {host_of(a.actor) for a in activities})
        if stored:
            self._stored()
        inserted = []
        for a in activities:
            inserted.append(a.id in stored)
            stored.discard(a.id)  # a second copy in the batch is not new
        return inserted


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    actor_uri: str
    actor_host: str
    type: str
    document: dict[str, Any]
    attempts: int
    readable: bool = True


def _item(row: Row) -> InboxItem:
    try:
        document, readable = json.loads(row["document"]), True
    except (ValueError, RecursionError):
        document, readable = {}, False  # marked failed by the worker; never stops the queue
    return InboxItem(
        row["id"], row["activity_uri"], row["actor_uri"], row["actor_host"], row["type"],
        document, row["attempts"], readable,
    )  # fmt: skip


async def claim_due(
    db: Database,
    *,
    now: float,
    limit: int,
    per_host: int,
    full_hosts: Collection[str],
    owner: str,
) -> list[InboxItem]:
    """Leases up to `limit` due items to `owner`, oldest first, at most `per_host` from each
    host and none from `full_hosts`, which hold their share already (a soft cap: one claim may
    pass it by a claim's worth; per process, as jobs.py says). A lease that ran out (its worker
    died) is due again. One statement, so the claim holds the single writer as briefly as it
    can.

    An actor's items are handled one at a time, in order: within a process by the worker's
    lanes, across processes here. An item is not claimed while an earlier one of its actor runs
    under another owner's live lease (a Follow and its Undo must not run side by side in two
    processes), and claims of the inbox take turns across processes, so each sees the others'."""
    async with db.transaction() as tx:
        await claims_one_at_a_time(tx, "inbox_items")
        rows = await tx.fetchall(
            # Each host with pending items, found by seeking the (state, actor_host, next_try_at)
            # index from one host to the next, then the first few due items of each: the cost
            # grows with the hosts waiting, not with one host's backlog.
            "WITH RECURSIVE hosts(host) AS ("
            "   SELECT min(actor_host) FROM inbox_items WHERE state = 'pending'"
            "   UNION ALL SELECT (SELECT min(actor_host) FROM inbox_items"
            "     WHERE state = 'pending' AND actor_host > host) FROM hosts"
            "   WHERE host IS NOT NULL),"
            f" due AS (SELECT i.id FROM hosts {_first_due_of_each_host(tx.dialect)}"
            f"  WHERE hosts.host NOT IN ({values_of(tx.dialect).replace('?', '?3')})"
            "  UNION ALL SELECT id FROM inbox_items"
            "   WHERE state = 'running' AND locked_until < ?1)"
            # PostgreSQL: another process may be claiming the same rows, so they are locked
            # (skipping those it holds) and checked again, as in jobs.claim_due.
            " UPDATE inbox_items SET state = 'running', locked_until = ?4, locked_by = ?5"
            " WHERE id IN (SELECT id FROM inbox_items WHERE id IN"
            f"  (SELECT id FROM due ORDER BY id LIMIT ?6) AND {still_due('?1')}"
            "  AND NOT EXISTS (SELECT 1 FROM inbox_items earlier WHERE earlier.state = 'running'"
            "   AND earlier.actor_host = inbox_items.actor_host"
            "   AND earlier.actor_uri = inbox_items.actor_uri AND earlier.id < inbox_items.id"
            "   AND earlier.locked_by <> ?5 AND earlier.locked_until >= ?1)"
            f"  {skip_locked(tx.dialect)})"
            " RETURNING id, activity_uri, actor_uri, actor_host, type, document, attempts",
            (now, per_host, json.dumps(sorted(full_hosts)), now + INBOX.lease_s, owner, limit),
        )  # fmt: skip
    return sorted((_item(r) for r in rows), key=lambda i: i.id)


def _first_due_of_each_host(dialect: Dialect) -> str:
    """Joined to `hosts`: the first `?2` items of each host due at `?1`. PostgreSQL plans
    SQLite's join on a correlated `IN` as every host against every row (0.8 s for 1,800 rows
    from 30 hosts), so it joins LATERAL, which SQLite lacks."""
    first_due = ("SELECT id FROM inbox_items WHERE state = 'pending' AND actor_host = hosts.host"
                 " AND next_try_at <= ?1 ORDER BY next_try_at, id LIMIT ?2")  # fmt: skip
    if dialect == "postgresql":
        return f"CROSS JOIN LATERAL ({first_due}) i"
    return f"JOIN inbox_items i ON i.id IN ({first_due})"


@dataclass(frozen=True)
class Result:
    item_id: int
    error: str | None = None
    retry_at: float | None = None  # set: back to pending until then
    gave_up: bool = False  # the error might pass, but the item has been tried long enough
    # Ignored or refused: the body is dropped at once (only its id, type and reason stay until
    # pruned), so activities that change nothing here cannot fill the disk for two weeks.
    drop_body: bool = False


def state_after(result: Result) -> JobState:
    """The state an item is left in by `result`."""
    if result.retry_at is not None:
        return "pending"
    if result.gave_up:
        return "gave_up"
    return "failed" if result.error else "done"


async def record_results(db: Database, results: list[Result], now: float) -> None:
    """One transaction for a batch of processed items."""
    if not results:
        return
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE inbox_items SET state = ?, attempts = attempts + 1, error = ?,"
            " processed_at = ?, next_try_at = coalesce(?, next_try_at), locked_until = NULL,"
            " document = CASE WHEN ? THEN '' ELSE document END"
            " WHERE id = ?",
            [
                (
                    state_after(r),
                    r.error,
                    None if r.retry_at is not None else now,
                    r.retry_at,
                    r.drop_body and r.retry_at is None,
                    r.item_id,
                )
                for r in results
            ],
        )
