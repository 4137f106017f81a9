"""The PostgreSQL engine's translations of what stores write for SQLite (pure parts)."""

from __future__ import annotations

import pytest

from fedihub.postgres import _without_password, numbered, rows_changed, with_returning_id


@pytest.mark.parametrize("sql, expected", [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
    ("SELECT '?' || ? FROM t", "SELECT '?' || $1 FROM t"),  # a ? in a literal stays
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
    ("SELECT 1", "SELECT 1"),
    ("WHERE a <= ?1 AND b = ?2 OR c < ?1", "WHERE a <= $1 AND b = $2 OR c < $1"),
])  # fmt: skip
def test_placeholders_are_numbered_outside_literals(sql: str, expected: str) -> None:
    assert numbered(sql) == expected


@pytest.mark.parametrize("status, count", [
    ("UPDATE 3", 3), ("INSERT 0 1", 1), ("DELETE 0", 0), ("CREATE TABLE", 0), ("", 0),
])  # fmt: skip
def test_rows_changed_come_from_the_command_tag(status: str, count: int) -> None:
    assert rows_changed(status) == count


def test_an_insert_returns_its_id_unless_it_says_what_it_returns() -> None:
    assert with_returning_id("INSERT INTO t (a) VALUES (?)") == (
        "INSERT INTO t (a) VALUES (?) RETURNING id"
    )
    assert with_returning_id("INSERT INTO t (a) VALUES (?) returning a") == (
        "INSERT INTO t (a) VALUES (?) returning a"
    )


def test_a_url_in_an_error_keeps_no_password() -> None:
    assert _without_password("postgresql://hub:s3cr3t@db.example/hub") == (
        "postgresql://hub:***@db.example/hub"
    )
    assert _without_password("postgresql://hub@db.example/hub") == "postgresql://hub@db.example/hub"
