"""`fedihub backup` copies a running instance's SQLite database: taken while a real `fedihub
serve` stores Follows arriving at its inbox, the copy passes SQLite's checks, serves again as
the instance, and holds every activity the server had acknowledged (202) before the backup
began. It never overwrites a file, and refuses PostgreSQL (naming pg_dump) and a directory that
is not an instance's."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from fedihub.backup import backup_instance
from tests.support.instances import FedihubInstance
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation

HUB = "relief"
WRITERS = 4  # Follows in flight at once


async def follow_forever(
    instance: FedihubInstance, remote: RemoteServer, acknowledged: list[tuple[float, str]]
) -> None:
    """Signed Follows of the hub from new remote actors, `WRITERS` at a time, until cancelled;
    each one the server acknowledged (stored before its 202) is appended with the time of the
    answer."""
    numbers = itertools.count()

    async def one_writer() -> None:
        while True:
            actor = remote.add_actor(f"v{next(numbers)}")
            follow = {"id": f"{actor.id}#follow", "type": "Follow", "actor": actor.id,
                      "object": f"{instance.base_url}/hubs/{HUB}"}  # fmt: skip
            resp = await remote.post(f"{instance.listening_url}/hubs/{HUB}/inbox", follow, actor)
            assert resp.status == 202, resp.status
            acknowledged.append((time.monotonic(), follow["id"]))

    await asyncio.gather(*(one_writer() for _ in range(WRITERS)))


def copied_follows(copy: Path) -> set[str]:
    """The Follows stored in a copy, once SQLite has checked it whole."""
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # One self-contained file: nothing of it waits in a -wal file beside it.
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        return {uri for (uri,) in conn.execute("SELECT activity_uri FROM inbox_items")}


async def test_a_backup_taken_while_serve_writes_has_every_row_acknowledged_before_it(
    tmp_path: Path, password_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two copies while the writes go on: one by the command, as an operator takes it, and one
    by the function it calls, whose start the test knows to the millisecond (the command spends
    a second starting Python first): a copy of the file alone, without the rows still in the
    -wal file beside it, loses the last acknowledged Follows there."""
    # The inbox's per-host budget would turn the writers away with 429 after 600 requests.
    monkeypatch.setenv("FEDIHUB_INBOX_REQUESTS_PER_MINUTE_PER_HOST", "1000000")
    a = FedihubInstance(tmp_path, "a")  # SQLite whichever backend the suite runs on
    a.init()
    a.cli("account", "create", "--data", a.data, "org", "--admin", "--password-file", password_file)
    a.cli("hub", "create", "--data", a.data, HUB, "--name", "Sandy relief")
    backups = tmp_path / "backups"
    backups.mkdir()
    by_command, by_function = backups / "command.sqlite3", backups / "function.sqlite3"
    acknowledged: list[tuple[float, str]] = []

    def acknowledged_before(moment: float) -> set[str]:
        return {activity for at, activity in acknowledged if at < moment}

    async def more_follows(count: int) -> None:
        goal = len(acknowledged) + count
        while len(acknowledged) < goal:
            assert not writing.done(), writing
            await asyncio.sleep(0.01)

    try:
        await a.start()
        async with RemoteServer() as remote:
            writing = asyncio.create_task(follow_forever(a, remote, acknowledged))
            try:
                await more_follows(100)
                before_command = acknowledged_before(time.monotonic())
                out = await a.acli("backup", "--data", a.data, "--to", by_command)
                await more_follows(50)
                before_function = acknowledged_before(time.monotonic())
                await backup_instance(a.data, by_function)
                # The server went on: more Follows than were in flight when the copy ended.
                await more_follows(2 * WRITERS)
            finally:
                writing.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await writing
        assert out.stdout.startswith(f"backed up to {by_command}: "), out.stdout
    finally:
        await a.stop()

    for copy, before in ((by_command, before_command), (by_function, before_function)):
        stored = copied_follows(copy)
        missing = before - stored
        assert not missing, f"{len(missing)} acknowledged Follows are not in {copy.name}"
    # And the copy is the state at a moment, not the end.
    assert len(stored) < len(acknowledged)
    assert sorted(p.name for p in backups.iterdir()) == ["command.sqlite3", "function.sqlite3"]

    # Restored as an operator would: config.toml and the copy as the database.
    restored = FedihubInstance(tmp_path, "restored")
    restored.data.mkdir()
    shutil.copy(a.data / "config.toml", restored.data / "config.toml")
    shutil.copy(by_command, restored.data / "fedihub.sqlite3")
    # Served where the instance was (a development instance refuses a port its links do not
    # name); the original is stopped.
    restored.domain, restored.base_url, restored.port = a.domain, a.base_url, a.port
    assert restored.cli("deliveries", "--data", restored.data).returncode == 0
    try:
        await restored.start()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{restored.listening_url}/hubs/{HUB}",
                        headers={"Accept": "application/activity+json"}) as resp,
        ):  # fmt: skip
            assert resp.status == 200
            assert (await resp.json())["id"] == f"{a.base_url}/hubs/{HUB}"
    finally:
        await restored.stop()


def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    a = FedihubInstance(tmp_path, "a")
    a.init()
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"last week's backup")
    for target in (existing, a.data / "fedihub.sqlite3"):  # the live database itself too
        before = target.read_bytes()
        result = a.cli("backup", "--data", a.data, "--to", target, check=False)
        assert result.returncode == 1
        assert result.stderr == (
            f"fedihub: error: {target} already exists: a backup never overwrites a file\n"
        )
        assert target.read_bytes() == before
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "elsewhere")
    assert a.cli("backup", "--data", a.data, "--to", dangling, check=False).returncode == 1
    assert not (tmp_path / "elsewhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "existing.sqlite3", "link"]


def test_a_backup_needs_an_instance_and_a_directory_to_write_in(tmp_path: Path) -> None:
    a = FedihubInstance(tmp_path, "a")
    a.init()
    result = a.cli("backup", "--data", tmp_path / "nothing", "--to", tmp_path / "b", check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"fedihub: error: {tmp_path / 'nothing'} is not a fedihub data directory"
        " (run `fedihub init` first)\n"
    )
    result = a.cli("backup", "--data", a.data, "--to", tmp_path / "no" / "b", check=False)
    assert result.stderr == f"fedihub: error: {tmp_path / 'no'}: no such directory\n"
    (a.data / "fedihub.sqlite3").unlink()
    result = a.cli("backup", "--data", a.data, "--to", tmp_path / "b", check=False)
    assert result.stderr == (
        f"fedihub: error: {a.data / 'fedihub.sqlite3'}: no such database to back up\n"
    )
    assert not (a.data / "fedihub.sqlite3").exists()  # and none was made
    assert not (tmp_path / "b").exists()


async def test_on_postgresql_a_backup_is_refused_and_names_pg_dump(
    tmp_path: Path, postgres_url: str
) -> None:
    a = FedihubInstance(tmp_path, "a", database=postgres_url)
    await asyncio.to_thread(a.init)
    result = await a.acli("backup", "--data", a.data, "--to", tmp_path / "b", check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"fedihub: error: {a.data} keeps its data in PostgreSQL: back it up with pg_dump"
        " (pg_dump -Fc, see deploy/README.md)\n"
    )
    assert not (tmp_path / "b").exists()
