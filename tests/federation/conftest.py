from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text("organise-together\n")
    return path


@pytest.fixture
async def instances(tmp_path: Path) -> AsyncIterator[list[FedihubInstance]]:
    """Every instance a test made with `new_instance`, stopped when the test ends."""
    started: list[FedihubInstance] = []
    yield started
    for instance in started:
        await instance.stop()


@pytest.fixture
def new_instance(
    instances: list[FedihubInstance], tmp_path: Path
) -> Callable[[str], FedihubInstance]:
    """Makes and initialises an instance's data directory; the test starts it."""

    def make(name: str) -> FedihubInstance:
        instance = FedihubInstance(tmp_path, name)
        instance.init()
        instances.append(instance)
        return instance

    return make


@pytest.fixture
def counts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Participant counts and poll tallies would wait a minute to be batched; here they go out
    as soon as the scheduler runs, and it runs every half second. Servers started after this
    inherit the settings from the environment."""
    monkeypatch.setenv("FEDIHUB_COUNT_UPDATE_DELAY_S", "0")
    monkeypatch.setenv("FEDIHUB_SCHEDULER_INTERVAL_S", "0.5")
