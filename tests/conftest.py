from __future__ import annotations

import os
from collections.abc import AsyncIterator
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
from tests.support.remote import RemoteServer

DATA = Path(__file__).parent / "data"

# Property tests draw the same examples on every run, so CI is never red by the luck of a draw
# (a property that fails is kept as an @example). `HYPOTHESIS_PROFILE=explore` draws new ones.
settings.register_profile("fedihub", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fedihub"))


@pytest.fixture
async def instance_config(tmp_path: Path) -> Config:
    port = free_port()
    await init_instance(tmp_path / "data", f"localhost:{port}", insecure_http=True)
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
