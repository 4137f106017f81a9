"""SQL for the posts hubs publish."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from fedihub.db import Database, Transaction

_COLUMNS = (
    "id, actor_id, type, title, source_markdown, content_html, published_at, updated_at, deleted_at"
)


@dataclass(frozen=True)
class Post:
    id: int
    actor_id: int
    type: str
    title: str | None
    source_markdown: str
    content_html: str
    published_at: float
    updated_at: float | None
    deleted_at: float | None


def _post(row: sqlite3.Row) -> Post:
    return Post(*(row[name] for name in _COLUMNS.replace(" ", "").split(",")))


async def insert_post(
    tx: Transaction,
    *,
    actor_id: int,
    author_id: int,
    title: str | None,
    source_markdown: str,
    content_html: str,
    published_at: float,
) -> Post:
    """Stores a post; a title makes it an Article, else a Note."""
    kind = "Article" if title else "Note"
    post_id = await tx.insert(
        "INSERT INTO posts (actor_id, author_id, type, title, source_markdown, content_html,"
        " published_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (actor_id, author_id, kind, title, source_markdown, content_html, published_at),
    )
    return Post(post_id, actor_id, kind, title, source_markdown, content_html, published_at,
                None, None)  # fmt: skip


async def get_post(db: Database, actor_id: int, post_id: int) -> Post | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM posts WHERE id = ? AND actor_id = ?", (post_id, actor_id)
    )
    return _post(row) if row else None


async def latest_posts(db: Database, actor_id: int, limit: int) -> list[Post]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE actor_id = ? AND deleted_at IS NULL"
        " ORDER BY id DESC LIMIT ?",
        (actor_id, limit),
    )
    return [_post(r) for r in rows]
