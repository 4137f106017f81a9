"""Needs and offers from followed hubs, through the signed inbox: a Create carrying an `intent` is
indexed, its Update (nothing left) closes it and its Delete forgets it; hostile intents are read
defensively; only what a followed actor sent is kept, no hub speaks for another, and a stranger's
reply to our offer shaped as a need is a reply, not a need."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.activitystreams import PUBLIC
from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.hubs.service import create_hub
from fedihub.keys import inbox_worker_key
from fedihub.posts import service as posts
from fedihub.resources import store as intents
from fedihub.resources.model import CATEGORIES, MAX_QUANTITY
from fedihub.resources.remote import read_intent
from fedihub.services import Services
from tests.support.remote import RemoteActor, RemoteServer

AS = "https://www.w3.org/ns/activitystreams"
NOW = 1_796_000_000.0  # 2026-11-29
HUB = "https://b.example/hubs/tampa"
# The inbox checks signatures against the real clock: a date a month ahead of it.
DUE = dt.datetime.fromtimestamp(int(time.time()) + 30 * 86_400, dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "vancouver", name="Vancouver", timezone="America/Vancouver")
    found = await store.get_actor(services.db, "group", "vancouver")
    assert found is not None
    return found


async def follow(services: Services, hub: LocalActor, actor_uri: str) -> None:
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)", (hub.id, actor_uri, actor_uri)
    )


def offer(actor: RemoteActor, n: int = 1, **intent: Any) -> dict[str, Any]:
    return {
        "id": f"{actor.id}/posts/{n}", "type": "Note", "attributedTo": actor.id,
        "to": [PUBLIC], "cc": [f"{actor.id}/followers"], "name": "Sleeping bags",
        "published": "2026-11-28T10:00:00Z",
        "content": "<p>Offered: Sleeping bags</p><p>Fifty warm sleeping bags, clean.</p>",
        "intent": {
            "type": "Intent", "action": "transfer", "provider": actor.id,
            "resourceClassifiedAs": ["bedding"],
            "resourceQuantity": {"hasNumericalValue": 50, "hasUnit": "sleeping bags"},
            "availableQuantity": {"hasNumericalValue": 50, "hasUnit": "sleeping bags"},
            "due": DUE.isoformat(),
            "atLocation": {"type": "Place", "name": "Tampa", "latitude": 27.95,
                           "longitude": -82.46},
            "finished": False, **intent,
        },
    }  # fmt: skip


async def send(
    app_client: TestClient, services: Services, remote: RemoteServer, actor: RemoteActor,
    kind: str, obj: Any,
) -> str:  # fmt: skip
    activity = {"@context": AS, "type": kind, "id": f"{actor.id}/activities/{kind}/{id(obj)}",
                "actor": actor.id, "to": [PUBLIC], "object": obj}  # fmt: skip
    status = (await remote.post(f"{services.config.base_url}/inbox", activity, actor)).status
    if status != 202:
        return f"refused {status}"
    await app_client.app[inbox_worker_key].run_once()
    row = await services.db.fetchone("SELECT state, error FROM inbox_items ORDER BY id DESC")
    assert row is not None
    return f"{row['state']} {row['error'] or ''}".strip()


async def test_create_update_and_delete_of_a_followed_hubs_offer(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    tampa = remote.add_actor("tampa", actor_type="Group")
    await follow(services, hub, tampa.id)
    obj = offer(tampa)
    assert await send(app_client, services, remote, tampa, "Create", obj) == "done"
    got = await intents.intent(services.db, obj["id"])
    assert got is not None
    assert (got.side, got.hub_uri, got.category, got.quantity, got.remaining, got.unit) == (
        "offer", tampa.id, "bedding", 50, 50, "sleeping bags")  # fmt: skip
    assert got.host == got.host.lower() and got.host in tampa.id
    assert (got.place, got.latitude, got.longitude, got.local_post_id) == (
        "Tampa", 27.95, -82.46, None)  # fmt: skip
    assert {"sleeping", "bag", "warm", "clean"} <= set(got.words)
    assert got.until_at == DUE.timestamp()
    # Twenty given: an Update says 30 remain; then none: closed.
    obj = offer(tampa, availableQuantity={"hasNumericalValue": 30, "hasUnit": "sleeping bags"})
    assert await send(app_client, services, remote, tampa, "Update", obj) == "done"
    got = await intents.intent(services.db, obj["id"])
    assert got is not None and (got.remaining, got.state) == (30, "open")
    obj = offer(tampa, availableQuantity={"hasNumericalValue": 0, "hasUnit": "sleeping bags"})
    assert await send(app_client, services, remote, tampa, "Update", obj) == "done"
    got = await intents.intent(services.db, obj["id"])
    assert got is not None and (got.remaining, got.state) == (0, "closed")
    assert await intents.open_listing(services.db, now=time.time()) == []
    tombstone = {"id": obj["id"], "type": "Tombstone"}
    assert await send(app_client, services, remote, tampa, "Delete", tombstone) == "done"
    assert await intents.intent(services.db, obj["id"]) is None


async def test_finished_closes_and_an_edit_without_intent_forgets(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    tampa = remote.add_actor("tampa", actor_type="Group")
    await follow(services, hub, tampa.id)
    await send(app_client, services, remote, tampa, "Create", offer(tampa))
    obj = offer(tampa, finished=True)
    await send(app_client, services, remote, tampa, "Update", obj)
    got = await intents.intent(services.db, obj["id"])
    assert got is not None and got.state == "closed" and got.remaining == 50
    plain = {k: v for k, v in offer(tampa).items() if k != "intent"}
    assert await send(app_client, services, remote, tampa, "Update", plain) == "done"
    assert await intents.intent(services.db, obj["id"]) is None


async def test_a_deleted_hub_takes_its_needs_and_offers_along(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    tampa = remote.add_actor("tampa", actor_type="Group")
    await follow(services, hub, tampa.id)
    await send(app_client, services, remote, tampa, "Create", offer(tampa))
    ours = await posts.publish(services, hub, None, "need",
                               "---\ntitle: Bags\ncategory: bedding\n---\nBags.")  # fmt: skip
    assert await send(app_client, services, remote, tampa, "Delete", tampa.id) == "done"
    held = await services.db.fetchall("SELECT local_post_id FROM resource_intents")
    assert [r["local_post_id"] for r in held] == [ours.id]


async def test_only_followed_hubs_and_no_hub_for_another(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    tampa = remote.add_actor("tampa", actor_type="Group")
    stranger = remote.add_actor("stranger")
    await send(app_client, services, remote, stranger, "Create", offer(stranger))
    await follow(services, hub, tampa.id)
    # A followed hub's object naming another hub as the provider is no offer of anyone's.
    forged = offer(tampa, 2, provider="https://c.example/hubs/other")
    await send(app_client, services, remote, tampa, "Create", forged)
    # Nor may a stranger update or delete a followed hub's offer.
    obj = offer(tampa, 3)
    await send(app_client, services, remote, tampa, "Create", obj)
    hostile = {**obj, "attributedTo": stranger.id,
               "intent": {**obj["intent"], "finished": True}}  # fmt: skip
    assert await send(app_client, services, remote, stranger, "Update", hostile) == "refused 403"
    await send(app_client, services, remote, stranger, "Delete", obj["id"])
    # Sent by tampa but claiming the stranger wrote it: no change to tampa's offer either.
    await send(app_client, services, remote, tampa, "Update", hostile)
    held = await services.db.fetchall("SELECT uri, state FROM resource_intents")
    assert [(r["uri"], r["state"]) for r in held] == [(obj["id"], "open")]


async def test_a_strangers_reply_shaped_as_a_need_is_a_reply(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    tents = "---\ntitle: Tents\ncategory: shelter\nquantity: 6\n---\nSix."
    ours = await posts.publish(services, hub, None, "offer", tents)
    our_uri = f"{services.config.base_url}/hubs/vancouver/posts/{ours.id}"
    stranger = remote.add_actor("stranger")
    reply = offer(stranger, inReplyTo=None)
    reply["inReplyTo"] = our_uri
    reply["intent"] = {**reply["intent"], "receiver": stranger.id}
    del reply["intent"]["provider"]
    assert await send(app_client, services, remote, stranger, "Create", reply) == "done"
    kept = await services.db.fetchall("SELECT uri, post_id FROM replies")
    assert [(r["uri"], r["post_id"]) for r in kept] == [(reply["id"], ours.id)]
    held = await services.db.fetchall("SELECT uri FROM resource_intents")
    assert [r["uri"] for r in held] == [our_uri]  # only our own offer
    # Followed, a hub's reply is a conversation (a match notice), not a new need either.
    await follow(services, hub, stranger.id)
    reply = {**reply, "id": reply["id"] + "b", "inReplyTo": f"{stranger.id}/posts/9"}
    await send(app_client, services, remote, stranger, "Create", reply)
    assert await services.db.fetchval("SELECT count(*) FROM resource_intents") == 1


def read(**changes: Any) -> Any:
    obj = {"id": f"{HUB}/posts/1", "type": "Note", "name": "Bags", "content": "<p>Bags</p>",
           "intent": {"type": "Intent", "provider": HUB, **changes}}  # fmt: skip
    return read_intent(obj, HUB, CATEGORIES, NOW)


@pytest.mark.parametrize("quantity", [0, -5, 1.5, math.nan, math.inf, 10**30, "many", True,
                                      [50], {"n": 1}, MAX_QUANTITY + 1, "1e3"])  # fmt: skip
def test_impossible_quantities_are_as_many_as_there_are(quantity: Any) -> None:
    got = read(resourceQuantity={"hasNumericalValue": quantity, "hasUnit": ["x"] * 3},
               availableQuantity={"hasNumericalValue": quantity})  # fmt: skip
    assert got is not None and (got.quantity, got.remaining, got.unit) == (None, None, "")
    assert got.state == "open"


def test_hostile_fields_are_read_safely() -> None:
    got = read(resourceClassifiedAs=["weapons", 7, None, "x" * 10_000], due="not a date",
               atLocation={"name": "y" * 5_000, "latitude": math.nan, "longitude": 3},
               resourceQuantity={"hasNumericalValue": 10, "hasUnit": "u" * 500},
               availableQuantity={"hasNumericalValue": 99}, finished="yes")  # fmt: skip
    assert got is not None
    assert (got.category, got.until_at, got.latitude, got.longitude) == ("other", None, None, None)
    assert (len(got.place), len(got.unit), got.quantity, got.remaining) == (200, 60, 10, 10)
    assert got.state == "open"  # only a real true finishes it
    by_uri = read(resourceClassifiedAs="https://vocab.example/categories#Food", due="1999-01-01")
    assert by_uri is not None and by_uri.category == "food" and by_uri.until_at is None
    assert read(due="2099-01-01T00:00:00Z").until_at is None  # more than 5 years ahead
    assert read(provider=None, receiver=HUB).side == "need"
    assert read(provider=None) is None  # neither side
    assert read(receiver=HUB) is None  # both
    assert read(side="need", provider=None, receiver=["x"]) is None  # a party that is not a hub
    assert read(type="Event") is None
    assert read_intent({"id": 5, "intent": {"type": "Intent", "provider": HUB}}, HUB, CATEGORIES,
                       NOW) is None  # fmt: skip
    long_title = read_intent({"id": "u", "name": "t" * 10_000, "intent": {"type": ["Intent"],
                              "side": "offer"}}, HUB, CATEGORIES, NOW)  # fmt: skip
    assert long_title is not None and len(long_title.title) == 200


def test_a_due_date_lasts_to_the_end_of_its_day_and_keeps_the_senders_day() -> None:
    """Other ValueFlows software may send a date alone: it is open all that day (UTC, as it
    names no zone). A moment keeps the day its sender wrote, whatever it is in UTC."""
    day = dt.datetime.fromtimestamp(NOW + 30 * 86_400, dt.UTC).date()
    got = read(due=day.isoformat())
    assert got is not None and got.until_day == day.isoformat()
    assert got.until_at == dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC).timestamp()
    evening = f"{day.isoformat()}T23:59:59-08:00"  # Vancouver's evening: the next day in UTC
    got = read(due=evening)
    assert got is not None and got.until_day == day.isoformat()
    assert got.until_at == dt.datetime.fromisoformat(evening).timestamp()
