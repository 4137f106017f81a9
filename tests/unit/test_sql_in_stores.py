"""SQL lives in the store modules (one per group of tables), the database engines (`db.py`,
`postgres.py`, `dialects.py`), the job machine (`jobs.py`) and the migrations: a query written
anywhere else fails here, so the tables each store owns stay visible in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fedihub"
SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|CREATE|ALTER|DROP|PRAGMA)\s")


def may_hold_sql(path: Path) -> bool:
    # The database itself, the copy from one engine to the other, and the backup of a file.
    engines = ("db.py", "postgres.py", "dialects.py", "jobs.py", "transfer.py", "backup.py")
    return path.name == "store.py" or path.name in engines or "migrations" in path.parts


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
    assert found == {}, "move these queries into the store of their tables (fedihub/*/store.py)"


def test_the_check_sees_sql_in_strings_and_f_strings() -> None:
    source = (
        'a = "SELECT 1"\n'
        'b = f"UPDATE t SET {c} = ?"\n'
        'c = ("DELETE FROM t"\n     " WHERE x = ?")\n'
        'd = "Select a hub to follow"\n'
        'e = f"{x} SELECT"\n'
    )
    assert sql_lines(source) == [1, 2, 3]
