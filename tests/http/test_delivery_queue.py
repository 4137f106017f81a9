"""The delivery queue's claiming rules, on the real database: leases, per-host limits."""

from __future__ import annotations

import time

from fedihub.jobs import THIS_PROCESS
from fedihub.outbox import store
from fedihub.outbox.recipients import Target
from fedihub.services import Services


async def queue(services: Services, targets: list[Target]) -> int:
    actor_id = await services.db.fetchval("SELECT id FROM local_actors LIMIT 1")
    activity = {"id": f"{services.config.base_url}/activities/{time.time()}", "type": "Create"}
    async with services.db.transaction() as tx:
        return await store.enqueue(
            tx, actor_id=actor_id, activity=activity, targets=targets, is_public=True,
            now=services.clock.now(),
        )  # fmt: skip


async def claim(services: Services, in_flight: dict[str, int], now: float | None = None):  # type: ignore[no-untyped-def]
    return await store.claim_due(
        services.db, now=now or time.time(), limit=100, per_host=8, in_flight=in_flight,
        owner=THIS_PROCESS,
    )  # fmt: skip


async def test_in_flight_requests_count_against_the_per_host_limit(services: Services) -> None:
    await queue(
        services,
        [Target(f"https://big.example/users/u{i}/inbox", "big.example") for i in range(20)]
        + [Target("https://small.example/inbox", "small.example")],
    )
    claimed = await claim(services, {"big.example": 7})
    assert sorted(d.host for d in claimed) == ["big.example", "small.example"]
    assert len(await claim(services, {"big.example": 8})) == 0
    assert len(await claim(services, {})) == 8


async def test_an_expired_lease_is_claimed_again(services: Services) -> None:
    await queue(services, [Target("https://m.example/inbox", "m.example")])
    (first,) = await claim(services, {})
    assert await claim(services, {}) == []  # leased
    (again,) = await claim(services, {}, now=time.time() + 301)  # its sender died
    assert again.id == first.id


async def test_finished_rows_are_pruned_after_two_weeks(services: Services) -> None:
    from fedihub import jobs
    from fedihub.inbox.store import INBOX
    from fedihub.outbox.deliveries import DELIVERIES

    await queue(
        services,
        [
            Target("https://a.example/inbox", "a.example"),
            Target("https://b.example/inbox", "b.example"),
        ],
    )
    now = time.time()
    await services.db.execute(
        "UPDATE deliveries SET state = 'done', finished_at = ? WHERE host = 'a.example'",
        (now - 15 * 86400,),
    )
    await services.db.execute(
        "INSERT INTO inbox_items (activity_uri, actor_uri, type, document, state, next_try_at,"
        " received_at, processed_at) VALUES ('https://x/1', 'https://x/u', 'Like', '{}', 'done',"
        " 0, 0, ?), ('https://x/2', 'https://x/u', 'Like', '{}', 'pending', 0, 0, NULL)",
        (now - 15 * 86400,),
    )
    assert await jobs.prune_finished(services.db, DELIVERIES, now) == 1
    assert await jobs.prune_finished(services.db, INBOX, now) == 1
    assert await services.db.fetchval("SELECT host FROM deliveries") == "b.example"
    assert await services.db.fetchval("SELECT activity_uri FROM inbox_items") == "https://x/2"


async def test_a_host_failing_on_seven_days_is_skipped_until_it_answers(services: Services) -> None:
    from fedihub.outbox.deliveries import classify

    await queue(services, [Target("https://dead.example/inbox", "dead.example")])
    (delivery,) = await claim(services, {})
    failed = classify(500, None, None, 1, 0.0, 0.0)
    day = 86400.0
    for n in range(6):
        await store.record_outcomes(services.db, [(delivery, failed, 500)], now=n * day)
        assert "dead.example" not in await store.unavailable_hosts(services.db)
    await store.record_outcomes(services.db, [(delivery, failed, 500)], now=6 * day + 1)
    assert "dead.example" in await store.unavailable_hosts(services.db)
    # Its pending deliveries stop costing work...
    assert await store.give_up_unreachable(services.db, frozenset({"dead.example"}), 7 * day) == 1
    # ...and one answer makes it healthy again.
    sent = classify(202, None, None, 2, 0.0, 0.0)
    await store.record_outcomes(services.db, [(delivery, sent, 202)], now=8 * day)
    assert "dead.example" not in await store.unavailable_hosts(services.db)
