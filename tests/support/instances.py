"""Real fedihub processes on loopback ports, each with its own data directory."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

import aiohttp
import asyncpg

from fedihub.postgres import numbered
from tests.support.forks import FORKS
from tests.support.network import eventually, free_port
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart

REPO = Path(__file__).resolve().parents[2]
LISTENING = "listening for wake-ups on"  # postgres.py logs it when its LISTEN connection is up


class FedihubInstance:
    def __init__(
        self,
        root: Path,
        name: str,
        database: str | None = None,
        cluster: PostgresCluster | None = None,
    ) -> None:
        """`database`: a PostgreSQL URL passed on as FEDIHUB_DATABASE (`Databases.for_instance`
        in tests/support/postgres.py); None keeps SQLite in the data directory.
        `cluster` (the `suite_cluster` fixture): without a `database`, `init` makes the instance
        a fresh one there, which `drop_database` drops when the test is done with it."""
        self.name = name
        self.port = free_port()
        self.domain = f"localhost:{self.port}"
        self.base_url = f"http://{self.domain}"
        self.data = root / name
        self.workdir = root  # bovine writes a JSON-LD cache into the working directory
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self.log = root / f"{name}.log"
        self.database = database
        self.cluster = cluster
        self._made_database: str | None = None

    def environment(self) -> dict[str, str]:
        """The environment of its processes: ours as it is now (tests set FEDIHUB_* settings)."""
        database = {"FEDIHUB_DATABASE": self.database} if self.database else {}
        return {**os.environ, "PYTHONPATH": str(REPO), **database}

    def cli(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        # A process of its own, forked from one that has imported fedihub (tests/support/forks.py)
        result = FORKS.run(list(map(str, args)), self.workdir, self.environment(), timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"fedihub {args} failed: {result.stderr}")
        return result

    async def acli(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`cli` without blocking the event loop that test servers answer on."""
        return await asyncio.to_thread(self.cli, *args, check=check)

    def init(self) -> None:
        if self.cluster and not self.database:
            self.database = self._made_database = self.cluster.new_database_sync()
        database = ("--database", self.database) if self.database else ()
        self.cli("init", "--data", self.data, "--domain", self.domain, "--insecure-http",
                 *database)  # fmt: skip

    def another_process(self, name: str) -> FedihubInstance:
        """One more `fedihub serve` of this instance, as an operator runs several on one machine
        for a PostgreSQL-backed instance: the same data directory (config, keys, media) and
        database, so the same domain, on a port of its own. Start and stop it as any; the
        database stays this instance's to drop."""
        other = FedihubInstance(self.workdir, name, database=self.database)
        other.data, other.domain, other.base_url = self.data, self.domain, self.base_url
        return other

    @property
    def listening_url(self) -> str:
        """Where this process answers (`base_url` is the instance's, which another process of
        it may serve)."""
        return f"http://127.0.0.1:{self.port}"

    def drop_database(self) -> None:
        """Drops the database `init` made on the cluster, if it made one; stop the server first."""
        if self.cluster and self._made_database:
            self.cluster.drop_database_sync(self._made_database)
            self.database = self._made_database = None

    async def start(self, *flags: str) -> None:
        """`fedihub serve` (with `flags`, e.g. "--no-workers"), once it answers."""
        self._launch("serve", "--port", str(self.port), *flags)
        assert self.process is not None
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
                try:
                    url = f"http://127.0.0.1:{self.port}/nodeinfo/2.1"
                    async with session.get(url) as resp:
                        # Only our own answer counts: another server may hold the port.
                        body = await resp.text()
                        if resp.status == 200 and '"fedihub"' in body:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not start")

    async def start_worker(self, *flags: str) -> None:
        """`fedihub worker` (PostgreSQL; with `flags`, e.g. "--metrics-port", "8091"), once it
        listens for other processes' wake-ups."""
        listening = self.listens()
        self._launch("worker", *flags)
        await self.wait_for_listening(listening + 1)

    def listens(self) -> int:
        """How often the process has begun to LISTEN for wake-ups (its log says each time)."""
        return self.log.read_text().count(LISTENING) if self.log.exists() else 0

    async def wait_for_listening(self, times: int, timeout_s: float = 30.0) -> None:
        async def listening() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            return self.listens() >= times

        await eventually(listening, timeout_s=timeout_s, what=f"{self.name} to listen")

    def _launch(self, command: str, *args: str) -> None:
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fedihub.cli", command, "--data", str(self.data),
             "--log-level", "INFO", *args],
            cwd=self.workdir, env=self.environment(), stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def stop(self, sig: int = signal.SIGTERM, grace_s: float = 60.0) -> int | None:
        """Signals the server and returns its exit code; after `grace_s` it is killed (and the
        code says so: -9), so a test of a graceful stop can tell it was not one."""
        code = None
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            for _ in range(int(grace_s / 0.05)):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.process.kill()
            code = self.process.wait()
        self.process = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return code

    async def http_get(self, path: str, accept: str = "text/html") -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.base_url + path, headers={"Accept": accept}) as resp,
        ):
            assert resp.status == 200, f"GET {path}: {resp.status}"
            return await resp.text()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Reads the instance's database directly, as an operator could: SQL with `?`
        placeholders, rows as tuples, on SQLite or PostgreSQL alike."""
        if self.database:
            return run_apart(_postgres_rows(self.database, sql, params))
        with sqlite3.connect(f"file:{self.data / 'fedihub.sqlite3'}?mode=ro", uri=True) as conn:
            conn.execute("PRAGMA busy_timeout = 5000")
            return conn.execute(sql, params).fetchall()

    @contextmanager
    def writing(self) -> Iterator[Writes]:
        """Writes straight into the instance's database, as an older version or an operator
        could: `execute` SQL with `?` placeholders in the block; at its end, on SQLite or
        PostgreSQL alike, all of it is applied in one transaction."""
        writes = Writes()
        yield writes
        if self.database:
            run_apart(_postgres_execute(self.database, writes.statements))
            return
        with closing(sqlite3.connect(self.data / "fedihub.sqlite3")) as conn, conn:
            conn.execute("PRAGMA busy_timeout = 5000")
            for sql, params in writes.statements:
                conn.execute(sql, params)


class Writes:
    """The statements a `FedihubInstance.writing` block asks for, in order."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.statements.append((sql, params))


async def _postgres_rows(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(numbered(sql), *params)]
    finally:
        await connection.close()


async def _postgres_execute(url: str, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            for sql, params in statements:
                await connection.execute(numbered(sql), *params)
    finally:
        await connection.close()


async def follow_and_wait(instance: FedihubInstance, who: str, handle: str) -> None:
    """`who` on `instance` follows `handle`, and the Accept has come back."""
    await instance.acli("follow", "--data", instance.data, "--as", who, handle)

    async def accepted() -> bool:
        rows = instance.query(
            "SELECT f.state FROM following f JOIN local_actors a ON a.id = f.local_actor_id"
            " WHERE a.username = ?", (who,))  # fmt: skip
        return bool(rows) and all(state == "accepted" for (state,) in rows)

    await eventually(accepted, what=f"{who} on {instance.name} to be accepted by {handle}")


async def settle(*instances: FedihubInstance) -> None:
    """Waits until every instance has handled all it received and finished all it sends.

    Deliveries are read before inboxes (a finished delivery is already stored by its receiver),
    and the calm must be seen twice in a row: handling an item can queue a new delivery between
    one read and the next."""
    sending = "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'running')"
    handling = "SELECT count(*) FROM inbox_items WHERE state IN ('pending', 'running')"
    calm_reads = 0

    async def calm_twice() -> bool:
        nonlocal calm_reads
        idle = all(x.query(sending)[0][0] == 0 for x in instances) and all(
            x.query(handling)[0][0] == 0 for x in instances
        )
        calm_reads = calm_reads + 1 if idle else 0
        return calm_reads >= 2

    names = ", ".join(x.name for x in instances)
    await eventually(calm_twice, what=f"{names} to handle and deliver everything")
