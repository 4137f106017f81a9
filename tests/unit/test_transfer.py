"""`fedihub migrate-db` refusing what it cannot move faithfully, before anything is written:
text PostgreSQL cannot hold, a running server, a target that is not empty; and the copy order
taken from the schema's foreign keys. A whole instance moved: federation/test_migrate_db.py."""

from __future__ import annotations

import fcntl
import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest

from fedihub.cli import main
from fedihub.config import load_config
from fedihub.db import SqliteDatabase
from fedihub.instance import init_instance
from fedihub.transfer import TransferRefused, move_to_postgresql, parents_first, sqlite_tables
from tests.support.threads import run_apart


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A new instance's data directory on SQLite, whatever backend the suite runs on."""
    directory = tmp_path / "data"
    assert main(["init", "--data", str(directory), "--domain", "localhost:8999",
                 "--insecure-http"]) == 0  # fmt: skip
    return directory


def count(url: str, sql: str) -> int:
    async def fetch() -> int:
        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval(sql))
        finally:
            await connection.close()

    return run_apart(fetch())


def rows_in(url: str, table: str) -> int:
    return count(url, f"SELECT count(*) FROM {table}")


def test_tables_come_after_the_tables_they_name() -> None:
    order = parents_first({"posts": {"actors", "posts"}, "votes": {"posts"}, "actors": set()})
    assert order == ["actors", "posts", "votes"]


def test_tables_that_name_each_other_are_refused() -> None:
    with pytest.raises(TransferRefused, match="name each other"):
        parents_first({"a": {"b"}, "b": {"a"}})


async def test_every_table_but_the_migration_record_is_copied_parents_first(
    tmp_path: Path,
) -> None:
    db = await SqliteDatabase.open(tmp_path / "x.sqlite3")
    try:
        async with db.transaction() as tx:
            tables = await sqlite_tables(tx)
    finally:
        await db.close()
    order = list(tables)
    assert "schema_version" not in order
    assert "leases" not in order  # held by SQLite's processes, none of which runs on the new one
    assert order.index("local_actors") < order.index("accounts") < order.index("posts")
    assert order.index("posts") < order.index("poll_votes")
    assert order.index("outbox_activities") < order.index("deliveries")
    assert tables["poll_votes"][-1] == "seq"  # columns in their declared order


async def test_text_with_a_nul_character_is_refused_naming_where_it_is(
    data: Path, postgres_url: str
) -> None:
    with closing(sqlite3.connect(data / "fedihub.sqlite3")) as conn, conn:
        conn.execute("UPDATE local_actors SET summary = ? WHERE id = 1", ("before\x00after",))
    with pytest.raises(TransferRefused) as refused:
        await move_to_postgresql(data / "fedihub.sqlite3", postgres_url)
    message = refused.value.message
    assert "local_actors.summary" in message and "id 1" in message and "NUL" in message
    assert rows_in(postgres_url, "local_actors") == 0  # nothing half-copied


async def test_the_leases_of_a_server_killed_on_sqlite_stay_behind(
    data: Path, postgres_url: str
) -> None:
    with closing(sqlite3.connect(data / "fedihub.sqlite3")) as conn, conn:
        conn.execute("INSERT INTO leases VALUES ('scheduler', 'host:/gone', 4e9)")
        conn.execute(
            "INSERT INTO inbox_items (activity_uri, actor_uri, actor_host, type, document, state,"
            " next_try_at, locked_until, locked_by, received_at) VALUES ('https://h.example/1',"
            " 'https://h.example/u', 'h.example', 'Like', '{}', 'running', 0, 4e9, 'host:/gone', 0)"
        )
    await move_to_postgresql(data / "fedihub.sqlite3", postgres_url)
    assert rows_in(postgres_url, "leases") == 0
    assert rows_in(postgres_url, "local_actors") == 2  # the instance actor and the newswire
    # The item it was running is due again at once, for whichever process claims it.
    assert count(postgres_url, "SELECT count(*) FROM inbox_items WHERE state = 'pending'"
                 " AND locked_by IS NULL AND locked_until IS NULL") == 1  # fmt: skip


def test_the_command_refuses_a_nul_and_leaves_the_instance_on_sqlite(
    data: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with closing(sqlite3.connect(data / "fedihub.sqlite3")) as conn, conn:
        conn.execute("UPDATE local_actors SET name = ? WHERE id = 1", ("a\x00b",))
    assert main(["migrate-db", "--data", str(data), "--to", postgres_url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fedihub: error: local_actors.name of the row with id 1"), err
    assert load_config(data).database == ""


def test_the_command_refuses_while_a_server_holds_the_data_directory(
    data: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with (data / "serve.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `fedihub serve` does
        assert main(["migrate-db", "--data", str(data), "--to", postgres_url]) == 1
    assert "`fedihub serve` is running on" in capsys.readouterr().err
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    assert count(postgres_url, tables) == 0  # refused before the target was even opened
    assert load_config(data).database == ""


def test_the_command_wants_a_postgresql_url(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--data", str(data), "--to", str(tmp_path / "x.sqlite3")]) == 1
    assert "--to takes a postgresql://" in capsys.readouterr().err


async def test_a_database_that_is_not_empty_is_refused(
    tmp_path: Path, data: Path, postgres_url: str
) -> None:
    await init_instance(tmp_path / "other", "localhost:8998", True, database=postgres_url)
    with pytest.raises(TransferRefused, match="not empty"):
        await move_to_postgresql(data / "fedihub.sqlite3", postgres_url)
    assert rows_in(postgres_url, "local_actors") == 2  # the other instance's actor and newswire
