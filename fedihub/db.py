"""The database every store talks to: SQLite (the embedded default) or PostgreSQL (postgres.py).

Stores see one small interface, `Database` and `Transaction`: rows read by column name or index,
`?` placeholders, and every write inside `Database.transaction()`. `engine.open_database`
picks the engine from the `database` setting (a postgresql:// URL) or uses the SQLite file in
the data directory.

Wake-ups across processes: `notify(channel)` after a commit tells workers in other processes
that work was written; `listen` hears it. PostgreSQL's LISTEN/NOTIFY carries it (postgres.py);
on SQLite, Unix datagram sockets beside the database file (notices.py), so work the CLI writes
wakes a running server at once.

Content changes: each transaction notes the tables it writes (fedihub/changes.py); a commit
that wrote content raises `content_version` and is told to the other processes on
CONTENT_CHANNEL, so cached pages (fedihub/web/page_cache.py) are dropped by the writes
themselves.

SQLite: one serialised writer, one reader, WAL, foreign keys, migrations. Every write goes
through `transaction()`, which takes an asyncio lock and runs `BEGIN IMMEDIATE`, so concurrent
tasks never interleave statements inside a transaction and other processes (the CLI beside a
running server) wait on SQLite's own lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

from fedihub.changes import ContentVersion, changes_content
from fedihub.dialects import Dialect, migrations_for
from fedihub.errors import ConfigError
from fedihub.notices import Notices, directory_for

BUSY_TIMEOUT_MS = 10_000


class Row(Protocol):
    """A row as both engines give it (sqlite3.Row, asyncpg.Record): by column name or index."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...  # the values, in column order

    def __len__(self) -> int: ...

    def keys(self) -> Any: ...


class Transaction(Protocol):
    """An open transaction: what a store may do inside `Database.transaction()`."""

    dialect: Dialect

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Database(Protocol):
    """The database, whichever engine holds it."""

    dialect: Dialect

    async def close(self) -> None: ...

    async def migrate(self) -> list[str]: ...

    async def schema_version(self) -> int: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    # Goes up with every commit that changed what pages show (fedihub/changes.py), made here or
    # (once `heard_content_change` is called) in another process: cached pages compare it.
    content_version: int

    def heard_content_change(self) -> None:
        """Another process committed a change to content (its notice on CONTENT_CHANNEL)."""
        ...

    def notify(self, channel: str) -> None:
        """Tells the other processes' `listen` on `channel` that work was written (call it after
        the commit). Returns at once; a burst costs one or two round trips, not one each."""
        ...

    async def listen(self, channels: Collection[str], heard: Callable[[str], None]) -> None:
        """Calls `heard(channel)` for each notice from another process, until cancelled; also
        once per channel whenever it (re)starts listening, since notices may have been missed."""
        ...


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order, as SQLite runs them."""
    return migration_scripts_for("sqlite")


def migration_scripts_for(dialect: Dialect) -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order, in the dialect's SQL."""
    folder = resources.files("fedihub") / "migrations"
    files = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:4].isdigit()
    }
    return migrations_for(dialect, files)


def _connect(path: Path) -> sqlite3.Connection:
    """One connection, set up; it runs in a worker thread (`asyncio.to_thread`), so whatever
    fails here (a directory that cannot be written, a file that is not a database) fails before
    aiosqlite starts the thread that would otherwise outlive the error and keep the process
    from exiting."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


Done = TypeVar("Done")


def _first_row(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Row | None:
    """Runs in aiosqlite's thread, as do the three below: each statement is closed before its
    result is handed over, so a connection keeps no snapshot open (see SqliteDatabase)."""
    cursor = conn.execute(sql, params)
    try:
        row: Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


def _all_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    cursor = conn.execute(sql, params)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _row_count(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = conn.execute(sql, params)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _new_row_id(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = conn.execute(sql, params)
    try:
        return int(cursor.lastrowid or 0)
    finally:
        cursor.close()


async def _one_trip(
    conn: aiosqlite.Connection,
    work: Callable[[sqlite3.Connection, str, Sequence[Any]], Done],
    sql: str,
    params: Sequence[Any],
) -> Done:
    """`work` in the connection's thread, in one trip there and back. aiosqlite's own cursor
    calls take two or three (execute, fetch, close: each a wake-up of its thread and of the
    event loop, and a turn at the GIL); with dozens of requests at once those trips cost more
    than the queries, and on the writer they lengthen the one section every write waits for (a
    volunteer's sign-up 2.15 -> 1.50 ms of CPU, a hub's page rendered every time 325 -> 345/s;
    issue 18). It queues `work` as aiosqlite's execute_fetchall queues its own, through
    Connection._execute, which is why pyproject.toml caps aiosqlite's version: a release that
    renamed it fails every read and write in the tests, not quietly."""
    queue = cast(Callable[..., Awaitable[Done]], conn._execute)
    return await queue(work, conn._conn, sql, params)


async def _open(path: Path) -> aiosqlite.Connection:
    ready = await asyncio.to_thread(_connect, path)
    # From here on only aiosqlite's thread uses the connection (hence check_same_thread=False).
    conn = await aiosqlite.Connection(lambda: ready, iter_chunk_size=64)
    conn.row_factory = sqlite3.Row
    return conn


async def _close_all(connections: list[aiosqlite.Connection]) -> None:
    for conn in reversed(connections):
        with suppress(Exception):
            await conn.close()


# Connections that only read. Two, so one page's query runs in SQLite while the event loop
# builds another's rows: a busy hub's dashboard rendered on every request went from about 250
# to 300 a second under wrk on two cores (issue 18). More buy nothing on such a machine.
READERS = 2


class SqliteDatabase(ContentVersion):
    dialect: Dialect = "sqlite"

    def __init__(
        self,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        notices: Notices,
    ) -> None:
        self._writer = writer
        self._notices = notices
        self._all_readers = list(readers)
        self._write_lock = asyncio.Lock()
        # One statement at a time on each reader, from its start to its cursor's close: while
        # a statement is open, SQLite keeps the connection's read snapshot, so another read
        # begun on it meanwhile would not see what was committed since (a post just published,
        # read back to be matched, found missing). So a read takes a reader no other read
        # holds; with two, one page's queries run while another's rows are being built.
        self._idle_readers = list(readers)
        # Reads wait their turn in order: a semaphore queues newcomers behind those waiting (a
        # queue of connections would not: a loop of reads that puts one back and takes it at
        # once starves everyone else).
        self._reader_turns = asyncio.Semaphore(len(readers))

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._reader_turns:
            reader = self._idle_readers.pop()  # one is idle for every turn given
            try:
                yield reader
            finally:
                self._idle_readers.append(reader)

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        """Opens (creating if need be) and migrates the database. On any failure whatever was
        opened is closed again, and SQLite's complaint becomes a ConfigError naming the file."""
        opened: list[aiosqlite.Connection] = []
        try:
            opened.append(await _open(path))  # the writer
            for _ in range(READERS):
                opened.append(await _open(path))
            writer, *readers = opened
            db = cls(writer, readers, Notices(directory_for(path)))
            await db.migrate()
            return db
        except sqlite3.Error as e:
            await _close_all(opened)
            raise ConfigError(
                "cannot open the database %(path)s: %(reason)s", path=str(path), reason=str(e)
            ) from e
        except BaseException:
            await _close_all(opened)
            raise

    async def close(self) -> None:
        self._notices.close()
        for reader in self._all_readers:
            await reader.close()
        await self._writer.close()

    async def migrate(self) -> list[str]:
        """Applies bundled migrations not yet recorded; returns the names applied."""
        async with self._write_lock:
            await self._writer.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with self._writer.execute("SELECT version FROM schema_version") as cur:
                done = {row[0] for row in await cur.fetchall()}
            applied = []
            for version, name, sql in migration_scripts():
                if version in done:
                    continue
                # One script per transaction: a failed migration leaves the old schema intact.
                await self._writer.executescript(
                    "BEGIN IMMEDIATE;\n"
                    f"{sql}\n"
                    "INSERT INTO schema_version (version, name, applied_at) VALUES "
                    f"({version}, '{name}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n"
                    "COMMIT;"
                )
                applied.append(name)
            return applied

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT max(version) AS v FROM schema_version")
        return int(row["v"]) if row and row["v"] is not None else 0

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._reader() as reader:
            return await _one_trip(reader, _first_row, sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._reader() as reader:
            return await _one_trip(reader, _all_rows, sql, params)

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        async with self._write_lock:
            try:
                # Inside the try: aiosqlite runs BEGIN even when the task awaiting it is
                # cancelled, and a transaction left open would refuse every later write.
                await self._writer.execute("BEGIN IMMEDIATE")
                tx = SqliteTransaction(self._writer)
                yield tx
            except BaseException:
                with suppress(sqlite3.Error):  # none open if BEGIN itself failed
                    await asyncio.shield(self._writer.execute("ROLLBACK"))
                raise
            commit = asyncio.ensure_future(self._writer.execute("COMMIT"))
            try:
                await asyncio.shield(commit)
            except asyncio.CancelledError:
                await commit  # let it finish: what it wrote happened, and the caller is told
                raise
            finally:
                self.committed(tx.wrote_content and commit.done() and not commit.exception())

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the rows changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    def notify(self, channel: str) -> None:
        self._notices.send(channel)

    async def listen(self, channels: Collection[str], heard: Callable[[str], None]) -> None:
        await self._notices.listen(channels, heard)


class SqliteTransaction:
    """The writer connection while a transaction is open."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self.wrote_content = False  # see fedihub/changes.py

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.wrote_content = self.wrote_content or changes_content(sql)
        return await _one_trip(self._conn, _row_count, sql, params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.wrote_content = self.wrote_content or changes_content(sql)
        return await _one_trip(self._conn, _new_row_id, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.wrote_content = self.wrote_content or changes_content(sql)
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.wrote_content = self.wrote_content or changes_content(sql)  # … RETURNING writes
        return await _one_trip(self._conn, _first_row, sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.wrote_content = self.wrote_content or changes_content(sql)
        return await _one_trip(self._conn, _all_rows, sql, params)
