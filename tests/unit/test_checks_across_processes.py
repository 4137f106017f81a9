"""Check-then-write transactions hold across processes on PostgreSQL: two `fedihub serve`
processes (here two Services, each with its own connection pool, on one database) taking the
last place of an event, or one voter's two choices on a single-choice poll, at the same moment.
And two deliveries confirmed at once against one need's remaining quantity. SQLite's single
writer did this by itself; on PostgreSQL the post's (or the match's) row is locked first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.config import load_config
from fedihub.errors import FedihubError
from fedihub.events import participation
from fedihub.hubs.service import create_hub
from fedihub.instance import init_instance
from fedihub.kinds import registry
from fedihub.polls import service as polls
from fedihub.polls import store as poll_store
from fedihub.posts import service as posts
from fedihub.resources import service as matching
from fedihub.resources import store as resources
from fedihub.services import Services, close_services, open_services

T0 = 1_800_000_000.0  # 2027-01-15
TRIALS = 15


@pytest.fixture
async def two_processes(
    postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, Services, LocalActor]]:
    await init_instance(tmp_path / "d", "localhost:8080", True, database=postgres_url)
    config = load_config(tmp_path / "d")
    one = await open_services(config, registry())
    two = await open_services(config, registry())
    try:
        await create_hub(one.db, "climate", name="Climate", summary="")
        hub = await actors.get_actor_by_username(one.db, "climate")
        assert hub is not None
        yield one, two, hub
    finally:
        await close_services(one)
        await close_services(two)


async def test_two_processes_never_overbook_an_event(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    one, two, hub = two_processes
    text = (
        "---\ntitle: Picket %d\nstart: 2027-01-20 18:00\nend: 2027-01-20 19:00\ncapacity: 1\n---\n"
    )
    for t in range(TRIALS):
        event = await posts.publish(one, hub, None, "event", text % t, now=T0)
        states = await asyncio.gather(
            participation.join(one, hub, event, f"https://p.example/u/{t}a", f"ja{t}", T0),
            participation.join(two, hub, event, f"https://p.example/u/{t}b", f"jb{t}", T0),
            return_exceptions=True,
        )
        assert all(isinstance(s, (str, FedihubError)) for s in states), states
        assert states.count("going") == 1, (t, states)


async def test_one_voter_counts_once_on_a_single_choice_poll(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    one, two, hub = two_processes
    text = "---\ncloses: 2027-03-08 20:00\noptions:\n  - Yes\n  - No\n---\nStrike %d?"
    for t in range(TRIALS):
        poll = await posts.publish(one, hub, None, "poll", text % t, now=T0)
        voter = f"https://p.example/u/{t}"
        recorded = await asyncio.gather(
            polls.vote(one, hub, poll, voter, [0], T0),
            polls.vote(two, hub, poll, voter, [1], T0),
        )
        assert sorted(map(len, recorded)) == [0, 1], (t, recorded)
        assert len(await poll_store.choices_of(one.db, poll.id, voter)) == 1


async def test_two_fulfilments_of_one_need_at_once_both_count(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    """Two organisers, on two processes, each confirming a delivery of 20 to a need of 50
    through a different match: the need must end with 10, not 30 (a lost update)."""
    one, two, hub = two_processes
    by = hub.uri(one.config.base_url)
    for t in range(TRIALS):
        text = f"---\ntitle: Sleeping bags {t}\ncategory: bedding\nquantity: 50\n---\nPlease."
        post = await posts.publish(one, hub, None, "need", text)
        need = await resources.intent_of_post(one.db, post.id)
        assert need is not None
        matches = []
        async with one.db.transaction() as tx:
            for side in ("a", "b"):
                offer = replace(need, uri=f"https://t.example/o/{t}{side}", side="offer",
                                hub_uri="https://t.example/g", host="t.example",
                                local_post_id=None)  # fmt: skip
                await resources.save_intent(tx, offer)
                matches.append(await resources.save_match(tx, hub.id, need.uri, offer.uri, 0.9,
                                                          "here", T0))  # fmt: skip
        first, second = matches
        assert first is not None and second is not None
        await asyncio.gather(matching.fulfil(one, hub, first, 20, by),
                             matching.fulfil(two, hub, second, 20, by))  # fmt: skip
        stored = await resources.intent(one.db, need.uri)
        assert stored is not None and stored.remaining == 10, (t, stored.remaining)


async def test_two_hubs_here_settling_one_pair_at_once_never_deadlock(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    """Each hub's settling also records the other's side: both take the pair's rows in one
    order, so neither waits on the other for ever."""
    one, two, hub = two_processes
    await create_hub(one.db, "tampa", name="Tampa", summary="")
    tampa = await actors.get_actor_by_username(one.db, "tampa")
    assert tampa is not None
    tampa_uri = tampa.uri(one.config.base_url)
    await one.db.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)",
                         (hub.id, tampa_uri, f"{tampa_uri}#f"))  # fmt: skip
    for t in range(TRIALS):
        text = f"---\ntitle: Blankets {t}\ncategory: bedding\nquantity: %s\n---\nx"
        need = await posts.publish(one, hub, None, "need", text % 50)
        offer = await posts.publish(one, tampa, None, "offer", text % 80)
        need_uri = (await resources.intent_of_post(one.db, need.id)).uri  # type: ignore[union-attr]
        offer_uri = (await resources.intent_of_post(one.db, offer.id)).uri  # type: ignore[union-attr]
        ours = await resources.match_of(one.db, hub.id, need_uri, offer_uri)
        theirs = await resources.match_of(one.db, tampa.id, need_uri, offer_uri)
        assert ours is not None and theirs is not None
        await asyncio.gather(matching.fulfil(one, hub, ours.id, 10, "x"),
                             matching.fulfil(two, tampa, theirs.id, 10, "x"))  # fmt: skip


async def test_an_edit_during_a_fulfilment_keeps_the_delivery(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    one, two, hub = two_processes
    by = hub.uri(one.config.base_url)
    for t in range(TRIALS):
        text = f"---\ntitle: Tents {t}\ncategory: shelter\nquantity: 50\n---\nPlease."
        post = await posts.publish(one, hub, None, "need", text)
        need = await resources.intent_of_post(one.db, post.id)
        assert need is not None
        offer = replace(need, uri=f"https://t.example/o/{t}", side="offer",
                        hub_uri="https://t.example/g", host="t.example", local_post_id=None)
        async with one.db.transaction() as tx:
            await resources.save_intent(tx, offer)
            match_id = await resources.save_match(tx, hub.id, need.uri, offer.uri, 0.9, "here", T0)
        assert match_id is not None
        await asyncio.gather(matching.fulfil(one, hub, match_id, 20, by),
                             posts.edit(two, hub, post.id, text.replace("Please.", "Thanks.")))
        stored = await resources.intent(one.db, need.uri)
        assert stored is not None and stored.remaining == 30, (t, stored.remaining)
