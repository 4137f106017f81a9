"""A FedihubInstance keeps its data on either backend, and reads and writes it the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart

pytestmark = pytest.mark.federation

HUBS = "SELECT username FROM local_actors WHERE username = ? OR username = ? ORDER BY username"


def plant_and_read(instance: FedihubInstance) -> list[tuple[str, ...]]:
    instance.cli("hub", "create", "--data", instance.data, "dockers", "--name", "Dockers")
    with instance.writing() as conn:
        conn.execute("UPDATE local_actors SET username = ? WHERE username = ?",
                     ("stevedores", "dockers"))  # fmt: skip
    return instance.query(HUBS, ("stevedores", "dockers"))


def test_on_sqlite_an_instance_reads_and_writes_its_own_file(tmp_path: Path) -> None:
    instance = FedihubInstance(tmp_path, "a")
    instance.init()
    assert (instance.data / "fedihub.sqlite3").exists()
    assert plant_and_read(instance) == [("stevedores",)]
    instance.drop_database()  # nothing to drop: the file goes with the directory


def test_on_postgresql_init_makes_the_instance_a_database_that_drop_database_drops(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    instance = FedihubInstance(tmp_path, "a", cluster=postgres_cluster)
    instance.init()
    url = instance.database
    assert url and url in (instance.data / "config.toml").read_text()
    assert not (instance.data / "fedihub.sqlite3").exists()
    assert plant_and_read(instance) == [("stevedores",)]  # rows as tuples, `?` placeholders
    instance.drop_database()
    assert instance.database is None
    assert url.rsplit("/", 1)[1] not in run_apart(postgres_cluster.databases())


def test_a_database_the_caller_gave_is_the_callers_to_drop(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = postgres_cluster.new_database_sync()
    instance = FedihubInstance(tmp_path, "a", database=url, cluster=postgres_cluster)
    instance.init()
    assert url in (instance.data / "config.toml").read_text()
    instance.drop_database()
    assert url.rsplit("/", 1)[1] in run_apart(postgres_cluster.databases())
    postgres_cluster.drop_database_sync(url)
