"""Migrations: a database written by an older version opens, upgrades, and keeps its data."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from fedihub.db import migration_scripts
from fedihub.engine import open_database


def write_version_1_database(path: Path) -> None:
    """What fedihub with only migration 0001 left on disk."""
    version, name, sql = migration_scripts()[0]
    assert version == 1
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL);"
        f"INSERT INTO schema_version VALUES (1, '{name}', '2026-01-01T00:00:00Z');"
        "INSERT INTO local_actors (kind, username, name, public_key_pem, private_key_pem,"
        " created_at) VALUES ('group', 'climate', 'Climate', 'pub', 'priv', 1.0);"
        "INSERT INTO followers VALUES (1, 'https://m.example/users/a', 'https://m.example/f/1',"
        " 'accepted', 2.0);"
        "INSERT INTO posts (actor_id, type, title, source_markdown, content_html, published_at)"
        " VALUES (1, 'Article', 'Port shutdown', '# Port shutdown', '<p>x</p>', 3.0);"
    )
    conn.commit()
    conn.close()


async def test_old_database_upgrades_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    write_version_1_database(path)
    db = await open_database(path)
    try:
        assert await db.schema_version() == migration_scripts()[-1][0] >= 2
        assert (
            await db.fetchval("SELECT name FROM local_actors WHERE username = 'climate'")
            == "Climate"
        )
        assert await db.fetchval("SELECT count(*) FROM followers") == 1
        assert await db.fetchval("SELECT count(*) FROM deliveries") == 0  # the new table exists
        # 0003 rebuilt the posts table for six kinds: the old post is an update now.
        post = await db.fetchone("SELECT kind, title, fields, status FROM posts")
        assert post is not None and tuple(post) == ("update", "Port shutdown", "{}", "confirmed")
        hub = await db.fetchone("SELECT timezone, join_policy, languages FROM local_actors")
        assert hub is not None and tuple(hub) == ("UTC", "open", "en")  # 0006's one, renamed
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "db.sqlite3")
    assert await db.migrate() == []
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    await db.close()


async def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "db.sqlite3")
    try:
        try:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO blocked_hosts (host, created_at) VALUES ('x', 0)")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert await db.fetchval("SELECT count(*) FROM blocked_hosts") == 0
    finally:
        await db.close()


async def test_boosts_sent_before_0007_are_found_so_they_can_be_undone(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL);"
    )
    for version, name, sql in migration_scripts()[:6]:
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 'then')", (version, name))
    hub = "https://h.example/hubs/climate"
    note = "https://m.example/users/ana/notes/1"
    conn.executescript(
        "INSERT INTO local_actors (kind, username, name, public_key_pem, private_key_pem,"
        " created_at) VALUES ('group', 'climate', 'Climate', 'pub', 'priv', 1.0);"
        "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
        f" VALUES ('{hub}/a/1', 1, 'Announce', 1, '{{\"object\": {{\"id\": \"x\"}}}}', 2.0),"
        f" ('{hub}/a/2', 1, 'Announce', 1, '{{\"object\": \"{note}\"}}', 2.0);"
        f"INSERT INTO reshares (hub_id, object_uri, author_uri, is_reply, created_at)"
        f" VALUES (1, '{note}', 'https://m.example/users/ana', 0, 2.0);"
    )
    conn.commit()
    conn.close()
    db = await open_database(path)
    try:
        assert await db.fetchval("SELECT boost_uri FROM reshares") == f"{hub}/a/2"
    finally:
        await db.close()


async def test_a_write_cancelled_while_it_waits_for_the_lock_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    """aiosqlite runs BEGIN even when the task awaiting it is cancelled; the transaction it
    opened must be rolled back, or every later write fails ("within a transaction")."""
    db = await open_database(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock (a CLI command)

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT OR IGNORE INTO blocked_hosts (host, created_at) VALUES ('a.example', 0)"
            )

    task = asyncio.create_task(write())
    await asyncio.sleep(0.2)  # waiting in BEGIN, on the busy timeout
    task.cancel()
    await asyncio.sleep(0.1)
    other.execute("ROLLBACK")
    other.close()
    with pytest.raises(asyncio.CancelledError):
        await task
    await write()  # the next write works
    assert await db.fetchval("SELECT count(*) FROM blocked_hosts") == 1
    await db.close()
