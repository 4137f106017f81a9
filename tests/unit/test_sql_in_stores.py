"""SQL lives in the store modules, the database engines (`db.py`, `postgres.py`, `dialects.py`),
the job machine (`jobs.py`) and the migrations: a query written anywhere else fails here, so the
tables each store owns stay visible in one place.

A store module is a capability's `store.py`, or, in a capability with several groups of tables,
one `<group>_store.py` per group (volunteers/sites_store.py beside volunteers/store.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fedihub"
SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|ALTER|DROP|PRAGMA)\s")


def is_store(path: Path) -> bool:
    return path.name == "store.py" or path.name.endswith("_store.py")


def may_hold_sql(path: Path) -> bool:
    # The database itself, the copy from one engine to the other, and the backup of a file.
    engines = ("db.py", "postgres.py", "dialects.py", "jobs.py", "transfer.py", "backup.py")
    return is_store(path) or path.name in engines or "migrations" in path.parts


def sql_lines(source: str) -> list[int]:
    """Lines where a string (or an f-string's first part) starts with an SQL statement."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and node.values:
            node = node.values[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.add(node.lineno)
    return sorted(found)


def sql_outside_stores() -> dict[str, list[int]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = [] if may_hold_sql(path) else sql_lines(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    return found


def test_sql_is_only_in_stores() -> None:
    found = sql_outside_stores()
    assert found == {}, (
        "move these queries into the store of their tables (fedihub/*/store.py or *_store.py)"
    )


def test_the_check_sees_sql_in_strings_and_f_strings() -> None:
    source = (
        'a = "SELECT 1"\n'
        'b = f"UPDATE t SET {c} = ?"\n'
        'c = ("DELETE FROM t"\n     " WHERE x = ?")\n'
        'd = "Select a hub to follow"\n'
        'e = f"{x} SELECT"\n'
    )
    assert sql_lines(source) == [1, 2, 3]


def test_a_store_is_store_py_or_a_group_s_store() -> None:
    volunteers = PACKAGE / "volunteers"
    assert may_hold_sql(volunteers / "store.py")
    assert may_hold_sql(volunteers / "sites_store.py")
    assert not may_hold_sql(volunteers / "assignments.py")
    assert not may_hold_sql(volunteers / "restore.py")  # ends in store.py, not in _store.py
    assert not may_hold_sql(volunteers / "store_helpers.py")
