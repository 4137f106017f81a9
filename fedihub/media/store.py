"""SQL for uploaded images (the `media` table), and for where they are shown."""

from __future__ import annotations

import json

from fedihub.db import Database


async def insert_media(
    db: Database,
    name: str,
    owner_id: int,
    *,
    content_type: str,
    width: int,
    height: int,
    size: int,
    alt: str,
    created_at: float,
) -> None:
    await db.execute(
        "INSERT INTO media (name, owner_id, content_type, width, height, size, alt, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (name, owner_id, content_type, width, height, size, alt, created_at),
    )


async def names_in_use(db: Database) -> set[str]:
    """Every image a hub's avatar or header, or a live post's attachment, shows."""
    used: set[str] = set()
    for icon, header in await db.fetchall("SELECT icon, header FROM local_actors"):
        used.update(n for n in (icon, header) if n)
    # Only live posts count: a deleted post's images go with it.
    rows = await db.fetchall(
        "SELECT fields FROM posts WHERE deleted_at IS NULL AND fields LIKE '%\"attachments\"%'"
    )
    for (fields,) in rows:
        for attachment in json.loads(fields).get("attachments") or []:
            url = attachment.get("url") if isinstance(attachment, dict) else None
            if isinstance(url, str):
                used.add(url.rsplit("/", 1)[-1])
    return used


async def names_older_than(db: Database, created_before: float) -> list[str]:
    rows = await db.fetchall("SELECT name FROM media WHERE created_at < ?", (created_before,))
    return [name for (name,) in rows]


async def delete_media(db: Database, names: list[str]) -> None:
    async with db.transaction() as tx:
        await tx.executemany("DELETE FROM media WHERE name = ?", [(n,) for n in names])


async def content_type(db: Database, name: str) -> str | None:
    """The type of a stored image, None for a name never stored."""
    found: str | None = await db.fetchval("SELECT content_type FROM media WHERE name = ?", (name,))
    return found


async def all_media(db: Database) -> list[tuple[str, str]]:
    """Every stored image's name and type, oldest first."""
    rows = await db.fetchall("SELECT name, content_type FROM media ORDER BY created_at, name")
    return [(name, content_type) for name, content_type in rows]


async def find_media(db: Database, name: str, owner_id: int) -> dict[str, object] | None:
    """An upload of this owner's, by its name (kept by a form shown again: a preview, an error)."""
    row = await db.fetchone(
        "SELECT name, content_type, width, height FROM media WHERE name = ? AND owner_id = ?",
        (name, owner_id),
    )
    return None if row is None else {k: row[k] for k in ("name", "content_type", "width", "height")}
