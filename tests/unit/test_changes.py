"""Which statements change what pages show (fedihub/changes.py): a cached page is dropped by
the writes that change content, and not by the hot bookkeeping no page shows."""

from __future__ import annotations

import pytest

from fedihub.changes import changes_content


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO posts (actor_id, kind) VALUES (?, ?)",
        "insert or replace into poll_votes (post_id, voter) values (?, ?)",
        'UPDATE "followers" SET state = ? WHERE id = ?',
        "DELETE FROM reactions WHERE id = ?",
        "REPLACE INTO instance_settings (name, value) VALUES (?, ?)",
        # A quiet table beside a content one: content.
        "WITH gone AS (DELETE FROM deliveries WHERE id = ? RETURNING activity_id)"
        " UPDATE outbox_activities SET sent = 1 WHERE id IN (SELECT activity_id FROM gone)",
        "INSERT INTO a_table_added_later (x) VALUES (?)",  # unknown: content, to be safe
    ],
)
def test_writes_to_what_pages_show_change_content(sql: str) -> None:
    assert changes_content(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE deliveries SET state = 'done' WHERE id = ?",
        "INSERT INTO inbox_items (body) VALUES (?)",
        "DELETE FROM web_sessions WHERE expires_at < ?",
        "INSERT INTO leases (name, owner) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET owner = ?",
        "UPDATE mail_queue SET state = 'running' WHERE id IN (SELECT id FROM mail_queue"
        " WHERE state = 'pending' ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED)",
        "SELECT * FROM posts WHERE id = ?",
        "SELECT id FROM deliveries FOR UPDATE OF deliveries NOWAIT",
    ],
)
def test_bookkeeping_and_reads_do_not(sql: str) -> None:
    assert not changes_content(sql)
