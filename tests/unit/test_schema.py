"""fedihub/schema.sql is the schema every migration together makes, kept for reading: the test
applies the migrations to a new database and compares. After adding a migration, regenerate it:

    python -m tests.unit.test_schema
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tempfile
from pathlib import Path

from fedihub.engine import open_database

SNAPSHOT = Path(__file__).resolve().parents[2] / "fedihub" / "schema.sql"
HEADER = (
    "-- The schema fedihub/migrations make, for reading; the migrations are what runs.\n"
    "-- Generated: python -m tests.unit.test_schema (tests/unit/test_schema.py checks it).\n"
)


async def migrated_schema() -> str:
    """Every table, index, trigger and view of a newly migrated database, each table followed
    by its indexes, as SQLite keeps their text."""
    with tempfile.TemporaryDirectory() as folder:
        db = await open_database(Path(folder) / "schema.sqlite3")
        try:
            rows = await db.fetchall(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
                " ORDER BY tbl_name, type <> 'table', name"
            )
        finally:
            await db.close()
    return HEADER + "".join(f"\n{row['sql']};\n" for row in rows)


def normalised(schema: str) -> str:
    """The same schema whatever the spacing."""
    return re.sub(r"\s+", " ", schema).strip()


async def test_schema_sql_is_what_the_migrations_make() -> None:
    expected = await migrated_schema()
    assert SNAPSHOT.is_file(), "no fedihub/schema.sql: run `python -m tests.unit.test_schema`"
    assert normalised(SNAPSHOT.read_text(encoding="utf-8")) == normalised(expected), (
        "fedihub/schema.sql differs from what the migrations make: run "
        "`python -m tests.unit.test_schema` and commit the file"
    )


def test_the_snapshot_is_valid_sql() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SNAPSHOT.read_text(encoding="utf-8"))
    finally:
        conn.close()


if __name__ == "__main__":
    SNAPSHOT.write_text(asyncio.run(migrated_schema()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
