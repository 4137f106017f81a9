from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import settings

from fedihub.app import create_app
from fedihub.config import Config, load_config
from fedihub.instance import init_instance
from fedihub.keys import services_key
from fedihub.services import Services
from tests.support.network import free_port
from tests.support.postgres import (
    BACKEND_VARIABLE,
    Databases,
    PostgresCluster,
    PostgresUnavailable,
    find_bin_dir,
    suite_backend,
    unavailable,
)
from tests.support.remote import RemoteServer

DATA = Path(__file__).parent / "data"

# Property tests draw the same examples on every run, so CI is never red by the luck of a draw
# (a property that fails is kept as an @example). `HYPOTHESIS_PROFILE=explore` draws new ones.
settings.register_profile("fedihub", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fedihub"))


@pytest.fixture
async def instance_config(tmp_path: Path, databases: Databases) -> Config:
    """A new instance's data directory, its data on the suite's backend (FEDIHUB_TEST_DATABASE)."""
    port = free_port()
    database = await databases.for_instance() or ""
    await init_instance(tmp_path / "data", f"localhost:{port}", insecure_http=True,
                        database=database)  # fmt: skip
    return load_config(tmp_path / "data")


@pytest.fixture
async def app_client(instance_config: Config) -> AsyncIterator[TestClient]:
    """One fedihub app on its own loopback port, workers stepped by hand."""
    from fedihub.config import split_host_port

    port = split_host_port(instance_config.domain)[1]
    app: web.Application = create_app(instance_config, run_workers=False)
    server = TestServer(app, host="127.0.0.1", port=port)
    async with TestClient(server) as client:
        yield client


@pytest.fixture
def services(app_client: TestClient) -> Services:
    return app_client.app[services_key]


@pytest.fixture
async def remote() -> AsyncIterator[RemoteServer]:
    async with RemoteServer(hosts=2) as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    try:
        suite_backend()
    except ValueError as e:  # a misspelt backend must not quietly run the suite on SQLite
        raise pytest.UsageError(str(e)) from None


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {suite_backend()} ({BACKEND_VARIABLE})"


@pytest.fixture(scope="session")
def postgres_bin_dir() -> Path:
    try:
        return find_bin_dir()
    except PostgresUnavailable as e:
        unavailable(str(e))


@pytest.fixture(scope="session")
def postgres_cluster(postgres_bin_dir: Path) -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the session, started by the first test that asks for it.
    Without PostgreSQL those tests skip (fail in CI); a failed start is not retried."""
    cluster = PostgresCluster(postgres_bin_dir)
    try:
        cluster.start()
    except PostgresUnavailable as e:
        unavailable(str(e))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def postgres_url(postgres_cluster: PostgresCluster) -> AsyncIterator[str]:
    """A fresh empty PostgreSQL database for this test, whatever backend the suite runs on."""
    url = await postgres_cluster.new_database()
    yield url
    await postgres_cluster.drop_database(url)


@pytest.fixture(scope="session")
def suite_cluster(request: pytest.FixtureRequest) -> PostgresCluster | None:
    """The session's cluster when the suite runs on PostgreSQL, for fedihub processes
    (`FedihubInstance(..., cluster=suite_cluster)`); None on SQLite, where none is started."""
    on_postgres = suite_backend() == "postgresql"
    cluster: PostgresCluster | None = (
        request.getfixturevalue("postgres_cluster") if on_postgres else None
    )
    return cluster


@pytest.fixture
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Databases]:
    """This test's databases on the suite's backend (tests/support/postgres.py `Databases`)."""
    on_postgres = suite_backend() == "postgresql"
    cluster = request.getfixturevalue("postgres_cluster") if on_postgres else None
    chosen = Databases(tmp_path, cluster)
    yield chosen
    await chosen.close()
