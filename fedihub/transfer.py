"""Moving an instance's data from its SQLite file into an empty PostgreSQL database
(`fedihub migrate-db`): every table, every row, the same ids, all or nothing.

The tables, their columns and the order they are copied in (parents before the tables whose
foreign keys name them) come from the SQLite schema itself, so a table a later migration adds
is moved without a change here. Both databases are migrated to the bundled version first and
must then agree on it, and on every table's columns.

The copy reads SQLite inside one write transaction (nothing changes it meanwhile, and the rows
read are one consistent state) and writes PostgreSQL inside one transaction: a refusal or a
failure half-way leaves the target as empty as it was. Rows of a table are copied in rowid
order, so a row that names an older row of its own table (a recurring event's occurrences name
their series) comes after it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import asyncpg

from fedihub.config import CONFIG_FILE, write_private
from fedihub.db import Row, SqliteDatabase, Transaction
from fedihub.engine import open_database
from fedihub.errors import ConfigError

BATCH_ROWS = 500
# Bookkeeping each database keeps for itself: which migrations it ran, and when; and the named
# leases (the scheduler's) of processes that ran on SQLite, none of which runs on the new
# database: copied, a lease left by a server killed before the move would hold PostgreSQL's
# scheduler back until it ran out.
NOT_COPIED = {"schema_version", "leases"}


class TransferRefused(ConfigError):
    """The data cannot be moved as it is, or the target cannot take it; nothing was written."""


def quoted(name: str) -> str:
    """An identifier as both engines read it exactly (names come from the schema, not people)."""
    return '"' + name.replace('"', '""') + '"'


def parents_first(references: dict[str, set[str]]) -> list[str]:
    """The tables (each mapped to the tables its foreign keys name) in an order where every
    table comes after those it names. A table naming itself is ordered by its rows instead."""
    graph = {table: references[table] - {table} for table in sorted(references)}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise TransferRefused(
            "the tables %(tables)s name each other: no order copies their parents first",
            tables=", ".join(e.args[1]),
        ) from e


async def sqlite_tables(reading: Transaction) -> dict[str, list[str]]:
    """Each SQLite table to copy, in copy order, with its columns in their declared order."""
    found = await reading.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
    )
    references = {}
    for (table,) in found:
        rows = await reading.fetchall('SELECT "table" FROM pragma_foreign_key_list(?)', (table,))
        references[table] = {row[0] for row in rows}
    tables = {}
    for table in parents_first(references):
        if table not in NOT_COPIED:
            rows = await reading.fetchall(
                "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,)
            )
            tables[table] = [row[0] for row in rows]
    return tables


async def postgresql_columns(writing: Transaction) -> dict[str, set[str]]:
    rows = await writing.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


async def refuse_unless_ready(
    writing: Transaction, tables: dict[str, list[str]], versions: tuple[int, int]
) -> None:
    """The target must hold this schema version, the same tables and columns, and no rows."""
    source_version, target_version = versions
    if source_version != target_version:
        raise TransferRefused(
            "the PostgreSQL database is at schema version %(target)s, this instance at"
            " %(source)s: run the same fedihub release on both",
            target=target_version, source=source_version,
        )  # fmt: skip
    target = await postgresql_columns(writing)
    for table, columns in tables.items():
        if set(columns) != target.get(table):
            raise TransferRefused(
                "the table %(table)s has other columns in PostgreSQL than in SQLite", table=table
            )
    for table in sorted(set(target) - NOT_COPIED):
        if await writing.fetchone(f"SELECT 1 FROM {quoted(table)} LIMIT 1") is not None:
            raise TransferRefused(
                "the PostgreSQL database is not empty (the table %(table)s has rows):"
                " migrate-db only fills an empty database",
                table=table,
            )


def refuse_nul_text(table: str, columns: list[str], rows: Sequence[Row]) -> None:
    """PostgreSQL's text cannot hold the NUL character, and changing people's data to fit is
    not ours to do: the operator is told where it is. Each row starts with its rowid."""
    for row in rows:
        for column, value in zip(columns, list(row)[1:], strict=True):
            if isinstance(value, str) and "\x00" in value:
                raise TransferRefused(
                    "%(table)s.%(column)s of the row with id %(row)s holds a NUL character,"
                    " which PostgreSQL cannot store: remove it, then run migrate-db again",
                    table=table, column=column, row=row[0],
                )  # fmt: skip


async def copy_table(
    reading: Transaction, writing: Transaction, table: str, columns: list[str]
) -> int:
    """Copies the table in batches, in rowid order; returns the rows copied."""
    names = ", ".join(quoted(c) for c in columns)
    select = f"SELECT rowid, {names} FROM {quoted(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    insert = f"INSERT INTO {quoted(table)} ({names}) VALUES ({', '.join('?' * len(columns))})"
    copied, after = 0, -(2**63)
    while rows := await reading.fetchall(select, (after, BATCH_ROWS)):
        refuse_nul_text(table, columns, rows)
        try:
            await writing.executemany(insert, [list(row)[1:] for row in rows])
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as e:  # a type or key it refuses
            raise TransferRefused(
                "PostgreSQL refused a row of %(table)s: %(reason)s", table=table, reason=str(e)
            ) from e
        copied += len(rows)
        after = rows[-1][0]
    return copied


async def continue_identities(writing: Transaction) -> None:
    """Copied rows keep their ids, and an explicit id does not move an identity's counter:
    each counter is set past the highest id copied, so new rows get ids after the old ones."""
    identities = await writing.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in identities:
        await writing.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max({quoted(column)}), 0) + 1,"
            f" false) FROM {quoted(table)}",
            (table, column),
        )


async def release_leases(writing: Transaction, tables: dict[str, list[str]]) -> int:
    """Work the SQLite server was running when it stopped (killed, most likely: a clean stop
    records it) goes back in its queue: its leases name a process that never runs on the new
    database, and would hold those rows, and their host's slots, until they ran out."""
    released = 0
    for table, columns in tables.items():
        if {"state", "locked_until", "locked_by"} <= set(columns):
            released += await writing.execute(
                f"UPDATE {quoted(table)} SET state = 'pending', locked_until = NULL,"
                " locked_by = NULL WHERE state = 'running'"
            )
    return released


async def count_rows(tx: Transaction, table: str) -> int:
    row = await tx.fetchone(f"SELECT count(*) FROM {quoted(table)}")
    return int(row[0]) if row else 0


async def refuse_unless_counts_match(
    reading: Transaction, writing: Transaction, table: str
) -> None:
    had, has = await count_rows(reading, table), await count_rows(writing, table)
    if had != has:
        raise TransferRefused(
            "%(table)s: %(had)s rows in SQLite but %(has)s in PostgreSQL; nothing was moved",
            table=table, had=had, has=has,
        )  # fmt: skip


async def move_to_postgresql(sqlite_path: Path, url: str) -> list[tuple[str, int]]:
    """Copies everything in the SQLite file into the empty PostgreSQL database at `url`;
    returns (table, rows) in the order copied. The SQLite file is only read (after migrating)."""
    source = await SqliteDatabase.open(sqlite_path)
    try:
        target = await open_database(url)
        try:
            versions = (await source.schema_version(), await target.schema_version())
            async with source.transaction() as reading, target.transaction() as writing:
                tables = await sqlite_tables(reading)
                await refuse_unless_ready(writing, tables, versions)
                copied = [
                    (table, await copy_table(reading, writing, table, columns))
                    for table, columns in tables.items()
                ]
                await continue_identities(writing)
                await release_leases(writing, tables)
                for table, _ in copied:
                    await refuse_unless_counts_match(reading, writing, table)
            return copied
        finally:
            await target.close()
    finally:
        await source.close()


def switch_to(data_dir: Path, url: str) -> None:
    """Points the instance's config.toml at the PostgreSQL database (its other lines stay)."""
    path = data_dir / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    separator = "" if text.endswith("\n") or not text else "\n"
    # A TOML basic string is a JSON string; the settings are top-level keys, so one more line
    # at the end is one more setting.
    write_private(path, f"{text}{separator}database = {json.dumps(url)}\n")
