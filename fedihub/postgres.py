"""PostgreSQL behind the same store functions as SQLite (db.py's `Database` and `Transaction`).

Chosen by the `database` setting (`FEDIHUB_DATABASE=postgresql://user:pass@host/db`). asyncpg
directly, not an ORM: our stores already speak SQL through one narrow interface, so the engine
only needs a connection pool, `?` placeholders numbered as `$1, $2, …`, the rows changed read
from the command tag, and an inserted row's id from `RETURNING id`.

Within one process writes are serialised as on SQLite (one asyncio lock), so every store keeps
the meaning it has there; several processes rely on PostgreSQL's own locking (the job machine
claims with `FOR UPDATE SKIP LOCKED`). Migrations run under an advisory lock, so processes
starting together apply each migration once.

Wake-ups across processes are LISTEN/NOTIFY: `notify` sends `pg_notify(channel, token)` from the
pool after the caller's commit, coalesced (one in flight per channel and at most one queued
behind it, which covers whatever was committed while the first was on its way); `listen` holds
one connection of its own, outside the pool, and reconnects when it drops. The payload is this
process's token, so a process skips its own notices: its workers were woken in-process already.
Any other payload is only a wake-up: a pass that finds nothing to do costs one query.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from fedihub.changes import ContentVersion, changes_content
from fedihub.db import Row, migration_scripts_for
from fedihub.dialects import Dialect
from fedihub.errors import ConfigError

# Any number will do, as long as nothing else takes the same lock on the same database.
MIGRATION_LOCK = 0x66656469  # "fedi"
POOL_SIZE = 10
# The LISTEN connection is checked this often (a dropped one is usually noticed at once; this
# catches one that hangs), and reopened after these pauses, the last repeating.
LISTEN_CHECK_S = 10.0
RELISTEN_PAUSES_S = (0.1, 0.5, 1.0, 2.0, 5.0)
# Whoever looks at pg_stat_activity can tell the listening connection apart.
LISTENER_NAME = "fedihub listen"
NOTICES_FLUSH_S = 5.0  # at close, how long NOTIFYs still on their way may take
_CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?[0-9]*")


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, …` (SQLite's numbered `?3` as `$3`); a `?`
    inside a string literal stays."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        found = match.group(0)
        if not found.startswith("?"):
            return found
        if found != "?":
            return f"${found[1:]}"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def rows_changed(status: str) -> int:
    """The count at the end of a command tag: 'UPDATE 3', 'INSERT 0 1', 'DELETE 0'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def with_returning_id(sql: str) -> str:
    return sql if re.search(r"\bRETURNING\b", sql, re.IGNORECASE) else f"{sql} RETURNING id"


class PostgresDatabase(ContentVersion):
    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str = "") -> None:
        self._pool = pool
        self._url = url  # for the LISTEN connection
        self._write_lock = asyncio.Lock()
        # The payload of this process's notices, so its listener can tell them from others'.
        self.notice_token = uuid.uuid4().hex
        self._notifying: dict[str, asyncio.Task[None]] = {}
        self._notify_again: set[str] = set()

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        """Connects and migrates; an unreachable or refusing server is a ConfigError naming it
        (without the password)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        except (OSError, asyncpg.PostgresError) as e:
            raise ConfigError(
                "cannot open the database %(url)s: %(reason)s", url=_without_password(url),
                reason=str(e),
            ) from e  # fmt: skip
        db = cls(pool, url)
        try:
            await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        """Sends the notices still on their way (a command's last post must wake the workers)
        before closing the pool."""
        if self._notifying:
            await asyncio.wait(list(self._notifying.values()), timeout=NOTICES_FLUSH_S)
        await self._pool.close()

    async def migrate(self) -> list[str]:
        """Applies bundled migrations not yet recorded, each in its own transaction; returns
        the names applied."""
        applied = []
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in await conn.fetch("SELECT version FROM schema_version")}
            for version, name, sql in migration_scripts_for("postgresql"):
                if version in done:
                    continue
                async with conn.transaction():  # a savepoint: a failed script leaves no trace
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2,"
                        " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
                        version, name,
                    )  # fmt: skip
                applied.append(name)
        return applied

    async def schema_version(self) -> int:
        value = await self.fetchval("SELECT max(version) FROM schema_version")
        return int(value) if value is not None else 0

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._pool.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._pool.fetch(numbered(sql), *params))

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await self._pool.fetchval(numbered(sql), *params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        async with self._write_lock, self._pool.acquire() as conn:
            tx = PostgresTransaction(conn)
            async with conn.transaction():
                yield tx
        self.committed(tx.wrote_content)  # an exception would have left the block above

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    def notify(self, channel: str) -> None:
        if channel in self._notifying:
            self._notify_again.add(channel)  # one more after the one under way, at most
            return
        self._notifying[channel] = asyncio.create_task(
            self._send_notices(channel), name=f"notify {channel}"
        )

    async def _send_notices(self, channel: str) -> None:
        try:
            while True:
                self._notify_again.discard(channel)
                try:
                    await self._pool.execute("SELECT pg_notify($1, $2)", channel, self.notice_token)
                except _CONNECTION_ERRORS as e:  # the others' idle polls will find the work
                    log.warning("NOTIFY %s failed: %s", channel, e)
                if channel not in self._notify_again:
                    return
        finally:
            del self._notifying[channel]

    async def listen(self, channels: Collection[str], heard: Callable[[str], None]) -> None:
        failures = 0
        while True:
            listened = await self._listen_once(channels, heard)
            failures = 0 if listened else failures + 1
            await asyncio.sleep(RELISTEN_PAUSES_S[min(failures, len(RELISTEN_PAUSES_S) - 1)])

    async def _listen_once(self, channels: Collection[str], heard: Callable[[str], None]) -> bool:
        """Listens on one connection until it is lost; whether it got as far as listening."""

        def on_notice(conn: object, pid: int, channel: str, payload: object) -> None:
            if payload != self.notice_token:  # the process's own workers were woken already
                heard(channel)

        lost = asyncio.Event()
        conn: asyncpg.Connection | None = None
        listening = False
        try:
            conn = await asyncpg.connect(
                self._url, server_settings={"application_name": LISTENER_NAME}
            )
            conn.add_termination_listener(lambda _: lost.set())
            for channel in channels:
                await conn.add_listener(channel, on_notice)
            listening = True
            log.info("listening for wake-ups on %s", ", ".join(channels))
            for channel in channels:  # whatever was written while nobody listened
                heard(channel)
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), LISTEN_CHECK_S)
                if not lost.is_set():
                    await conn.execute("SELECT 1", timeout=LISTEN_CHECK_S)
            log.warning("the LISTEN connection closed; opening another")
        except _CONNECTION_ERRORS as e:
            log.warning("the LISTEN connection failed (%s); opening another", e)
        finally:
            if conn is not None:
                conn.terminate()
        return listening


class PostgresTransaction:
    """One pooled connection while its transaction is open."""

    dialect: Dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.wrote_content = False  # see fedihub/changes.py

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.wrote_content = self.wrote_content or changes_content(sql)
        return rows_changed(await self._conn.execute(numbered(sql), *params))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The new row's id (`RETURNING id` is added where the statement has no RETURNING)."""
        self.wrote_content = self.wrote_content or changes_content(sql)
        return int(await self._conn.fetchval(numbered(with_returning_id(sql)), *params) or 0)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.wrote_content = self.wrote_content or changes_content(sql)
        await self._conn.executemany(numbered(sql), [tuple(row) for row in rows])

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.wrote_content = self.wrote_content or changes_content(sql)  # … RETURNING writes
        row: Row | None = await self._conn.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.wrote_content = self.wrote_content or changes_content(sql)
        return list(await self._conn.fetch(numbered(sql), *params))


def _without_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
