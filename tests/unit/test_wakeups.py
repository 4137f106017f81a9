"""Wake-ups across processes (`Database.notify` / `listen`, `Services.wakeups`): on PostgreSQL by
LISTEN/NOTIFY on a real server, each "process" a database of its own (its own pool, as each
fedihub process has). On SQLite (Unix datagram sockets beside the file, fedihub/notices.py):
tests/unit/test_sqlite_notices.py. The same with real `fedihub worker` processes:
tests/federation/test_cluster.py; the CLI waking a real server:
tests/federation/test_cli_wakes.py."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from fedihub.postgres import LISTENER_NAME, PostgresDatabase
from fedihub.services import CHANNELS, DELIVERIES_CHANNEL, INBOX_CHANNEL, Wakeups
from tests.support.network import eventually


@pytest.fixture
async def two_processes(postgres_url: str) -> AsyncIterator[tuple[PostgresDatabase, ...]]:
    opened = (await PostgresDatabase.open(postgres_url), await PostgresDatabase.open(postgres_url))
    yield opened
    for db in opened:
        await db.close()


async def counting_listener(url: str, channel: str) -> tuple[asyncpg.Connection, list[str]]:
    """A plain LISTEN of our own on `channel`: every payload that arrives."""
    payloads: list[str] = []
    conn = await asyncpg.connect(url)
    await conn.add_listener(channel, lambda *args: payloads.append(args[3]))
    return conn, payloads


async def heard_by(db: PostgresDatabase) -> tuple[asyncio.Task[None], Counter[str]]:
    """`db.listen` on every channel, counting what it hears, once it has begun listening."""
    heard: Counter[str] = Counter()
    task = asyncio.create_task(db.listen(CHANNELS, lambda channel: heard.update([channel])))

    async def listening() -> bool:  # it wakes every channel once it listens
        return all(heard[c] >= 1 for c in CHANNELS)

    await eventually(listening, what="the listener to listen")
    heard.clear()
    return task, heard


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_burst_of_wakeups_costs_one_or_two_notifies(
    two_processes: tuple[PostgresDatabase, ...], postgres_url: str
) -> None:
    writer, _ = two_processes
    conn, payloads = await counting_listener(postgres_url, DELIVERIES_CHANNEL)
    try:
        for _ in range(1000):  # a thousand writes in a burst, each asking for a wake-up
            writer.notify(DELIVERIES_CHANNEL)
        await eventually(lambda: _true(not writer._notifying), what="the notices to be sent")
        await asyncio.sleep(0.2)  # let any stray notice arrive
        # One in flight, one more queued behind it for the writes made meanwhile.
        assert 1 <= len(payloads) <= 2, len(payloads)
        assert set(payloads) == {writer.notice_token}
        writer.notify(DELIVERIES_CHANNEL)  # a write after the burst still gets its own notice
        await eventually(lambda: _true(len(payloads) in (2, 3)), what="one more notice")
    finally:
        await conn.close()


async def _true(value: bool) -> bool:
    return value


async def test_a_process_hears_the_others_notices_and_skips_its_own(
    two_processes: tuple[PostgresDatabase, ...],
) -> None:
    here, elsewhere = two_processes
    task, heard = await heard_by(here)
    try:
        here.notify(INBOX_CHANNEL)  # its own: its workers were woken in-process already
        await asyncio.sleep(0.3)
        assert heard == Counter()
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="the notice")
    finally:
        await stop(task)


async def test_wakeups_wake_this_process_at_once_and_the_others_by_notice(
    two_processes: tuple[PostgresDatabase, ...],
) -> None:
    here, elsewhere = two_processes
    woken_here: list[str] = []
    woken_there: list[str] = []
    mine, theirs = Wakeups(here), Wakeups(elsewhere)
    mine.here(INBOX_CHANNEL, lambda: woken_here.append("inbox"))
    theirs.here(INBOX_CHANNEL, lambda: woken_there.append("inbox"))
    listening = asyncio.create_task(theirs.listen())
    try:
        await eventually(lambda: _true(woken_there == ["inbox"]), what="the listener")
        mine.wake(INBOX_CHANNEL)
        assert woken_here == ["inbox"]  # synchronously, in this process
        await eventually(lambda: _true(woken_there == ["inbox"] * 2), what="the other process")
        mine.wake(DELIVERIES_CHANNEL)  # nobody here runs deliveries: only the notice goes out
        assert woken_here == ["inbox"]
    finally:
        await stop(listening)


@pytest.mark.parametrize(
    "payload",
    ["", "x" * 7999, "\u202e\U0001f600 DROP TABLE deliveries; --", '{"channel": "../../etc"}'],
)
async def test_an_unexpected_payload_is_only_a_wakeup(
    two_processes: tuple[PostgresDatabase, ...], postgres_url: str, payload: str
) -> None:
    here, _ = two_processes
    task, heard = await heard_by(here)
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("SELECT pg_notify($1, $2)", INBOX_CHANNEL, payload)
        await conn.execute("SELECT pg_notify('fedihub_other', 'x')")  # not ours: not heard
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="a wake-up")
        assert not task.done()
        await conn.execute("SELECT pg_notify($1, 'again')", DELIVERIES_CHANNEL)
        await eventually(lambda: _true(heard[DELIVERIES_CHANNEL] == 1), what="the next notice")
    finally:
        await conn.close()
        await stop(task)


async def test_the_listen_connection_comes_back_after_it_is_terminated(
    two_processes: tuple[PostgresDatabase, ...], postgres_url: str
) -> None:
    here, elsewhere = two_processes
    task, heard = await heard_by(here)
    conn = await asyncpg.connect(postgres_url)
    try:
        terminated = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            LISTENER_NAME,
        )
        assert terminated == 1
        # Listening again, it wakes every worker: a notice may have been missed meanwhile.
        await eventually(
            lambda: _true(all(heard[c] >= 1 for c in CHANNELS)), what="the listener to return"
        )
        heard.clear()
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="a notice")
    finally:
        await conn.close()
        await stop(task)
