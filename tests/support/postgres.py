"""A real PostgreSQL for the tests: a throwaway cluster, and the switch that puts the suite on it.

`PostgresCluster` runs a server of its own in a temporary directory, on a free loopback port,
and hands out empty databases. `Databases` gives each test "its database" on the backend the
suite runs on: SQLite files by default, databases in the session's cluster when
`FEDIHUB_TEST_DATABASE=postgresql` (see tests/conftest.py for the fixtures).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NoReturn

import asyncpg
import pytest

from tests.support.network import free_port
from tests.support.threads import run_apart

BACKEND_VARIABLE = "FEDIHUB_TEST_DATABASE"
Backend = Literal["sqlite", "postgresql"]
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
NEEDED = ("initdb", "postgres", "pg_isready")
# The server runs as this user when we are root: PostgreSQL refuses to run as root.
SERVER_USER_WHEN_ROOT = "postgres"
SUPERUSER = "postgres"
# Test data is thrown away, so nothing needs to survive a crash: no flushing to disk.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_connections": "200",  # several fedihub processes, each with a pool, in one test
    "timezone": "UTC",
}
# What an operator's server does (PostgreSQL's defaults): every commit flushed to disk. For
# benchmarks, whose figures must not be flattered by skipped flushes.
DURABLE_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "replica",
    "max_wal_senders": "10",
}
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class PostgresUnavailable(Exception):
    """PostgreSQL could not be found or started; the message says what happened."""


class PortTaken(PostgresUnavailable):
    """Something else listens on the port the server was to use."""


def unavailable(reason: str) -> NoReturn:
    """Skips the test that needs PostgreSQL, but fails it in CI (`CI` set), where the PostgreSQL
    half of the suite must not go missing without anyone noticing."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")


def suite_backend() -> Backend:
    value = os.environ.get(BACKEND_VARIABLE, "") or "sqlite"
    if value not in ("sqlite", "postgresql"):
        raise ValueError(f"{BACKEND_VARIABLE}={value!r}: expected sqlite or postgresql")
    return "postgresql" if value == "postgresql" else "sqlite"


def missing_binaries(bin_dir: Path) -> list[str]:
    return [name for name in NEEDED if not (bin_dir / name).is_file()]


def find_bin_dir() -> Path:
    """Debian's newest /usr/lib/postgresql/<version>/bin, else the directory of `initdb` on PATH."""

    def version(bin_dir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())

    candidates = sorted(DEBIAN_BINARIES.glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bin_dir in candidates:
        if not missing_binaries(bin_dir):
            return bin_dir
    raise PostgresUnavailable(
        f"no {', '.join(NEEDED)} under {DEBIAN_BINARIES}/*/bin or on PATH"
        " (on Debian: apt-get install postgresql)"
    )


class PostgresCluster:
    """A PostgreSQL server of our own: created in a temporary directory, listening on a loopback
    port only (its socket in that directory), with `trust` for local connections.

    Starting and stopping are synchronous, so one cluster can serve a whole pytest session across
    the event loops of its tests; `new_database` connects afresh in the caller's loop, and
    `new_database_sync` in a loop of its own.
    """

    def __init__(
        self, bin_dir: Path | None = None, port: int | None = None, durable: bool = False
    ) -> None:
        """`durable`: flush every commit to disk as a production server does (DURABLE_SETTINGS)."""
        self.bin_dir = bin_dir
        self.port = port
        self.durable = durable
        self.user = SUPERUSER
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        # As root, files and processes belong to the server's user; otherwise to us.
        self._run_as: dict[str, Any] = {}

    @property
    def data_dir(self) -> Path:
        assert self.directory, "the cluster is not started"
        return self.directory / "data"

    @property
    def log(self) -> Path:
        assert self.directory, "the cluster is not started"
        return self.directory / "server.log"

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Creates and starts the cluster; on any failure, removes what it made and raises
        PostgresUnavailable."""
        self.bin_dir = self.bin_dir or find_bin_dir()
        if missing := missing_binaries(self.bin_dir):
            raise PostgresUnavailable(f"{self.bin_dir} lacks {', '.join(missing)}")
        chosen_port = self.port
        # A port found free may be taken before the server binds it: then another one, unless
        # the caller chose this one.
        for attempts_left in reversed(range(1 if chosen_port else 3)):
            self.port = chosen_port or free_port()
            try:
                self._start_on_port()
                return
            except PortTaken:
                if not attempts_left:
                    raise

    def _start_on_port(self) -> None:
        try:
            self._make_directory()
            self._initdb()
            self._launch()
            self._wait_until_ready()
        except (OSError, subprocess.SubprocessError) as e:  # a binary we may not run, a hang…
            self.stop()
            raise PostgresUnavailable(f"starting PostgreSQL from {self.bin_dir}: {e}") from e
        except BaseException:
            self.stop()
            raise

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    async def new_database(self) -> str:
        """A new empty database; its URL."""
        name = f"fedihub_test_{next(self._names)}"
        async with self._connection() as connection:
            # Copying the template's files is several times faster than writing them through
            # the WAL (15's default) when nothing is flushed; older servers only copy files.
            file_copy = connection.get_server_version().major >= 15
            await connection.execute(
                f'CREATE DATABASE "{name}"' + (" STRATEGY FILE_COPY" if file_copy else "")
            )
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        """Drops a database `new_database` made, closing whatever is still connected to it."""
        name = url.rsplit("/", 1)[1]
        async with self._connection() as connection:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def new_database_sync(self) -> str:
        """`new_database` for sync code (module fixtures, FedihubInstance), in a loop of its own."""
        return run_apart(self.new_database())

    def drop_database_sync(self, url: str) -> None:
        """`drop_database` for sync code, in a loop of its own."""
        run_apart(self.drop_database(url))

    async def databases(self) -> list[str]:
        """The names of the databases `new_database` made that still exist."""
        async with self._connection() as connection:
            rows = await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'fedihub_test_%'"
            )
        return sorted(row["datname"] for row in rows)

    def stop(self) -> None:
        """Stops the server (a fast shutdown; killed if that hangs) and removes its directory."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast": roll back, close sessions, exit
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()  # its backends exit when they see the postmaster gone
                self.process.wait()
        self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection to the maintenance database, in the caller's event loop."""
        connection = await asyncpg.connect(self.url("postgres"))
        try:
            yield connection
        finally:
            await connection.close()

    def _make_directory(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="fedihub-postgres-"))
        if os.geteuid() != 0:
            return
        try:
            account = pwd.getpwnam(SERVER_USER_WHEN_ROOT)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, the server needs a {SERVER_USER_WHEN_ROOT!r} user"
                " (PostgreSQL refuses to run as root)"
            ) from None
        os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        assert self.bin_dir and self.directory
        result = subprocess.run(
            [self.bin_dir / "initdb", "--pgdata", self.data_dir, "--username", self.user,
             "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync",
             "--no-instructions"],
            cwd=self.directory, capture_output=True, text=True, timeout=START_TIMEOUT_S,
            **self._run_as,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{self.bin_dir / 'initdb'} failed ({result.returncode}): {result.stderr.strip()}"
            )
        # Only the loopback address and the socket in our own directory: trust both.
        (self.data_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )

    def _launch(self) -> None:
        assert self.bin_dir and self.directory
        settings = {**SERVER_SETTINGS, **(DURABLE_SETTINGS if self.durable else {})}
        settings["port"] = str(self.port)
        settings["unix_socket_directories"] = str(self.directory)
        options = [f"--{name}={value}" for name, value in settings.items()]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.bin_dir / "postgres", "-D", self.data_dir, *options],
                cwd=self.directory, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal stops pytest, which stops us
                **self._run_as,
            )  # fmt: skip

    def _wait_until_ready(self) -> None:
        assert self.bin_dir and self.process
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self._log_tail()
                taken = "Address already in use" in log
                raise (PortTaken if taken else PostgresUnavailable)(
                    f"postgres exited ({self.process.returncode}) on port {self.port}: {log}"
                )
            ready = subprocess.run(
                [self.bin_dir / "pg_isready", "--host", "127.0.0.1", "--port", str(self.port),
                 "--username", self.user, "--dbname", "postgres", "--timeout", "1"],
                capture_output=True, timeout=START_TIMEOUT_S,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            time.sleep(0.05)
        raise PostgresUnavailable(
            f"postgres on port {self.port} was not ready after {START_TIMEOUT_S}s:"
            f" {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:].strip()
        except OSError:
            return "(no server log)"


class Databases:
    """The database for this test, on the backend the suite runs on (FEDIHUB_TEST_DATABASE).

    On SQLite (the default) a database is a file in the test's directory, and a fedihub process
    keeps its own file in its data directory. On PostgreSQL each is a fresh database in the
    session's cluster, dropped when the test ends (the `databases` fixture closes it):

        db = await Database.open(await databases.new("jobs"))         # in-process
        FedihubInstance(tmp_path, "a", database=await databases.for_instance())  # a process
    """

    def __init__(self, directory: Path, cluster: PostgresCluster | None) -> None:
        self.directory = directory
        self.cluster = cluster
        self._made: list[str] = []

    @property
    def backend(self) -> Backend:
        return "postgresql" if self.cluster else "sqlite"

    async def new(self, name: str) -> Path | str:
        """A new empty database: `<directory>/<name>.sqlite3`, or a PostgreSQL URL."""
        if self.cluster is None:
            return self.directory / f"{name}.sqlite3"
        return await self._new_url(self.cluster)

    async def for_instance(self) -> str | None:
        """The `database` setting for one fedihub instance: None (SQLite in its data directory),
        or a new PostgreSQL URL, which FedihubInstance passes on as FEDIHUB_DATABASE."""
        return None if self.cluster is None else await self._new_url(self.cluster)

    async def _new_url(self, cluster: PostgresCluster) -> str:
        url = await cluster.new_database()
        self._made.append(url)
        return url

    async def close(self) -> None:
        if self.cluster:
            for url in self._made:
                await self.cluster.drop_database(url)
        self._made.clear()
