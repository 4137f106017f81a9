"""SQL for the feeds hubs import and the entries already published from them. The feeds are a
job machine queue (fedihub/jobs.py): a poll claims its feeds under a lease."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub import jobs
from fedihub.db import Database, Transaction
from fedihub.jobs import QueuePolicy, Retry

MAX_CLAIM = 20


@dataclass(frozen=True)
class Source:
    id: int
    hub_id: int
    url: str
    etag: str | None
    last_modified: str | None
    failures: int
    last_error: str | None
    title: str | None
    first_fetch: bool


_COLUMNS = (
    "id, hub_id, url, etag, last_modified, failures, last_error, title,"
    " NOT EXISTS (SELECT 1 FROM feed_items i WHERE i.source_id = feed_sources.id)"
)


def queue_policy(retry: Retry) -> QueuePolicy:
    """The feeds' queue, with the backoff of the configured interval. A feed is polled again
    and again while it is subscribed: it never finishes, so nothing is pruned."""
    return QueuePolicy(table="feed_sources", key_column="id", finished_at_column=None, retry=retry)


async def add(db: Database, hub_id: int, url: str, now: float) -> bool:
    changed = await db.execute(
        "INSERT INTO feed_sources (hub_id, url, next_try_at, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (hub_id, url, now, now),
    )
    return changed > 0


async def remove(db: Database, hub_id: int, url: str) -> bool:
    return bool(
        await db.execute("DELETE FROM feed_sources WHERE hub_id = ? AND url = ?", (hub_id, url))
    )


async def sources(db: Database, hub_id: int) -> list[Source]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM feed_sources WHERE hub_id = ? ORDER BY id", (hub_id,)
    )
    return [Source(*row) for row in rows]


async def claim_due(
    db: Database, policy: QueuePolicy, now: float, owner: str, limit: int = MAX_CLAIM
) -> list[Source]:
    """Leases up to `limit` feeds due for a poll to `owner`: no other process polls them
    until `fetched` or `failed` sets their next time, or the lease runs out."""
    rows = await jobs.claim_due(
        db, policy, now=now, limit=limit, per_key=1, busy={}, columns=_COLUMNS, owner=owner
    )
    return sorted((Source(*row) for row in rows), key=lambda s: s.id)


async def fetched(
    db: Database, source: Source, *, etag: str | None, last_modified: str | None,
    title: str | None, next_try_at: float,
) -> None:  # fmt: skip
    """A poll worked: the feed's lease ends, and it is due again at `next_try_at`."""
    await db.execute(
        "UPDATE feed_sources SET etag = ?, last_modified = ?, title = coalesce(?, title),"
        " failures = 0, last_error = NULL, next_try_at = ?, state = 'pending',"
        " locked_until = NULL, locked_by = NULL WHERE id = ?",
        (etag, last_modified, title, next_try_at, source.id),
    )


async def failed(db: Database, source: Source, error: str, next_try_at: float) -> None:
    """A poll failed: the feed's lease ends, and it is tried again at `next_try_at`."""
    await db.execute(
        "UPDATE feed_sources SET failures = failures + 1, last_error = ?, next_try_at = ?,"
        " state = 'pending', locked_until = NULL, locked_by = NULL WHERE id = ?",
        (error[:500], next_try_at, source.id),
    )


async def seen(db: Database, source_id: int, entry_ids: list[str]) -> set[str]:
    if not entry_ids:
        return set()
    marks = ",".join("?" * len(entry_ids))
    rows = await db.fetchall(
        f"SELECT entry_id FROM feed_items WHERE source_id = ? AND entry_id IN ({marks})",
        (source_id, *entry_ids),
    )
    return {row[0] for row in rows}


async def mark_seen(
    tx: Transaction, source_id: int, entry_id: str, post_id: int | None, now: float
) -> bool:
    """False if another run recorded it first: the caller then publishes nothing."""
    changed = await tx.execute(
        "INSERT INTO feed_items (source_id, entry_id, post_id, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (source_id, entry_id, post_id, now),
    )
    return changed > 0
