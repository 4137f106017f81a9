"""Which engine holds the data: the `database` setting's PostgreSQL, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from fedihub.db import Database, SqliteDatabase


def is_postgresql_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


async def open_database(target: str | Path) -> Database:
    """The database at `target`: a postgresql:// URL, else the path of a SQLite file."""
    if isinstance(target, str) and is_postgresql_url(target):
        from fedihub.postgres import PostgresDatabase  # asyncpg loads only when it is used

        return await PostgresDatabase.open(target)
    return await SqliteDatabase.open(Path(target))
