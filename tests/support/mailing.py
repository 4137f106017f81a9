"""Fixtures for tests of the mail we send: a real SMTP server on loopback (aiosmtpd) and the
suite's instance configured to send through it. A test module takes them by importing both
names (`from tests.support.mailing import instance_config, smtp`), which replaces the suite's
`instance_config` for that module only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fedihub.config import Config, load_config
from fedihub.instance import init_instance
from tests.support.network import free_port
from tests.support.postgres import Databases
from tests.support.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def instance_config(tmp_path: Path, databases: Databases, smtp: SmtpServer) -> Config:
    """The suite's instance, sending mail through the test's SMTP server."""
    port = free_port()
    database = await databases.for_instance() or ""
    await init_instance(tmp_path / "data", f"localhost:{port}", insecure_http=True,
                        database=database)  # fmt: skip
    with (tmp_path / "data" / "config.toml").open("a") as f:
        f.write(smtp.settings())
    return load_config(tmp_path / "data")
