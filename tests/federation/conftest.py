from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text("organise-together\n")
    return path


@pytest.fixture
async def instances(tmp_path: Path) -> AsyncIterator[list[FedihubInstance]]:
    """Every instance a test made with `new_instance`, stopped when the test ends (and its
    PostgreSQL database dropped, on that backend)."""
    started: list[FedihubInstance] = []
    yield started
    for instance in started:
        await instance.stop()
        instance.drop_database()


@pytest.fixture
def new_instance(
    instances: list[FedihubInstance], tmp_path: Path, suite_cluster: PostgresCluster | None
) -> Callable[[str], FedihubInstance]:
    """Makes and initialises an instance's data directory, its data on the suite's backend;
    the test starts it."""

    def make(name: str) -> FedihubInstance:
        instance = FedihubInstance(tmp_path, name, cluster=suite_cluster)
        instances.append(instance)  # first: its database is dropped even if `init` fails
        instance.init()
        return instance

    return make


@pytest.fixture
def counts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Participant counts and poll tallies would wait a minute to be batched; here they go out
    as soon as the scheduler runs, and it runs every half second. Servers started after this
    inherit the settings from the environment."""
    monkeypatch.setenv("FEDIHUB_COUNT_UPDATE_DELAY_S", "0")
    monkeypatch.setenv("FEDIHUB_SCHEDULER_INTERVAL_S", "0.5")
