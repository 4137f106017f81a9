"""An instance that grew up on SQLite moves to PostgreSQL with `fedihub migrate-db`: every row of
every table arrives, and served from PostgreSQL its hub keeps its followers (another real
instance), its posts at their URLs, its keys (the other instance still verifies what it signs)
and its ids (a new post is numbered after the old ones). A second move into the same database
is refused."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait, settle
from tests.support.network import eventually

pytestmark = pytest.mark.federation

ACTIVITY_JSON = "application/activity+json"


async def post(a: FedihubInstance, tmp_path: Path, kind: str, text: str) -> str:
    path = tmp_path / f"{kind}-{time.monotonic_ns()}.md"
    path.write_text(text)
    out = await a.acli("post", "--data", a.data, "climate", "--as", "org", "--kind", kind, path)
    return out.stdout.strip()


def post_id(uri: str) -> int:
    return int(uri.rsplit("/", 1)[1])


def every_row(instance: FedihubInstance) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows (column order and row order from SQLite's schema), read from wherever
    the instance keeps its data now."""
    sqlite = FedihubInstance(instance.workdir, instance.name)  # reads the SQLite file
    tables = [name for (name,) in sqlite.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        " AND name != 'schema_version' ORDER BY name"
    )]  # fmt: skip
    found = {}
    for table in tables:
        columns = [c for (c,) in sqlite.query("SELECT name FROM pragma_table_info(?)", (table,))]
        names = ", ".join(columns)
        found[table] = sorted(instance.query(f"SELECT {names} FROM {table}"), key=repr)
    return found


async def hub_with_followers_and_posts(
    a: FedihubInstance, b: FedihubInstance, password_file: Path, tmp_path: Path
) -> list[str]:
    """A's hub, followed from B, with posts of several kinds and a vote; returns the posts."""
    for name in ("org", "voter"):
        await a.acli("account", "create", "--data", a.data, name, "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org")  # fmt: skip
    await b.acli("hub", "create", "--data", b.data, "coalition", "--name", "Coalition")
    await a.start()
    await b.start()
    await follow_and_wait(b, "coalition", f"@climate@{a.domain}")
    soon = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 3 * 86_400))
    later = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 3 * 86_400 + 7200))
    event = f"---\ntitle: Teach-in\nstart: {soon}\nend: {later}\ncapacity: 40\n---\nCome.\n"
    posts = [
        await post(a, tmp_path, "update", "Buses leave at **noon**."),
        await post(a, tmp_path, "event", event),
        await post(a, tmp_path, "poll", f"---\ncloses: {soon}\n---\nShall we march?\n"),
    ]
    await a.acli("vote", "--data", a.data, "--as", "voter", posts[2], "Agree")
    await settle(a, b)
    return posts


async def test_a_populated_instance_moves_to_postgresql_and_keeps_its_hub(
    instances: list[FedihubInstance],
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
    postgres_url: str,
) -> None:
    a = FedihubInstance(tmp_path, "a")  # on SQLite, whatever backend the suite runs on
    instances.append(a)
    a.init()
    b: FedihubInstance = new_instance("b")
    posts = await hub_with_followers_and_posts(a, b, password_file, tmp_path)
    actor = json.loads(await a.http_get("/hubs/climate", ACTIVITY_JSON))
    await b.stop()
    queued = await post(a, tmp_path, "update", "Sent while B is away.")
    await a.stop()
    assert a.query("SELECT count(*) FROM deliveries WHERE state = 'pending'")[0][0] >= 1
    before = every_row(a)
    backup = FedihubInstance(tmp_path, "a-backup")  # the same instance, still on SQLite
    shutil.copytree(a.data, backup.data)

    moved = await a.acli("migrate-db", "--data", a.data, "--to", postgres_url)
    assert "followers\t1\n" in moved.stdout and "poll_votes\t1\n" in moved.stdout
    assert "kept as it was, as a backup" in moved.stdout
    assert f"database = {json.dumps(postgres_url)}" in (a.data / "config.toml").read_text()
    assert every_row(a) == before  # the SQLite file, untouched
    a.database = postgres_url
    assert every_row(a) == before  # every row of every table, ids and keys included

    await a.start()
    assert json.loads(await a.http_get("/hubs/climate", ACTIVITY_JSON)) == actor
    followers = (await a.acli("followers", "--data", a.data, "climate")).stdout.split()
    assert followers == [f"{b.base_url}/hubs/coalition"]
    for uri in [*posts, queued]:
        served = json.loads(await a.http_get(uri.removeprefix(a.base_url), ACTIVITY_JSON))
        assert served["id"] == uri
    tally = await a.acli("tally", "--data", a.data, "climate", str(post_id(posts[2])))
    assert "Agree 1" in tally.stdout

    await b.start()
    new = await post(a, tmp_path, "update", "Written on PostgreSQL.")
    assert post_id(new) > max(post_id(uri) for uri in [*posts, queued])

    async def b_has_it() -> bool:  # signed with the moved key, to the moved follower
        return bool(b.query("SELECT 1 FROM received_objects WHERE uri = ?", (new,)))

    await eventually(b_has_it, what="the post written on PostgreSQL to reach B")

    again = await backup.acli("migrate-db", "--data", backup.data, "--to", postgres_url,
                              check=False)  # fmt: skip
    assert again.returncode == 1 and "is not empty" in again.stderr, again.stderr
    assert "database" not in (backup.data / "config.toml").read_text()
