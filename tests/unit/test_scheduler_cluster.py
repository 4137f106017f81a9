"""Scheduled work runs once per tick across the cluster: every process runs a scheduler, the
one holding the lease "scheduler" does the pass, the others return at once; when the holder
dies another takes over once its lease runs out.

Each "process" is a Services of its own (its own database handle, its own lease owner) on one
instance's data: PostgreSQL, and SQLite where one file has several handles. Due work of every
kind waits: a recurring call's next occurrence, a poll to close, a deferred count Update and a
website feed on a loopback server that counts its fetches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.config import load_config
from fedihub.events.calls import federate_upcoming_occurrences
from fedihub.hubs.service import create_hub
from fedihub.instance import init_instance
from fedihub.kinds import registry
from fedihub.polls.service import close_due
from fedihub.posts import service as posts
from fedihub.posts import store as post_store
from fedihub.scheduler import Scheduler, SchedulerRun
from fedihub.services import Services, close_services, open_services
from fedihub.webfeeds import service as feeds
from tests.support.network import eventually, free_port
from tests.support.postgres import PostgresCluster

DAY = 86400.0
MONDAY = dt.date(2026, 10, 19)
T0 = dt.datetime(2026, 10, 18, 12, tzinfo=dt.UTC).timestamp()
T1 = T0 + 7 * DAY  # a week on: the next occurrence is due, and everything else
FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Site</title><item><guid>e1</guid>"
        "<title>Entry</title><link>https://s.example/1</link></item></channel></rss>")  # fmt: skip


@dataclass
class Site:
    """A website whose feed a hub imports; `stall` holds its answers back while set."""

    url: str = ""
    fetches: int = 0
    fetched: asyncio.Event = field(default_factory=asyncio.Event)
    stall: asyncio.Event | None = None

    async def feed(self, request: web.Request) -> web.Response:
        self.fetches += 1
        self.fetched.set()
        if self.stall is not None:
            await self.stall.wait()
        return web.Response(text=FEED, content_type="application/rss+xml")


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    found = Site()
    app = web.Application()
    app.router.add_get("/rss", found.feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    found.url = f"http://127.0.0.1:{port}/rss"
    yield found
    if found.stall is not None:
        found.stall.set()
    await runner.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
async def processes(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Services, Services]]:
    """Two processes on one instance's data, on the clock the tests set."""
    cluster: PostgresCluster | None = None
    database = ""
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        database = await cluster.new_database()
    data = tmp_path / "data"
    await init_instance(data, f"localhost:{free_port()}", insecure_http=True, database=database)
    clock = FixedClock(T0)
    opened = [await open_services(load_config(data), registry(), clock) for _ in range(2)]
    yield opened[0], opened[1]
    for svc in opened:
        await close_services(svc)
    if cluster is not None:
        await cluster.drop_database(database)


async def due_work(svc: Services, site: Site) -> int:
    """At T0: a hub with a follower, a weekly call, a poll closing within the hour, a post
    whose counts changed (its id is returned) and a feed; all of it due by T1."""
    await create_hub(svc.db, "climate", name="Climate", timezone="America/New_York")
    hub = await actors.get_actor(svc.db, "group", "climate")
    assert hub is not None
    fan = "https://f.example/users/fan"
    await svc.db.execute(
        "INSERT INTO remote_actors (uri, host, type, inbox, document, fetched_at)"
        " VALUES (?, 'f.example', 'Person', ?, '{}', ?)", (fan, f"{fan}/inbox", T0),
    )  # fmt: skip
    await svc.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', ?)", (hub.id, fan, T0)
    )
    return await publish_due_work(svc, hub, site)


async def publish_due_work(svc: Services, hub: LocalActor, site: Site) -> int:
    await posts.publish(svc, hub, None, "call", (
        f"---\ntitle: Coordination\nstart: {MONDAY} 20:00\nend: {MONDAY} 21:00\n"
        "schedule: FREQ=WEEKLY;BYDAY=MO\ndial_in: +1 555 0100\n---\n"), now=T0)  # fmt: skip
    closes = dt.datetime.fromtimestamp(T0 + 3600, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    await posts.publish(svc, hub, None, "poll", f"---\ncloses: {closes}\n---\nMarch?\n", now=T0)
    counted = await posts.publish(svc, hub, None, "update", "Counts will change.", now=T0)
    async with svc.db.transaction() as tx:
        await post_store.defer_update(tx, counted.id, T0 + 60)
    await feeds.add_feed(svc, hub, site.url)
    return counted.id


async def sent_since(svc: Services, last_id: int) -> Counter[tuple[str, str]]:
    """(activity, its object's type) of what was sent after `last_id`, one per delivery."""
    rows = await svc.db.fetchall(
        "SELECT a.document FROM deliveries d JOIN outbox_activities a ON a.id = d.activity_id"
        " WHERE a.id > ?", (last_id,),
    )  # fmt: skip
    documents = [json.loads(r[0]) for r in rows]
    return Counter((d["type"], d["object"]["type"]) for d in documents)


# One Event for the occurrence, one Article for the feed's entry, one closing Update of the
# poll (a Question), one Update of the post whose counts changed: each once.
ONCE = Counter({("Create", "Event"): 1, ("Create", "Article"): 1, ("Update", "Question"): 1,
                ("Update", "Note"): 1})  # fmt: skip


async def last_activity(svc: Services) -> int:
    return int(await svc.db.fetchval("SELECT coalesce(max(id), 0) FROM outbox_activities"))


async def test_two_schedulers_do_each_due_thing_once(
    processes: tuple[Services, Services], site: Site
) -> None:
    first, second = processes
    await due_work(first, site)
    before = await last_activity(first)
    schedulers = [Scheduler(first, owner="first"), Scheduler(second, owner="second")]
    assert isinstance(first.clock, FixedClock)
    first.clock.at = T1
    runs: list[SchedulerRun] = []
    for _ in range(3):  # three ticks, both processes at once
        tick = await asyncio.gather(*(s.run_once() for s in schedulers))
        assert sorted(r.held for r in tick) == [False, True]  # one pass did the work
        runs += tick
        first.clock.advance(1)
    assert sum(r.occurrences for r in runs) == 1 and sum(r.closed for r in runs) == 1
    assert sum(r.updates for r in runs) == 1 and sum(r.imported for r in runs) == 1
    assert await sent_since(first, before) == ONCE
    assert site.fetches == 1


async def test_a_scheduler_without_the_lease_does_nothing_and_returns_at_once(
    processes: tuple[Services, Services], site: Site
) -> None:
    """Even while the holder's pass is held up (a slow feed), a pass elsewhere neither waits
    for it nor does any of its work; its loop looks again an interval later."""
    first, second = processes
    await due_work(first, site)
    assert isinstance(first.clock, FixedClock)
    first.clock.at = T1
    holder, other = Scheduler(first, owner="first"), Scheduler(second, owner="second")
    site.stall = asyncio.Event()
    holding = asyncio.create_task(holder.run_once())
    await asyncio.wait_for(site.fetched.wait(), 10)  # the holder is on its feed step
    started = asyncio.get_running_loop().time()
    assert await asyncio.wait_for(other.run_once(), 5) == SchedulerRun(held=False)
    assert await asyncio.wait_for(other._step(), 5) == second.config.scheduler_interval_s
    assert asyncio.get_running_loop().time() - started < 1.0
    assert not holding.done()
    site.stall.set()
    done = await holding
    assert (done.held, done.occurrences, done.closed, done.updates) == (True, 1, 1, 1)


async def test_when_the_holder_dies_another_takes_over_once_its_lease_runs_out(
    processes: tuple[Services, Services], site: Site
) -> None:
    first, second = processes
    counted = await due_work(first, site)
    assert isinstance(first.clock, FixedClock)
    first.clock.at = T1
    holder, other = Scheduler(first, owner="first"), Scheduler(second, owner="second")
    assert (await holder.run_once()).held  # ... and then "first" dies: it renews no more
    async with first.db.transaction() as tx:
        await post_store.defer_update(tx, counted, T1 + 10)  # counts changed again
    first.clock.advance(10)
    assert await other.run_once() == SchedulerRun(held=False)
    assert await first.db.fetchval("SELECT count(*) FROM pending_updates") == 1
    first.clock.at = T1 + holder.lease_s + 1
    taken = await other.run_once()
    assert (taken.held, taken.updates) == (True, 1)
    assert not (await holder.run_once()).held  # back from a stall: the lease is not its own


async def test_a_scheduler_stopping_gives_its_lease_to_the_next_at_once(
    processes: tuple[Services, Services], site: Site
) -> None:
    first, second = processes
    await due_work(first, site)
    holder, other = Scheduler(first, owner="first"), Scheduler(second, owner="second")
    running = asyncio.create_task(holder.run_forever())

    async def held_by_first() -> bool:
        return bool(await first.db.fetchval("SELECT owner FROM leases") == "first")

    await eventually(held_by_first, 10, "the first scheduler to take the lease")
    assert not (await other.run_once()).held
    running.cancel()  # as the server does when it stops
    await asyncio.gather(running, return_exceptions=True)
    assert (await other.run_once()).held


async def test_steps_of_two_passes_that_overlap_still_do_each_thing_once(
    processes: tuple[Services, Services], site: Site
) -> None:
    """Should two passes ever overlap (a holder stalled past its lease), each step still does
    its work once: the steps themselves, both processes at once, without the lease."""
    first, second = processes
    await due_work(first, site)
    before = await last_activity(first)
    schedulers = [Scheduler(first, owner="first"), Scheduler(second, owner="second")]
    both = list(zip(processes, schedulers, strict=True))
    for _ in range(2):
        await asyncio.gather(*(federate_upcoming_occurrences(svc, T1) for svc in processes))
        await asyncio.gather(*(close_due(svc, T1) for svc in processes))
        await asyncio.gather(*(s.send_due_updates(T1) for s in schedulers))
        await asyncio.gather(*(feeds.poll_due(svc, T1, s._loop.owner) for svc, s in both))
    assert await sent_since(first, before) == ONCE
    assert site.fetches == 1
