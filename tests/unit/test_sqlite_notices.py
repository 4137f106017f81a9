"""Wake-ups across processes on SQLite (fedihub/notices.py): each "process" a database of its own
on one file, and one a real Python process; stale sockets, garbage, a directory that cannot be
used, and a data directory too deep for a socket's address. The CLI waking a real `fedihub
serve`: tests/federation/test_cli_wakes.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fedihub import notices
from fedihub.db import SqliteDatabase
from fedihub.services import CHANNELS, DELIVERIES_CHANNEL, INBOX_CHANNEL
from tests.support.network import eventually

REPO = Path(__file__).resolve().parents[2]
PAGES = "fedihub_pages"  # a channel another listener of the same process may want


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A short data directory, as a deployed one is (pytest's own are too deep for a socket's
    address, which the last test here covers)."""
    path = Path(tempfile.mkdtemp(prefix="fh-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[SqliteDatabase, SqliteDatabase]]:
    here = await SqliteDatabase.open(tmp_path / "fedihub.sqlite3")
    elsewhere = await SqliteDatabase.open(tmp_path / "fedihub.sqlite3")
    yield here, elsewhere
    await here.close()
    await elsewhere.close()


async def _true(value: bool) -> bool:
    return value


async def heard_by(
    db: SqliteDatabase, channels: tuple[str, ...] = CHANNELS
) -> tuple[asyncio.Task[None], Counter[str]]:
    """`db.listen` on `channels`, counting what it hears, once it has begun listening."""
    heard: Counter[str] = Counter()
    task = asyncio.create_task(db.listen(channels, lambda channel: heard.update([channel])))
    await eventually(lambda: _true(all(heard[c] >= 1 for c in channels)), what="listening")
    heard.clear()
    return task, heard


async def stop(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def sockets_in(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".sock"))


async def test_a_process_hears_the_others_notices_and_skips_its_own(
    two_processes: tuple[SqliteDatabase, SqliteDatabase], tmp_path: Path
) -> None:
    here, elsewhere = two_processes
    task, heard = await heard_by(here)
    try:
        assert len(sockets_in(tmp_path / "fedihub.sqlite3-notices")) == 1
        here.notify(INBOX_CHANNEL)  # its own: its workers were woken in-process already
        await asyncio.sleep(0.2)
        assert heard == Counter()
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="the notice")
        elsewhere.notify(DELIVERIES_CHANNEL)
        elsewhere.notify(DELIVERIES_CHANNEL)
        await eventually(lambda: _true(heard[DELIVERIES_CHANNEL] >= 1), what="the second")
        assert set(heard) == {INBOX_CHANNEL, DELIVERIES_CHANNEL}
    finally:
        await stop(task)
    # Stopped, it leaves no socket behind.
    assert sockets_in(tmp_path / "fedihub.sqlite3-notices") == []


async def test_several_listeners_in_one_process_each_hear_their_channels(
    two_processes: tuple[SqliteDatabase, SqliteDatabase],
) -> None:
    here, elsewhere = two_processes
    workers, heard_by_workers = await heard_by(here, (INBOX_CHANNEL, DELIVERIES_CHANNEL))
    pages, heard_by_pages = await heard_by(here, (PAGES,))
    try:
        elsewhere.notify(PAGES)
        elsewhere.notify(DELIVERIES_CHANNEL)
        await eventually(
            lambda: _true(heard_by_pages == Counter({PAGES: 1})
                          and heard_by_workers == Counter({DELIVERIES_CHANNEL: 1})),
            what="each listener its own notice",
        )  # fmt: skip
    finally:
        await stop(workers, pages)


async def test_a_real_process_wakes_this_one(tmp_path: Path) -> None:
    here = await SqliteDatabase.open(tmp_path / "fedihub.sqlite3")
    task, heard = await heard_by(here)
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from fedihub.db import SqliteDatabase\n"
        "async def main():\n"
        "    db = await SqliteDatabase.open(Path(sys.argv[1]))\n"
        "    db.notify('fedihub_deliveries')\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    try:
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(tmp_path / "fedihub.sqlite3"), cwd=REPO
        )
        assert await other.wait() == 0
        await eventually(lambda: _true(heard == Counter({DELIVERIES_CHANNEL: 1})), what="it")
    finally:
        await stop(task)
        await here.close()


async def test_a_socket_nobody_reads_is_removed_and_others_still_hear(
    two_processes: tuple[SqliteDatabase, SqliteDatabase], tmp_path: Path
) -> None:
    here, elsewhere = two_processes
    task, heard = await heard_by(here)
    directory = tmp_path / "fedihub.sqlite3-notices"
    # What a process killed with SIGKILL leaves: a bound socket's file, nobody reading it.
    stale = directory / "99999-00112233-0.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(stale))
    dead.close()
    (directory / "notes.txt").write_text("not a socket of ours")
    try:
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="the notice")
        assert not stale.exists()
        assert (directory / "notes.txt").exists()  # only sockets that refuse are removed
    finally:
        await stop(task)


@pytest.mark.parametrize(
    "datagram",
    [b"", b"\xff\xfe\x00", b"x" * 4000, b"fedihub_other", b"fedihub_inbox\n", "\u202e".encode()],
)
async def test_garbage_and_unknown_channels_are_dropped(
    two_processes: tuple[SqliteDatabase, SqliteDatabase], tmp_path: Path, datagram: bytes
) -> None:
    here, elsewhere = two_processes
    task, heard = await heard_by(here, (INBOX_CHANNEL,))
    (listening,) = sockets_in(tmp_path / "fedihub.sqlite3-notices")
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sender.sendto(datagram, str(tmp_path / "fedihub.sqlite3-notices" / listening))
        elsewhere.notify(DELIVERIES_CHANNEL)  # a channel it does not listen to
        await asyncio.sleep(0.2)
        assert heard == Counter()
        assert not task.done()
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="a real one")
    finally:
        sender.close()
        await stop(task)


async def test_a_directory_that_cannot_be_used_is_survived_and_tried_again(
    two_processes: tuple[SqliteDatabase, SqliteDatabase],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notices, "RETRY_AFTER_S", 0.05)
    here, elsewhere = two_processes
    blocker = tmp_path / "fedihub.sqlite3-notices"
    blocker.write_text("a file where the directory should be")  # mkdir and bind both fail
    heard: Counter[str] = Counter()
    task = asyncio.create_task(here.listen(CHANNELS, lambda c: heard.update([c])))
    try:
        elsewhere.notify(INBOX_CHANNEL)  # nobody to tell, and no error
        await asyncio.sleep(0.3)
        assert heard == Counter()
        assert not task.done()
        blocker.unlink()
        # Listening at last, it wakes every worker once: a notice may have been missed.
        await eventually(lambda: _true(all(heard[c] == 1 for c in CHANNELS)), what="listening")
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard[INBOX_CHANNEL] == 2), what="the notice")
    finally:
        await stop(task)


async def test_a_directory_someone_else_owns_is_not_used(tmp_path: Path) -> None:
    directory = tmp_path / "fedihub.sqlite3-notices"
    directory.mkdir(mode=0o777)
    os.chmod(directory, 0o777)  # anyone may write into it: they could listen in
    db = await SqliteDatabase.open(tmp_path / "fedihub.sqlite3")
    intruder = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    intruder.bind(str(directory / "1-00112233-0.sock"))
    intruder.setblocking(False)
    heard: list[str] = []
    task = asyncio.create_task(db.listen(CHANNELS, heard.append))
    try:
        db.notify(INBOX_CHANNEL)
        await asyncio.sleep(0.2)
        with pytest.raises(BlockingIOError):
            intruder.recv(100)  # nothing was sent into it
        assert heard == []  # nor did the listener bind there
        assert sockets_in(directory) == ["1-00112233-0.sock"]
    finally:
        intruder.close()
        await stop(task)
        await db.close()


async def test_a_removed_socket_is_bound_again(
    two_processes: tuple[SqliteDatabase, SqliteDatabase],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notices, "CHECK_EVERY_S", 0.05)
    here, elsewhere = two_processes
    task, heard = await heard_by(here)
    directory = tmp_path / "fedihub.sqlite3-notices"
    try:
        for name in sockets_in(directory):
            (directory / name).unlink()  # say, someone cleaned the directory up
        await eventually(lambda: _true(all(heard[c] >= 1 for c in CHANNELS)), what="rebinding")
        heard.clear()
        elsewhere.notify(INBOX_CHANNEL)
        await eventually(lambda: _true(heard == Counter({INBOX_CHANNEL: 1})), what="the notice")
    finally:
        await stop(task)


async def test_a_data_directory_too_deep_for_a_socket_address_uses_a_short_one(
    tmp_path: Path,
) -> None:
    assert notices.directory_for(tmp_path / "fedihub.sqlite3").parent == tmp_path
    deep = tmp_path.joinpath(*["a-rather-long-directory-name"] * 4)
    deep.mkdir(parents=True)
    database = deep / "fedihub.sqlite3"
    assert len(os.fsencode(database)) > 108
    short = notices.directory_for(database)
    assert short.parent == Path("/tmp")
    assert notices.directory_for(database) == short  # every process finds the same one
    assert notices.directory_for(tmp_path / "fedihub.sqlite3") != short
    here, elsewhere = await SqliteDatabase.open(database), await SqliteDatabase.open(database)
    try:
        task, heard = await heard_by(here)
        try:
            (listening,) = sockets_in(short)
            assert len(os.fsencode(short / listening)) <= 107
            elsewhere.notify(DELIVERIES_CHANNEL)
            await eventually(lambda: _true(heard == Counter({DELIVERIES_CHANNEL: 1})), what="it")
        finally:
            await stop(task)
    finally:
        await here.close()
        await elsewhere.close()
        os.rmdir(short)
