"""Durable inbox rows. Requests wait for the commit of a batch that holds their activity, so
concurrent deliveries share one commit (group commit) and each still answers only once it is
on disk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass

from fedihub.activitystreams import host_of
from fedihub.db import Database
from fedihub.inbox.validate import Incoming
from fedihub.outbox.store import mark_hosts_healthy

MAX_BATCH = 512


class InboxWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
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
        await self._queue.put((activity, future))
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
        now = time.time()
        inserted = []
        async with self._db.transaction() as tx:
            for a in activities:
                row = await tx.fetchone(
                    "INSERT INTO inbox_items (activity_uri, actor_uri, type, document,"
                    " next_try_at, received_at) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (activity_uri) DO NOTHING RETURNING id",
                    (a.id, a.actor, a.type, json.dumps(a.document), now, now),
                )
                inserted.append(row is not None)
            # A valid signed request from a host shows it is alive (as Mastodon does).
            await mark_hosts_healthy(tx, {host_of(a.actor) for a in activities})
        return inserted


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    actor_uri: str
    type: str
    document: dict
    attempts: int


def _item(row: sqlite3.Row) -> InboxItem:
    return InboxItem(
        row["id"], row["activity_uri"], row["actor_uri"], row["type"],
        json.loads(row["document"]), row["attempts"],
    )  # fmt: skip


async def release_all_claims(db: Database) -> int:
    return await db.execute(
        "UPDATE inbox_items SET state = 'pending', locked_until = NULL WHERE state = 'processing'"
    )


async def claim_due(db: Database, now: float, limit: int, lease_s: float) -> list[InboxItem]:
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE inbox_items SET state = 'processing', locked_until = ? WHERE id IN"
            " (SELECT id FROM inbox_items WHERE state = 'pending' AND next_try_at <= ?"
            "  ORDER BY id LIMIT ?)"
            " RETURNING id, activity_uri, actor_uri, type, document, attempts",
            (now + lease_s, now, limit),
        )
    return sorted((_item(r) for r in rows), key=lambda i: i.id)


async def finish(db: Database, item_id: int, now: float, error: str | None = None) -> None:
    await db.execute(
        "UPDATE inbox_items SET state = ?, attempts = attempts + 1, error = ?, processed_at = ?,"
        " locked_until = NULL WHERE id = ?",
        ("failed" if error else "done", error, now, item_id),
    )


async def retry_later(db: Database, item_id: int, next_try_at: float, error: str) -> None:
    await db.execute(
        "UPDATE inbox_items SET state = 'pending', attempts = attempts + 1, error = ?,"
        " next_try_at = ?, locked_until = NULL WHERE id = ?",
        (error, next_try_at, item_id),
    )
