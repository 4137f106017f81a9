"""Migration 0013 drops the CHECK that listed the kinds of post: every row, id and reference to a
post survives the table's rebuild, and a kind only a module declares can be stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fedihub.db import migration_scripts
from fedihub.engine import open_database


def write_version_12_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL);"
    )
    for version, name, sql in migration_scripts():
        if version < 13:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, 'then')", (version, name))
    conn.executescript(
        "INSERT INTO local_actors (id, kind, username, name, public_key_pem, private_key_pem,"
        " created_at) VALUES (1, 'group', 'climate', 'Climate', 'pub', 'priv', 1.0);"
        "INSERT INTO posts (id, actor_id, kind, title, source_markdown, content_html, fields,"
        " starts_at, ends_at, published_at) VALUES"
        " (5, 1, 'call', 'Weekly', 'x', '<p>x</p>', '{\"schedule\": \"FREQ=WEEKLY\"}', 10, 20, 3),"
        " (9, 1, 'poll', 'When?', 'y', '<p>y</p>', '{\"options\": [\"A\", \"B\"]}', NULL, 30, 4);"
        "INSERT INTO posts (id, actor_id, kind, title, source_markdown, content_html, starts_at,"
        " ends_at, series_id, published_at) VALUES (7, 1, 'call', 'Weekly', '', '', 10, 20, 5, 5);"
        "INSERT INTO event_participants VALUES (7, 'https://m.example/a', 'https://m.example/j',"
        " 'going', '', 6);"
        "INSERT INTO poll_votes (post_id, actor_uri, choice, voted_at)"
        " VALUES (9, 'https://m.example/a', 1, 7);"
        "INSERT INTO pending_updates VALUES (9, 8);"
        "INSERT INTO reactions VALUES (9, 'like', 'https://m.example/a', 'https://m.example/l', 9);"
        "INSERT INTO feed_sources (id, hub_id, url, next_fetch_at, created_at)"
        " VALUES (1, 1, 'https://s.example/feed', 0, 0);"
        "INSERT INTO feed_items (source_id, entry_id, post_id, seen_at) VALUES (1, 'e', 5, 1);"
    )
    conn.commit()
    conn.close()


async def test_the_rebuild_keeps_every_post_and_what_refers_to_it(tmp_path: Path) -> None:
    path = tmp_path / "v12.sqlite3"
    write_version_12_database(path)
    db = await open_database(path)
    try:
        assert await db.schema_version() >= 13
        rows = await db.fetchall("SELECT id, kind, series_id, fields FROM posts ORDER BY id")
        assert [tuple(r) for r in rows] == [
            (5, "call", None, '{"schedule": "FREQ=WEEKLY"}'),
            (7, "call", 5, "{}"),
            (9, "poll", None, '{"options": ["A", "B"]}'),
        ]
        for table in (
            "event_participants",
            "poll_votes",
            "pending_updates",
            "reactions",
            "feed_items",
        ):
            assert await db.fetchval(f"SELECT count(*) FROM {table}") == 1, table
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        assert await db.fetchval("PRAGMA defer_foreign_keys") == 0
        sql = await db.fetchval("SELECT sql FROM sqlite_master WHERE name = 'event_participants'")
        assert "REFERENCES posts(id) ON DELETE CASCADE" in sql
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO posts (actor_id, kind, source_markdown, content_html, published_at)"
                " VALUES (1, 'notice', '', '', 10)"
            )
            await tx.execute("DELETE FROM posts WHERE id = 9")  # still cascades to its votes
        assert await db.fetchval("SELECT count(*) FROM poll_votes") == 0
        indexes = await db.fetchall("SELECT name FROM sqlite_master WHERE tbl_name = 'posts'")
        assert {r[0] for r in indexes} >= {"posts_actor", "posts_starts", "posts_occurrence"}
    finally:
        await db.close()
