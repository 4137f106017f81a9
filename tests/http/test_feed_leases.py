"""Website feeds on the job machine: a feed is claimed under a lease, so two processes never
poll it at once, and a poller that died leaves it due again once its lease runs out."""

from __future__ import annotations

import pytest

from fedihub import jobs
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.hubs.service import create_hub
from fedihub.services import Services
from fedihub.webfeeds import service as feeds
from fedihub.webfeeds import store

T0 = 1_800_000_000.0
URL = "http://127.0.0.1:9/feed.xml"  # never fetched in these tests


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "climate", name="Climate", summary="")
    found = await actors.get_actor(services.db, "group", "climate")
    assert found is not None
    return found


async def test_a_feed_is_polled_by_one_process_at_a_time(
    services: Services, hub: LocalActor
) -> None:
    clock = FixedClock(T0)
    policy = feeds.queue_policy(services)
    assert await store.add(services.db, hub.id, URL, clock.now())
    claimed = await store.claim_due(services.db, policy, clock.now(), "first")
    assert [(s.url, s.first_fetch) for s in claimed] == [(URL, True)]
    assert await store.claim_due(services.db, policy, clock.now(), "second") == []
    clock.advance(policy.lease_s + 1)  # "first" died mid-poll: its lease ran out
    (source,) = await store.claim_due(services.db, policy, clock.now(), "second")
    await store.fetched(services.db, source, etag=None, last_modified=None, title=None,
                        next_try_at=clock.now() + 60)  # fmt: skip
    assert await store.claim_due(services.db, policy, clock.now(), "first") == []  # not due
    clock.advance(61)
    assert [s.id for s in await store.claim_due(services.db, policy, clock.now(), "first")] == [
        source.id
    ]


async def test_a_failed_poll_ends_the_lease_and_backs_off(
    services: Services, hub: LocalActor
) -> None:
    clock = FixedClock(T0)
    policy = feeds.queue_policy(services)
    await store.add(services.db, hub.id, URL, clock.now())
    (source,) = await store.claim_due(services.db, policy, clock.now(), "here")
    await store.failed(services.db, source, "HTTP 500", clock.now() + 600)
    clock.advance(599)
    assert await store.claim_due(services.db, policy, clock.now(), "here") == []
    clock.advance(1)
    (again,) = await store.claim_due(services.db, policy, clock.now(), "here")
    assert (again.failures, again.last_error) == (1, "HTTP 500")


async def test_polling_and_starting_leave_another_process_feed_alone(
    services: Services, hub: LocalActor
) -> None:
    clock = FixedClock(T0)
    policy = feeds.queue_policy(services)
    await store.add(services.db, hub.id, URL, clock.now())
    assert len(await store.claim_due(services.db, policy, clock.now(), "other")) == 1
    assert await feeds.poll_due(services, clock.now(), owner="here") == 0
    assert await jobs.release_claims(services.db, policy, "here", clock.now()) == 0
    (source,) = await store.sources(services.db, hub.id)
    assert (source.failures, source.last_error) == (0, None)  # never fetched here
    assert await jobs.release_claims(services.db, policy, "other", clock.now()) == 1
