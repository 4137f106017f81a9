"""Migration 0034: the mail queue takes a volunteer's mails ('volunteer', 'assignment', ref_id)
and keeps the newsletter's rows as they were (ids, states, attempts, errors), on SQLite, which
rebuilds the table, and on PostgreSQL, which changes it in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fedihub.db import migration_scripts, migration_scripts_for
from fedihub.engine import open_database

MIGRATION = 34
SUBSCRIBERS = (
    "INSERT INTO newsletter_subscribers (id, email, state, created_at) VALUES"
    " (3, 'a@a.example', 'confirmed', 1.0), (4, 'b@b.example', 'unconfirmed', 1.0)"
)
ISSUES = (
    "INSERT INTO newsletter_issues (id, week, title, html, text, period_start, period_end,"
    " items, events, created_at) VALUES (2, '2026-W49', 'Week 49', '', '', 0, 1, 0, 0, 1.0)"
)
# Rows in every state the worker leaves them in, with ids that are not 1, 2, 3….
QUEUE = (
    "INSERT INTO mail_queue (id, purpose, issue_id, subscriber_id, recipient, domain, token,"
    " state, attempts, next_try_at, locked_until, locked_by, last_error, created_at,"
    " finished_at) VALUES"
    " (5, 'confirm', NULL, 4, 'b@b.example', 'b.example', 'tok', 'pending', 0, 10.0, NULL,"
    "  NULL, NULL, 1.0, NULL),"
    " (9, 'issue', 2, 3, 'a@a.example', 'a.example', '', 'done', 1, 10.0, NULL, NULL, NULL,"
    "  1.0, 11.0),"
    " (12, 'issue', 2, 4, 'b@b.example', 'b.example', 'u', 'running', 2, 10.0, 99.0, 'one',"
    "  '451 later', 1.0, NULL),"
    " (13, 'confirm', NULL, 3, 'a@a.example', 'a.example', '', 'gave_up', 6, 10.0, NULL,"
    "  NULL, '451 later', 1.0, 12.0)"
)
COLUMNS = (
    "id, purpose, issue_id, subscriber_id, recipient, domain, token, state, attempts,"
    " next_try_at, locked_until, locked_by, last_error, created_at, finished_at, ref_id"
)
KEPT = [
    (5, "confirm", None, 4, "b@b.example", "b.example", "tok", "pending", 0, 10.0, None, None,
     None, 1.0, None, None),
    (9, "issue", 2, 3, "a@a.example", "a.example", "", "done", 1, 10.0, None, None, None, 1.0,
     11.0, None),
    (12, "issue", 2, 4, "b@b.example", "b.example", "u", "running", 2, 10.0, 99.0, "one",
     "451 later", 1.0, None, None),
    (13, "confirm", None, 3, "a@a.example", "a.example", "", "gave_up", 6, 10.0, None, None,
     "451 later", 1.0, 12.0, None),
]  # fmt: skip
NEW_ROW = (
    "INSERT INTO mail_queue (purpose, recipient, domain, ref_id, next_try_at, created_at)"
    " VALUES ('{purpose}', 'v@v.example', 'v.example', 77, 20.0, 20.0)"
)


def write_database_before(path: Path) -> None:
    """A SQLite database with every migration before 0034, and newsletter mail queued."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL);"
    )
    for version, name, sql in migration_scripts():
        if version >= MIGRATION:
            break
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 'then')", (version, name))
    conn.executescript(f"{SUBSCRIBERS}; {ISSUES}; {QUEUE};")
    conn.commit()
    conn.close()


async def test_sqlite_keeps_the_queued_mail_and_takes_a_volunteers(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite3"
    write_database_before(path)
    db = await open_database(path)
    try:
        assert await db.schema_version() >= MIGRATION
        rows = await db.fetchall(f"SELECT {COLUMNS} FROM mail_queue ORDER BY id")
        assert [tuple(r) for r in rows] == KEPT
        for purpose in ("volunteer", "assignment"):
            await db.execute(NEW_ROW.format(purpose=purpose))
        assert [
            tuple(r) for r in await db.fetchall("SELECT id, purpose, ref_id FROM mail_queue"
                                                " WHERE id > 13 ORDER BY id")
        ] == [(14, "volunteer", 77), (15, "assignment", 77)]  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(NEW_ROW.format(purpose="newsletter"))
        # The UNIQUE and the foreign keys came through the rebuild.
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO mail_queue (purpose, issue_id, subscriber_id, recipient, domain,"
                " next_try_at, created_at) VALUES ('issue', 2, 3, 'a@a.example', 'a.example',"
                " 0, 0)"
            )
        await db.execute("DELETE FROM newsletter_issues WHERE id = 2")
        left = await db.fetchall("SELECT id FROM mail_queue ORDER BY id")
        assert [r["id"] for r in left] == [5, 13, 14, 15]
        indexes = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mail_queue'"
            " AND sql IS NOT NULL ORDER BY name"
        )
        # 0034's rebuild kept both of 0027's indexes (0036 added mail_queue_about after it).
        assert [r["name"] for r in indexes] == [
            "mail_queue_about", "mail_queue_due", "mail_queue_running"
        ]  # fmt: skip
    finally:
        await db.close()


async def migrate_postgresql(conn: Any, after: int, until: int) -> None:
    for version, _, sql in migration_scripts_for("postgresql"):
        if after < version <= until:
            async with conn.transaction():
                await conn.execute(sql)


async def test_postgresql_keeps_the_queued_mail_and_takes_a_volunteers(postgres_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(postgres_url)
    try:
        await migrate_postgresql(conn, 0, MIGRATION - 1)
        await conn.execute(f"{SUBSCRIBERS}; {ISSUES}; {QUEUE};")
        await migrate_postgresql(conn, MIGRATION - 1, MIGRATION)
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM mail_queue ORDER BY id")
        assert [tuple(r) for r in rows] == KEPT
        for purpose in ("volunteer", "assignment"):
            await conn.execute(NEW_ROW.format(purpose=purpose))
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(NEW_ROW.format(purpose="newsletter"))
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO mail_queue (purpose, issue_id, subscriber_id, recipient, domain,"
                " next_try_at, created_at) VALUES ('issue', 2, 3, 'a@a.example', 'a.example',"
                " 0, 0)"
            )
        found = await conn.fetch("SELECT purpose, ref_id FROM mail_queue WHERE ref_id IS NOT NULL"
                                 " ORDER BY id")  # fmt: skip
        assert [tuple(r) for r in found] == [("volunteer", 77), ("assignment", 77)]
    finally:
        await conn.close()
