"""One server's open reports and held posts are capped per hub, whatever case its host is
written in: `https://EVIL.example` is the server `https://evil.example` on both engines (LIKE
ignores case on SQLite only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fedihub.actors import store as actors
from fedihub.db import Database
from fedihub.engine import open_database
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub
from fedihub.reports import store as reports
from tests.support.postgres import Databases

T0 = 1_800_000_000.0


@pytest.fixture
async def db(databases: Databases) -> AsyncIterator[Database]:
    database = await open_database(await databases.new("caps"))
    yield database
    await database.close()


def host(n: int) -> str:
    return "https://EVIL.example" if n % 2 else "https://evil.example"


async def test_a_servers_open_reports_are_capped_whatever_the_case_of_its_host(
    db: Database,
) -> None:
    for n in range(reports.MAX_OPEN_PER_SERVER):
        async with db.transaction() as tx:
            assert await reports.save(
                tx, None, f"{host(n)}/flags/{n}", f"{host(n)}/users/u{n}", [], "", T0
            )
    for n in (0, 1):
        async with db.transaction() as tx:
            assert not await reports.save(
                tx, None, f"{host(n)}/flags/more", f"{host(n)}/users/more", [], "", T0
            )
    async with db.transaction() as tx:  # another server is not held back
        assert await reports.save(tx, None, "https://good.example/flags/1",
                                  "https://good.example/users/g", [], "", T0)  # fmt: skip


async def test_a_servers_held_posts_are_capped_whatever_the_case_of_its_host(
    db: Database,
) -> None:
    await create_hub(db, "climate", name="Climate", summary="")
    hub = await actors.get_actor_by_username(db, "climate")
    assert hub is not None
    for n in range(groups.MAX_WAITING_PER_SERVER):
        queued = await groups.queue(db, hub.id, f"{host(n)}/users/u{n}", f"{host(n)}/notes/{n}",
                                    {}, "held", T0, stranger=True)  # fmt: skip
        assert queued == "queued"
    for n in (0, 1):
        refused = await groups.queue(db, hub.id, f"{host(n)}/users/more", f"{host(n)}/notes/more",
                                     {}, "held", T0, stranger=True)  # fmt: skip
        assert refused == "too many waiting"
