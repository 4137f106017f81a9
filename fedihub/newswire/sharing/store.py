"""The newswires ours follows, with what it takes from each."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.db import Database, Row, Transaction


@dataclass(frozen=True)
class Share:
    newswire_uri: str
    tags: tuple[str, ...]
    languages: tuple[str, ...]
    added_by: str
    added_at: float
    state: str = ""  # of our follow: pending, accepted, rejected ('' when unknown)


def _share(row: Row) -> Share:
    return Share(
        newswire_uri=row["newswire_uri"], tags=tuple(row["tags"].split()),
        languages=tuple(row["languages"].split()), added_by=row["added_by"],
        added_at=row["added_at"], state=row["state"] or "",
    )  # fmt: skip


_SELECT = (
    "SELECT s.newswire_uri, s.tags, s.languages, s.added_by, s.added_at, f.state"
    " FROM newswire_shares s LEFT JOIN following f"
    " ON f.actor_uri = s.newswire_uri AND f.local_actor_id = ?"
)


async def save(
    tx: Transaction, newswire_uri: str, tags: tuple[str, ...], languages: tuple[str, ...],
    by: str, now: float,
) -> None:  # fmt: skip
    """Adds a newswire, or changes its filters."""
    await tx.execute(
        "INSERT INTO newswire_shares (newswire_uri, tags, languages, added_by, added_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (newswire_uri) DO UPDATE SET tags = excluded.tags,"
        " languages = excluded.languages",
        (newswire_uri, " ".join(tags), " ".join(languages), by, now),
    )


async def remove(tx: Transaction, newswire_uri: str) -> bool:
    return bool(
        await tx.execute("DELETE FROM newswire_shares WHERE newswire_uri = ?", (newswire_uri,))
    )


async def get(db: Database, newswire_actor_id: int, newswire_uri: str) -> Share | None:
    row = await db.fetchone(f"{_SELECT} WHERE s.newswire_uri = ?", (newswire_actor_id,
                                                                     newswire_uri))  # fmt: skip
    return _share(row) if row else None


async def all_shares(db: Database, newswire_actor_id: int) -> list[Share]:
    rows = await db.fetchall(f"{_SELECT} ORDER BY s.newswire_uri", (newswire_actor_id,))
    return [_share(r) for r in rows]
