from __future__ import annotations

from collections.abc import AsyncIterator
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
    started: list[FedihubInstance] = []

    def make(name: str) -> FedihubInstance:
        instance = FedihubInstance(tmp_path, name)
        instance.init()
        started.append(instance)
        return instance

    yield started  # tests call `make` through the factory below
    for instance in started:
        await instance.stop()


@pytest.fixture
def new_instance(instances: list[FedihubInstance], tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(name: str) -> FedihubInstance:
        instance = FedihubInstance(tmp_path, name)
        instance.init()
        instances.append(instance)
        return instance

    return make
