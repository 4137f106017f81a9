"""SQL for the feeds hubs import and the entries already published from them."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.db import Database, Transaction


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


async def add(db: Database, hub_id: int, url: str, now: float) -> bool:
    changed = await db.execute(
        "INSERT INTO feed_sources (hub_id, url, next_fetch_at, created_at) VALUES (?, ?, ?, ?)"
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


async def due(db: Database, now: float, limit: int = 20) -> list[Source]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM feed_sources WHERE next_fetch_at <= ?"
        " ORDER BY next_fetch_at LIMIT ?",
        (now, limit),
    )
    return [Source(*row) for row in rows]


async def fetched(
    db: Database, source: Source, *, etag: str | None, last_modified: str | None,
    title: str | None, next_fetch_at: float,
) -> None:  # fmt: skip
    await db.execute(
        "UPDATE feed_sources SET etag = ?, last_modified = ?, title = coalesce(?, title),"
        " failures = 0, last_error = NULL, next_fetch_at = ? WHERE id = ?",
        (etag, last_modified, title, next_fetch_at, source.id),
    )


async def failed(db: Database, source: Source, error: str, next_fetch_at: float) -> None:
    await db.execute(
        "UPDATE feed_sources SET failures = failures + 1, last_error = ?, next_fetch_at = ?"
        " WHERE id = ?",
        (error[:500], next_fetch_at, source.id),
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
