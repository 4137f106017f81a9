"""The harness that gives tests a real PostgreSQL (tests/support/postgres.py, tests/conftest.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import pytest

from tests.support import postgres
from tests.support.instances import FedihubInstance
from tests.support.network import free_port
from tests.support.postgres import (
    BACKEND_VARIABLE,
    Databases,
    PostgresCluster,
    PostgresUnavailable,
    suite_backend,
)


def server_processes(postmaster_pid: int) -> set[int]:
    """The postmaster and the processes it started (checkpointer, writers, backends…)."""
    children = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):  # gone meanwhile, or a line without a value
            continue
        if int(fields.get("PPid", "0")) == postmaster_pid:
            children.add(int(status.parent.name))
    return {postmaster_pid, *children}


def left_behind(processes: set[int], directory: Path) -> list[str]:
    """What of a stopped cluster still exists: its processes, its directory."""
    alive = [f"process {pid}" for pid in sorted(processes) if Path(f"/proc/{pid}").exists()]
    return alive + ([str(directory)] if directory.exists() else [])


async def table_names(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    finally:
        await connection.close()
    return [row["tablename"] for row in rows]


async def test_two_new_databases_are_independent(postgres_cluster: PostgresCluster) -> None:
    first, second = await postgres_cluster.new_database(), await postgres_cluster.new_database()
    assert first != second
    assert first.startswith(f"postgresql://postgres@127.0.0.1:{postgres_cluster.port}/")
    connection = await asyncpg.connect(first)
    try:
        await connection.execute("CREATE TABLE only_here (id integer PRIMARY KEY)")
    finally:
        await connection.close()
    assert await table_names(first) == ["only_here"]
    assert await table_names(second) == []


async def test_postgres_url_is_a_fresh_database_dropped_afterwards(
    postgres_cluster: PostgresCluster, postgres_url: str
) -> None:
    assert await table_names(postgres_url) == []
    name = postgres_url.rsplit("/", 1)[1]
    assert name in await postgres_cluster.databases()
    await postgres_cluster.drop_database(postgres_url)
    assert name not in await postgres_cluster.databases()


async def test_the_server_listens_on_loopback_only_with_its_socket_in_its_directory(
    postgres_cluster: PostgresCluster,
) -> None:
    connection = await asyncpg.connect(postgres_cluster.url("postgres"))
    try:
        settings = {
            name: await connection.fetchval(f"SHOW {name}")
            for name in ("listen_addresses", "unix_socket_directories", "fsync")
        }
    finally:
        await connection.close()
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(postgres_cluster.directory),
        "fsync": "off",
    }


async def test_a_stopped_cluster_leaves_no_process_and_no_directory(
    postgres_bin_dir: Path,
) -> None:
    cluster = PostgresCluster(postgres_bin_dir)
    with cluster:
        assert cluster.process
        url = await cluster.new_database()
        connection = await asyncpg.connect(url)  # a backend still open when it stops
        processes = server_processes(cluster.process.pid)
        directory = cluster.directory
        assert directory and (directory / "data" / "postmaster.pid").exists()
        assert len(processes) > 1
    connection.terminate()
    assert left_behind(processes, directory) == []
    assert cluster.process is None


def test_a_port_already_taken_is_an_error_that_says_so(postgres_bin_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cluster = PostgresCluster(postgres_bin_dir, port=port)
        with pytest.raises(PostgresUnavailable, match=f"(?s)port {port}.*Address already in use"):
            cluster.start()
    assert cluster.directory is None and cluster.process is None


def test_a_free_port_taken_meanwhile_means_another_port(
    postgres_bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], free_port()])
        monkeypatch.setattr(postgres, "free_port", lambda: next(ports))
        with PostgresCluster(postgres_bin_dir) as cluster:
            assert cluster.port != taken.getsockname()[1]
            assert cluster.process and cluster.process.poll() is None


def test_a_directory_without_postgresql_is_an_error_that_says_so(tmp_path: Path) -> None:
    cluster = PostgresCluster(tmp_path)
    with pytest.raises(PostgresUnavailable, match=f"{tmp_path} lacks initdb, postgres"):
        cluster.start()
    assert cluster.directory is None


def test_binaries_that_will_not_run_are_an_error_that_says_so(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("initdb", "postgres", "pg_isready"):
        (bin_dir / name).write_text("not a program\n")
    cluster = PostgresCluster(bin_dir)
    with pytest.raises(PostgresUnavailable, match=f"starting PostgreSQL from {bin_dir}: .*denied"):
        cluster.start()
    assert cluster.directory is None


def test_without_postgresql_anywhere_the_error_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(postgres, "DEBIAN_BINARIES", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostgresUnavailable, match=f"under {tmp_path}/\\*/bin or on PATH"):
        postgres.find_bin_dir()


def test_the_newest_debian_version_is_chosen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for version in ("9.6", "15", "13", "16"):
        for name in ("initdb", "postgres", "pg_isready"):
            (tmp_path / version / "bin").mkdir(parents=True, exist_ok=True)
            (tmp_path / version / "bin" / name).touch()
    (tmp_path / "16" / "bin" / "initdb").unlink()  # a partly removed install
    monkeypatch.setattr(postgres, "DEBIAN_BINARIES", tmp_path)
    assert postgres.find_bin_dir() == tmp_path / "15" / "bin"


def test_missing_postgresql_skips_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL: not here"):
        postgres.unavailable("not here")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is needed in CI: not here"):
        postgres.unavailable("not here")


@pytest.mark.parametrize(
    ("value", "backend"), [(None, "sqlite"), ("", "sqlite"), ("sqlite", "sqlite"),
                           ("postgresql", "postgresql")],
)  # fmt: skip
def test_the_suite_backend_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, backend: str
) -> None:
    if value is None:
        monkeypatch.delenv(BACKEND_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(BACKEND_VARIABLE, value)
    assert suite_backend() == backend


def test_a_misspelt_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_VARIABLE, "postgres")
    with pytest.raises(ValueError, match="expected sqlite or postgresql"):
        suite_backend()


async def test_on_sqlite_a_test_gets_files_and_instances_keep_their_own(tmp_path: Path) -> None:
    databases = Databases(tmp_path, cluster=None)
    assert databases.backend == "sqlite"
    assert await databases.new("jobs") == tmp_path / "jobs.sqlite3"
    assert await databases.for_instance() is None
    assert "FEDIHUB_DATABASE" not in FedihubInstance(tmp_path, "a").environment()


async def test_on_postgresql_a_test_gets_fresh_databases_dropped_at_its_end(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    databases = Databases(tmp_path, postgres_cluster)
    assert databases.backend == "postgresql"
    in_process, for_instance = await databases.new("jobs"), await databases.for_instance()
    assert isinstance(in_process, str) and for_instance and in_process != for_instance
    instance = FedihubInstance(tmp_path, "a", database=for_instance)
    assert instance.environment()["FEDIHUB_DATABASE"] == for_instance
    names = {url.rsplit("/", 1)[1] for url in (in_process, for_instance)}
    assert names <= set(await postgres_cluster.databases())
    await databases.close()
    assert not names & set(await postgres_cluster.databases())


async def test_the_databases_fixture_follows_the_suite_backend(databases: Databases) -> None:
    assert databases.backend == suite_backend()
