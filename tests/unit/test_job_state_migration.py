"""Migration 0012: the queues' old state words become the job machine's states, rows and ids
kept, and the tables accept no other state."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fedihub.db import migration_scripts
from fedihub.engine import open_database


def write_version_11_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL);"
    )
    for version, name, sql in migration_scripts():
        if version > 11:
            break
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 'then')", (version, name))
    conn.executescript(
        "INSERT INTO local_actors (kind, username, name, public_key_pem, private_key_pem,"
        " created_at) VALUES ('group', 'climate', 'Climate', 'pub', 'priv', 1.0);"
        "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
        " VALUES ('https://h.example/a/1', 1, 'Create', 1, '{}', 2.0);"
        "INSERT INTO deliveries (id, activity_id, inbox, host, state, next_try_at, locked_until,"
        " created_at) VALUES"
        " (7, 1, 'https://a.example/inbox', 'a.example', 'pending', 3.0, NULL, 2.0),"
        " (8, 1, 'https://b.example/inbox', 'b.example', 'sending', 3.0, 9.0, 2.0),"
        " (9, 1, 'https://c.example/inbox', 'c.example', 'sent', 3.0, NULL, 2.0),"
        " (10, 1, 'https://d.example/inbox', 'd.example', 'gave_up', 3.0, NULL, 2.0);"
        "INSERT INTO inbox_items (id, activity_uri, actor_uri, actor_host, type, document, state,"
        " next_try_at, received_at) VALUES"
        " (3, 'https://m.example/1', 'https://m.example/u', 'm.example', 'Like', '{}', 'pending',"
        "  1.0, 1.0),"
        " (4, 'https://m.example/2', 'https://m.example/u', 'm.example', 'Like', '{}',"
        "  'processing', 1.0, 1.0),"
        " (5, 'https://m.example/3', 'https://m.example/u', 'm.example', 'Like', '{}', 'done',"
        "  1.0, 1.0),"
        " (6, 'https://m.example/4', 'https://m.example/u', 'm.example', 'Like', '{}', 'failed',"
        "  1.0, 1.0);"
    )
    conn.commit()
    conn.close()


async def test_queue_rows_take_the_machine_state_names(tmp_path: Path) -> None:
    path = tmp_path / "v11.sqlite3"
    write_version_11_database(path)
    db = await open_database(path)
    try:
        deliveries = await db.fetchall("SELECT id, state, locked_until FROM deliveries ORDER BY id")
        assert [tuple(r) for r in deliveries] == [
            (7, "pending", None), (8, "running", 9.0), (9, "done", None), (10, "gave_up", None),
        ]  # fmt: skip
        items = await db.fetchall("SELECT id, state, actor_host FROM inbox_items ORDER BY id")
        assert [tuple(r) for r in items] == [
            (3, "pending", "m.example"), (4, "running", "m.example"), (5, "done", "m.example"),
            (6, "failed", "m.example"),
        ]  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("UPDATE deliveries SET state = 'sent' WHERE id = 7")
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("UPDATE inbox_items SET state = 'processing' WHERE id = 3")
        # The delivery still goes with its activity.
        await db.execute("DELETE FROM outbox_activities")
        assert await db.fetchval("SELECT count(*) FROM deliveries") == 0
    finally:
        await db.close()
