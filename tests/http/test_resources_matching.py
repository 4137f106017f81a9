"""Matching needs and offers on one instance against a Mastodon-shaped remote server: a followed
hub's offer meets our need, our organisers are told (the dashboard list, a direct message to one
on another server), the other hub gets a match notice; one host cannot flood us; a stranger's
notice is refused; fulfilment partly then wholly closes our need and its Update goes out."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.activitystreams import PUBLIC
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.cli import main
from fedihub.errors import BadRequest, NotFound
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key, scheduler_key, services_key
from fedihub.posts import service as posts
from fedihub.resources import matching_hook, service, told
from fedihub.resources import store as resources
from fedihub.resources.model import Intent, Match, Side, site_of_uri, words_of
from fedihub.services import Services
from tests.support.remote import RemoteActor, RemoteServer

AS = "https://www.w3.org/ns/activitystreams"
DAY = 86_400.0


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "vancouver", name="Vancouver Commons", timezone="UTC")
    found = await actors.get_actor(services.db, "group", "vancouver")
    assert found is not None
    return found


@dataclasses.dataclass
class Scene:
    tampa: RemoteActor  # a followed hub on another server
    rosa: RemoteActor  # our hub's admin, on another server
    fran: RemoteActor  # a follower of our hub, on another server


@pytest.fixture
async def scene(services: Services, hub: LocalActor, remote: RemoteServer) -> Scene:
    tampa = remote.add_actor("tampa", actor_type="Group")
    rosa, fran = remote.add_actor("rosa"), remote.add_actor("fran")
    for who in (tampa, rosa, fran):
        await services.resolver.actor(who.id)
    await services.db.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)",
                              (hub.id, tampa.id, f"{tampa.id}#followed"))  # fmt: skip
    await services.db.execute("INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)",
                              (hub.id, fran.id))  # fmt: skip
    await services.db.execute(
        "INSERT INTO hub_members (hub_id, actor_uri, role, state, created_at)"
        " VALUES (?, ?, 'admin', 'member', 0)", (hub.id, rosa.id),
    )  # fmt: skip
    return Scene(tampa, rosa, fran)


def intent_of(uri: str, hub_uri: str, side: Side, title: str, remaining: int | None,
              local_post_id: int | None = None, **kw: Any) -> Intent:  # fmt: skip
    now = time.time()
    fields: dict[str, Any] = dict(
        uri=uri, hub_uri=hub_uri, host=site_of_uri(hub_uri), side=side, title=title,
        category="bedding", words=words_of(title), quantity=remaining, remaining=remaining,
        unit="", place="", latitude=None, longitude=None, until_at=now + 30 * DAY,
        state="open", local_post_id=local_post_id, published_at=now, updated_at=now,
    )  # fmt: skip
    fields.update(kw)
    return Intent(**fields)


async def save(services: Services, intent: Intent) -> Intent:
    """Straight into the index and the matcher (an intent no inbox would pass on)."""
    async with services.db.transaction() as tx:
        await resources.save_intent(tx, intent)
    await matching_hook.intent_saved(services, intent)
    return intent


async def our_need(
    services: Services, hub: LocalActor, remaining: int = 50, title: str = "Warm sleeping bags"
) -> Intent:
    text = (f"---\ntitle: {title}\ncategory: bedding\nquantity: {remaining}\n"
            "place: Vancouver\n---\nFor the shelter on Main Street.")  # fmt: skip
    post = await posts.publish(services, hub, None, "need", text)
    need = await resources.intent_of_post(services.db, post.id)
    assert need is not None
    return need


def offer_object(
    tampa: RemoteActor, n: int, remaining: int | None = 80, title: str = "Sleeping bags",
    category: str = "bedding",
) -> dict[str, Any]:
    due = dt.datetime.fromtimestamp(time.time() + 30 * DAY, dt.UTC).isoformat()
    quantity = {"hasNumericalValue": remaining, "hasUnit": ""} if remaining is not None else None
    return {
        "id": f"{tampa.id}/statuses/{n}", "type": "Note", "attributedTo": tampa.id,
        "to": [PUBLIC], "cc": [f"{tampa.id}/followers"], "name": title,
        "content": f"<p>Offered: {title}</p>",
        "intent": {"type": "Intent", "action": "transfer", "provider": tampa.id,
                   "resourceClassifiedAs": [category], "resourceQuantity": quantity,
                   "availableQuantity": quantity, "due": due,
                   "atLocation": {"type": "Place", "name": "Tampa"}, "finished": False},
    }  # fmt: skip


async def their_offer(app_client: TestClient, remote: RemoteServer, tampa: RemoteActor, n: int,
                      remaining: int | None = 80, title: str = "Sleeping bags",
                      category: str = "bedding") -> Intent:  # fmt: skip
    """A followed hub's offer, as its server sends it: a signed Create to our shared inbox."""
    obj = offer_object(tampa, n, remaining, title, category)
    services = app_client.app[services_key]
    await receive(app_client, remote, f"{services.config.base_url}/inbox",
                  {"@context": AS, "type": "Create", "id": f"{obj['id']}/activity",
                   "actor": tampa.id, "to": obj["to"], "cc": obj["cc"], "object": obj},
                  tampa)  # fmt: skip
    offer = await resources.intent(services.db, obj["id"])
    assert offer is not None
    return offer


async def settleable(services: Services, hub: LocalActor) -> list[Match]:
    """The hub's matches left to settle, as its dashboard lists them."""
    return await resources.matches_of_hub(services.db, hub.id,
                                          settleable_by=hub.uri(services.config.base_url))


async def deliver(app_client: TestClient) -> None:
    while await app_client.app[delivery_worker_key].run_once():
        pass


def sent_to(remote: RemoteServer, actor: RemoteActor, kind: str = "Create") -> list[dict[str, Any]]:
    inbox = f"/users/{actor.username}/inbox"
    return [r.activity for r in remote.received if r.path == inbox and r.activity["type"] == kind]


def notice_from(tampa: RemoteActor, obj_id: str, need: Intent, offer: Intent, state: str,
                fulfilled: int, sender: RemoteActor | None = None) -> dict[str, Any]:  # fmt: skip
    sender = sender or tampa
    note = {"id": obj_id, "type": "Note", "attributedTo": sender.id, "to": [need.hub_uri],
            "cc": [], "inReplyTo": need.uri, "content": "<p>We can send them.</p>",
            "match": {"type": "fedihub:Match", "need": need.uri, "offer": offer.uri,
                      "state": state, "fulfilledQuantity": fulfilled}}  # fmt: skip
    return {"@context": AS, "type": "Create", "id": f"{obj_id}/activity", "actor": sender.id,
            "to": note["to"], "cc": [], "object": note}  # fmt: skip


async def receive(app_client: TestClient, remote: RemoteServer, inbox: str,
                  activity: dict[str, Any], sender: RemoteActor) -> None:  # fmt: skip
    assert (await remote.post(inbox, activity, sender)).status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass


async def notify(app_client: TestClient, remote: RemoteServer, hub: LocalActor,
                 activity: dict[str, Any], sender: RemoteActor) -> None:  # fmt: skip
    """A match notice, to the hub's own inbox as our notices go."""
    base_url = app_client.app[services_key].config.base_url
    await receive(app_client, remote, f"{hub.uri(base_url)}/inbox", activity, sender)


async def test_a_followed_hubs_offer_meets_our_need_and_both_sides_are_told(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(app_client, remote, scene.tampa, 1)
    await their_offer(app_client, remote, scene.tampa, 2, title="tinned food", category="food")
    listed = await resources.matches_of_hub(services.db, hub.id)
    assert [(m.need_uri, m.offer_uri, m.state, m.found_by) for m in listed] == [
        (need.uri, offer.uri, "proposed", "here")
    ]
    assert 0 < listed[0].score <= 1
    await deliver(app_client)
    [dm] = sent_to(remote, scene.rosa)
    assert dm["object"]["to"] == [scene.rosa.id] and "match" not in dm["object"]
    assert "Warm sleeping bags" in dm["object"]["content"]
    [told] = sent_to(remote, scene.tampa)
    assert told["object"]["to"] == [scene.tampa.id] and told["object"]["inReplyTo"] == offer.uri
    assert told["object"]["match"] == {"type": "fedihub:Match", "need": need.uri,
                                       "offer": offer.uri, "state": "proposed",
                                       "fulfilledQuantity": 0}  # fmt: skip
    assert not sent_to(remote, scene.fran)  # a match is not for the hub's followers
    # Saving it again (an Update) finds nothing new and tells nobody twice.
    await matching_hook.intent_saved(services, offer)
    assert len(await resources.matches_of_hub(services.db, hub.id)) == 1


async def test_our_new_need_is_matched_against_the_best_ten_offers(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    for n in range(12):
        await their_offer(app_client, remote, scene.tampa, n, remaining=5 + n)
    await their_offer(app_client, remote, scene.tampa, 99, title="rice", category="food")
    need = await our_need(services, hub, remaining=10)
    found = await resources.matches_of_hub(services.db, hub.id)
    assert len(found) == 10
    offers = {m.offer_uri for m in found}
    # Offers covering all ten score higher than partial ones: the two smallest are left out.
    assert f"{scene.tampa.id}/statuses/0" not in offers
    assert f"{scene.tampa.id}/statuses/1" not in offers
    assert all(m.need_uri == need.uri for m in found)


async def test_one_host_cannot_flood_organisers_past_its_daily_cap(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    services.config = dataclasses.replace(services.config, match_host_daily_cap=3)
    await our_need(services, hub, remaining=1000)
    for n in range(6):
        await their_offer(app_client, remote, scene.tampa, n)
    assert len(await resources.matches_of_hub(services.db, hub.id)) == 3
    assert await resources.matches_since(services.db, site_of_uri(scene.tampa.id), 0) == 3
    # Our own next need is capped the same way against that host.
    await our_need(services, hub, remaining=5, title="blankets sleeping bags")
    assert len(await resources.matches_of_hub(services.db, hub.id)) == 3


async def test_an_unfollowed_hubs_offer_and_a_closed_or_expired_one_are_not_matched(
    services: Services, hub: LocalActor, scene: Scene, remote: RemoteServer
) -> None:
    await our_need(services, hub)
    stranger = remote.add_actor("elsewhere", actor_type="Group", host_index=1)
    await save(services, intent_of(f"{stranger.id}/s/1", stranger.id, "offer", "sleeping bags", 9))
    closed = intent_of(f"{scene.tampa.id}/statuses/1", scene.tampa.id, "offer", "sleeping bags",
                       9, state="closed")  # fmt: skip
    await save(services, closed)
    expired = intent_of(f"{scene.tampa.id}/statuses/2", scene.tampa.id, "offer", "sleeping bags",
                        9, until_at=time.time() - DAY)  # fmt: skip
    await save(services, expired)
    assert await resources.matches_of_hub(services.db, hub.id) == []


async def test_fulfilling_partly_then_wholly_closes_our_need_and_updates_go_out(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(app_client, remote, scene.tampa, 1, remaining=80)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    await deliver(app_client)
    remote.received.clear()
    accepted = await service.accept(services, hub, match.id, scene.rosa.id)
    assert accepted.state == "accepted"
    with pytest.raises(BadRequest):
        await service.accept(services, hub, match.id, scene.rosa.id)  # accepted already
    for impossible in (0, -3, 51, 81):
        with pytest.raises(BadRequest):
            await service.fulfil(services, hub, match.id, impossible, scene.rosa.id)
    partly = await service.fulfil(services, hub, match.id, 20, scene.rosa.id)
    assert (partly.state, partly.fulfilled_quantity) == ("partly_fulfilled", 20)
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (30, "open")
    with pytest.raises(BadRequest):
        await service.fulfil(services, hub, match.id, 31, scene.rosa.id)
    whole = await service.fulfil(services, hub, match.id, None, scene.rosa.id)
    assert (whole.state, whole.fulfilled_quantity) == ("fulfilled", 50)
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (0, "closed")
    with pytest.raises(BadRequest):  # fulfilled is final
        await service.decline(services, hub, match.id, scene.rosa.id)
    # Closed needs stay on record; the match leaves the live list.
    assert await resources.matches_of_hub(services.db, hub.id) == []
    assert await resources.matches_of_hub(services.db, hub.id, ("fulfilled",)) == [whole]
    await deliver(app_client)
    told = [a["object"]["match"] for a in sent_to(remote, scene.tampa)]
    assert sorted((t["fulfilledQuantity"], t["state"]) for t in told) == [
        (0, "accepted"), (20, "partly_fulfilled"), (50, "fulfilled")
    ]  # delivered in any order: each carries the whole state
    assert all(t["offer"] == offer.uri for t in told)
    updates = [a for a in remote.received if a.activity["type"] == "Update"]
    assert {u.path for u in updates} == {"/inbox"}  # the follower's shared inbox
    assert len(updates) == 2
    assert all(u.activity["object"]["id"] == need.uri for u in updates)


async def test_another_hubs_match_is_not_found_here(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    await our_need(services, hub)
    await their_offer(app_client, remote, scene.tampa, 1)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    await create_hub(services.db, "tampa_local", name="Other", timezone="UTC")
    other = await actors.get_actor(services.db, "group", "tampa_local")
    assert other is not None
    with pytest.raises(NotFound):
        await service.fulfil(services, other, match.id, 1, "x")
    with pytest.raises(NotFound):
        await service.accept(services, hub, match.id + 100, "x")


async def test_notices_from_the_other_hub_settle_the_match_and_close_our_need(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    # Tampa's hub follows ours, not the other way: its offer is not in our index; the notice
    # makes us fetch it from its server.
    await services.db.execute("DELETE FROM following")
    need = await our_need(services, hub, remaining=40)
    remote.publish(offer_object(scene.tampa, 1))
    offer = intent_of(f"{scene.tampa.id}/statuses/1", scene.tampa.id, "offer", "", 80)
    await notify(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/1", need, offer, "proposed", 0),
                  scene.tampa)  # fmt: skip
    [match] = await resources.matches_of_hub(services.db, hub.id)
    assert (match.state, match.found_by) == ("proposed", "told")
    fetched = await resources.intent(services.db, offer.uri)
    assert fetched is not None and (fetched.hub_uri, fetched.remaining) == (scene.tampa.id, 80)
    await notify(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/2", need, offer, "accepted", 0),
                  scene.tampa)  # fmt: skip
    await notify(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/3", need, offer,
                              "partly_fulfilled", 15), scene.tampa)  # fmt: skip
    # Their word that they delivered is reported to our organisers, not taken as done.
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.remaining == 40
    reported = await resources.match(services.db, match.id)
    assert reported is not None and (reported.state, reported.reported_quantity) == ("accepted", 15)
    # A notice claiming more than is still needed is not even reported.
    await notify(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/4", need, offer, "fulfilled",
                              99), scene.tampa)  # fmt: skip
    reported = await resources.match(services.db, match.id)
    assert reported is not None and reported.reported_quantity == 15
    await notify(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/5", need, offer, "fulfilled",
                              40), scene.tampa)  # fmt: skip
    reported = await resources.match(services.db, match.id)
    assert reported is not None and reported.reported_quantity == 40
    # Our organiser confirms: our need closes and its Update goes out.
    await service.fulfil(services, hub, match.id, 40, hub.uri(services.config.base_url))
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (0, "closed")
    settled = await resources.match(services.db, match.id)
    assert settled is not None and (settled.state, settled.fulfilled_quantity) == ("fulfilled", 40)
    await deliver(app_client)
    # Our remote organiser heard of the match, its acceptance and the report waiting for them;
    # the report growing while it waited told them nothing new.
    assert len(sent_to(remote, scene.rosa)) == 3
    updates = [r for r in remote.received if r.activity["type"] == "Update"]
    assert len(updates) == 1 and updates[-1].activity["object"]["id"] == need.uri
    told_back = [a["object"].get("match") for a in sent_to(remote, scene.tampa)]
    assert {"state": "fulfilled", "fulfilledQuantity": 40}.items() <= told_back[-1].items()


async def test_a_strangers_match_notice_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(app_client, remote, scene.tampa, 1)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    mallory = remote.add_actor("mallory", host_index=1)
    claim = notice_from(scene.tampa, f"{mallory.id}/n/1", need, offer, "fulfilled", 50, mallory)
    said = await told.notice_received(services, mallory.id, claim["object"])
    assert said == f"ignored: {mallory.id} is not the hub of {offer.uri}"
    await notify(app_client, remote, hub, claim, mallory)
    assert await resources.match(services.db, match.id) == match
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.remaining == 50
    # A notice that names another need than the one it answers is refused too.
    wrong = notice_from(scene.tampa, f"{scene.tampa.id}/n/2", need, offer, "fulfilled", 50)
    wrong["object"]["match"]["need"] = f"{need.uri}0"
    said = await told.notice_received(services, scene.tampa.id, wrong["object"])
    assert said is not None and said.startswith("ignored: the match notice does not name")
    for bad in ({"state": "won"}, {"fulfilledQuantity": -1}, {"fulfilledQuantity": "all"},
                {"need": None}):  # fmt: skip
        hostile = notice_from(scene.tampa, f"{scene.tampa.id}/n/3", need, offer, "accepted", 0)
        hostile["object"]["match"].update(bad)
        with pytest.raises(BadRequest):
            await told.notice_received(services, scene.tampa.id, hostile["object"])
    assert await resources.match(services.db, match.id) == match


async def test_the_command_line_lists_and_settles_a_hubs_matches(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await our_need(services, hub)
    await their_offer(app_client, remote, scene.tampa, 1)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    ana = await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_account(services.db, "dee", "correct horse", is_admin=False)
    async with services.db.transaction() as tx:
        await actors.add_organizer(tx, hub.id, ana)
    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["match", *args, "--data", data_dir])

    capsys.readouterr()
    assert await cli("list", "vancouver") == 0
    line = capsys.readouterr().out
    assert line.startswith(f"{match.id}\tproposed\t")
    assert "Warm sleeping bags ×50 @ Vancouver <-> Sleeping bags ×80 @ Tampa" in line
    assert line.endswith(f"\t{scene.tampa.id}\n")
    assert await cli("fulfil", str(match.id), "--quantity", "0", "--as", "ana") == 1
    assert await cli("accept", str(match.id), "--as", "dee") == 1  # not an organiser of it
    assert await cli("accept", str(match.id + 1), "--as", "ana") == 1  # no such match
    assert await cli("fulfil", str(match.id), "--quantity", "50", "--as", "ana") == 0
    capsys.readouterr()
    assert await cli("list", "vancouver") == 0
    assert capsys.readouterr().out == "no matches\n"
    assert await cli("list", "vancouver", "--all") == 0
    line = capsys.readouterr().out
    assert "\tfulfilled 50 delivered\t" in line and "×0 @ Vancouver (closed) <-> " in line


async def test_two_hubs_here_see_one_match_and_fulfilment_moves_both_sides(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    await create_hub(services.db, "tampa", name="Tampa Here", timezone="UTC")
    tampa = await actors.get_actor(services.db, "group", "tampa")
    assert tampa is not None
    tampa_uri = tampa.uri(services.config.base_url)
    await services.db.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)",
                              (hub.id, tampa_uri, f"{tampa_uri}#followed"))  # fmt: skip
    need = await our_need(services, hub)  # first: nothing to match yet
    text = "---\ntitle: Sleeping bags\ncategory: bedding\nquantity: 80\n---\nClean."
    post = await posts.publish(services, tampa, None, "offer", text)
    offer = await resources.intent_of_post(services.db, post.id)
    assert offer is not None
    [ours] = await resources.matches_of_hub(services.db, hub.id)
    [theirs] = await resources.matches_of_hub(services.db, tampa.id)
    assert (ours.need_uri, ours.offer_uri, ours.found_by) == (need.uri, offer.uri, "here")
    assert (theirs.need_uri, theirs.offer_uri, theirs.found_by) == (need.uri, offer.uri, "told")
    await service.fulfil(services, hub, ours.id, 20, scene.rosa.id)
    # Vancouver's word moves Vancouver's need; Tampa's offer waits for Tampa's organisers.
    theirs = await resources.match(services.db, theirs.id) or theirs
    assert (theirs.state, theirs.fulfilled_quantity, theirs.reported_quantity) == (
        "proposed", 0, 20)  # fmt: skip
    left = [await resources.intent(services.db, i.uri) for i in (need, offer)]
    assert [(i.remaining, i.state) for i in left if i] == [(30, "open"), (80, "open")]
    theirs = await service.fulfil(services, tampa, theirs.id, 20, "x")  # Tampa confirms
    assert (theirs.state, theirs.fulfilled_quantity) == ("partly_fulfilled", 20)
    with pytest.raises(BadRequest):  # a delivery was made: no longer to be declined
        await service.decline(services, tampa, theirs.id, "x")
    # Tampa's organisers settle the rest; Vancouver's confirm it, and its need closes.
    done = await service.fulfil(services, tampa, theirs.id, None, "x")
    assert (done.state, done.fulfilled_quantity) == ("fulfilled", 50)
    ours = await resources.match(services.db, ours.id) or ours
    assert (ours.state, ours.fulfilled_quantity, ours.reported_quantity) == (
        "partly_fulfilled", 20, 50)  # fmt: skip
    ours = await service.fulfil(services, hub, ours.id, None, scene.rosa.id)
    assert (ours.state, ours.fulfilled_quantity) == ("fulfilled", 50)
    left = [await resources.intent(services.db, i.uri) for i in (need, offer)]
    assert [(i.remaining, i.state) for i in left if i] == [(0, "closed"), (30, "open")]


async def test_a_matcher_that_fails_leaves_the_post_published_and_the_scheduler_matches_it(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    offer = await their_offer(app_client, remote, scene.tampa, 1)

    async def broken(svc: Services, intent: Intent) -> list[object]:
        raise ConnectionError("the database went away mid-match")

    monkeypatch.setattr(service, "find_matches", broken)  # a fault, injected where it strikes
    need = await our_need(services, hub)  # published all the same
    assert await resources.matches_of_hub(services.db, hub.id) == []
    assert await services.db.fetchval(
        "SELECT matched_at FROM resource_intents WHERE uri = ?", (need.uri,)
    ) is None
    monkeypatch.undo()
    scheduler = app_client.app[scheduler_key]
    soon = await scheduler.run_once(time.time() + 1)  # its own request may still be matching
    assert soon.matched == 0
    later = await scheduler.run_once(time.time() + matching_hook.RETRY_AFTER_S + 1)
    assert later.matched == 1
    [match] = await resources.matches_of_hub(services.db, hub.id)
    assert (match.need_uri, match.offer_uri) == (need.uri, offer.uri)
    again = await scheduler.run_once(time.time() + matching_hook.RETRY_AFTER_S + 2)
    assert again.matched == 0  # matched once, not on every pass



async def test_a_hub_nobody_follows_cannot_settle_close_or_drain_ours(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    """A server serving a need of its own that fits our offer may propose a match; what it then
    says it took is reported to our organisers, and our offer moves only on their word."""
    text = "---\ntitle: Sleeping bags\ncategory: bedding\nquantity: 80\n---\nClean ones."
    post = await posts.publish(services, hub, None, "offer", text)
    offer = await resources.intent_of_post(services.db, post.id)
    assert offer is not None
    mallory = remote.add_actor("mallory", actor_type="Group", host_index=1)
    await services.resolver.actor(mallory.id)
    need_obj = offer_object(mallory, 1)  # the same shape, as a need of mallory's own
    need_obj["intent"].pop("provider")
    need_obj["intent"]["receiver"] = mallory.id
    need_obj["intent"]["side"] = "need"
    remote.publish(need_obj)
    need = intent_of(need_obj["id"], mallory.id, "need", "", 80)

    def claim(n: int, state: str, fulfilled: int) -> dict[str, Any]:
        """Mallory's notice, in reply to our offer."""
        activity = notice_from(mallory, f"{mallory.id}/n/{n}", need, offer, state, fulfilled)
        activity["object"].update(inReplyTo=offer.uri, to=[offer.hub_uri])
        activity["to"] = [offer.hub_uri]
        return activity

    # Delivered through a match that was never proposed: nothing is recorded.
    said = await told.notice_received(services, mallory.id, claim(1, "fulfilled", 80)["object"])
    assert said == "ignored: a match is proposed before anything is said of it"
    assert await resources.matches_of_hub(services.db, hub.id) == []
    await notify(app_client, remote, hub, claim(2, "proposed", 0), mallory)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    assert (match.state, match.found_by) == ("proposed", "told")
    await notify(app_client, remote, hub, claim(3, "fulfilled", 80), mallory)
    reported = await resources.match(services.db, match.id)
    assert reported is not None and (reported.state, reported.reported_quantity) == ("proposed", 80)
    stored = await resources.intent(services.db, offer.uri)
    assert stored is not None and (stored.remaining, stored.state) == (80, "open")
    # A quantity no hub could deliver is refused before anything is read of it.
    with pytest.raises(BadRequest, match="whole number up to"):
        await told.notice_received(services, mallory.id, claim(4, "fulfilled", 10**15)["object"])


async def test_a_closed_needs_other_matches_can_only_be_declined(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub, remaining=50)
    first = await their_offer(app_client, remote, scene.tampa, 1)
    second = await their_offer(app_client, remote, scene.tampa, 2)
    by_offer = {m.offer_uri: m for m in await resources.matches_of_hub(services.db, hub.id)}
    await service.fulfil(services, hub, by_offer[first.uri].id, None, scene.rosa.id)
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.state == "closed"
    assert await settleable(services, hub) == []
    other = by_offer[second.uri].id
    for step in (service.accept(services, hub, other, "x"),
                 service.fulfil(services, hub, other, 10, "x")):  # fmt: skip
        with pytest.raises(BadRequest, match="no longer open"):
            await step
    assert (await service.decline(services, hub, other, "x")).state == "declined"


async def test_raising_a_closed_needs_quantity_opens_it_again(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub, remaining=50)
    await their_offer(app_client, remote, scene.tampa, 1)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    await service.fulfil(services, hub, match.id, None, scene.rosa.id)
    assert need.local_post_id is not None
    text = ("---\ntitle: Warm sleeping bags\ncategory: bedding\nquantity: 80\n"
            "place: Vancouver\n---\nThirty more, please.")  # fmt: skip
    await posts.edit(services, hub, need.local_post_id, text)
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (30, "open")
    await deliver(app_client)
    # The fulfilment's Update said finished; the edit's (delivered in any order) opens it again.
    updates = [r.activity["object"] for r in remote.received if r.activity["type"] == "Update"]
    said = {(u["id"], u["intent"]["finished"],
             u["intent"]["availableQuantity"]["hasNumericalValue"])
            for u in updates}  # fmt: skip
    assert said == {(need.uri, True, 0), (need.uri, False, 30)}


async def test_organisers_close_a_need_by_hand_and_open_it_again(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    """"We got them elsewhere": the need closes everywhere (its Update says finished), its
    matches leave the dashboard and can only be declined; unticked, it is open again."""
    need = await our_need(services, hub, remaining=50)
    await their_offer(app_client, remote, scene.tampa, 1)
    [match] = await settleable(services, hub)
    assert need.local_post_id is not None
    text = ("---\ntitle: Warm sleeping bags\ncategory: bedding\nquantity: 50\n"
            "place: Vancouver\nclosed: true\n---\nWe got them from the union.")  # fmt: skip
    await posts.edit(services, hub, need.local_post_id, text)
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (50, "closed")
    assert await settleable(services, hub) == []
    with pytest.raises(BadRequest, match="no longer open"):
        await service.fulfil(services, hub, match.id, 10, scene.rosa.id)
    await deliver(app_client)
    update = [r.activity for r in remote.received if r.activity["type"] == "Update"][-1]["object"]
    assert update["id"] == need.uri and update["intent"]["finished"] is True
    assert "Closed" in update["content"]
    page = await (await app_client.get("/resources")).text()
    assert "Warm sleeping bags" not in page
    await posts.edit(services, hub, need.local_post_id, text.replace("closed: true\n", ""))
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (50, "open")


async def test_the_other_side_confirms_after_ours_closed_the_pair(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    """Vancouver confirms first and its need closes; Tampa, here too, still sees the delivery
    waiting and confirms it, and its offer goes down."""
    await create_hub(services.db, "tampa", name="Tampa Here", timezone="UTC")
    tampa = await actors.get_actor(services.db, "group", "tampa")
    assert tampa is not None
    tampa_uri = tampa.uri(services.config.base_url)
    await services.db.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)",
                              (hub.id, tampa_uri, f"{tampa_uri}#followed"))  # fmt: skip
    await our_need(services, hub)
    text = "---\ntitle: Sleeping bags\ncategory: bedding\nquantity: 80\n---\nClean."
    post = await posts.publish(services, tampa, None, "offer", text)
    offer = await resources.intent_of_post(services.db, post.id)
    assert offer is not None
    [ours] = await settleable(services, hub)
    await service.fulfil(services, hub, ours.id, None, scene.rosa.id)  # all 50: need closed
    [theirs] = await settleable(services, tampa)  # still theirs to confirm
    assert (theirs.reported_quantity, theirs.fulfilled_quantity) == (50, 0)
    with pytest.raises(BadRequest, match="at most the 50 it said"):
        await service.fulfil(services, tampa, theirs.id, 60, "x")
    with pytest.raises(BadRequest, match="no longer open"):
        await service.accept(services, tampa, theirs.id, "x")
    part = await service.fulfil(services, tampa, theirs.id, 20, "x")  # 20 arrived so far
    assert (part.state, part.fulfilled_quantity) == ("partly_fulfilled", 20)
    done = await service.fulfil(services, tampa, theirs.id, 30, "x")  # the rest it reported
    assert (done.state, done.fulfilled_quantity) == ("fulfilled", 50)
    left = await resources.intent(services.db, offer.uri)
    assert left is not None and (left.remaining, left.state) == (30, "open")
    assert await settleable(services, tampa) == []


async def test_an_open_ended_pair_fulfilled_wholly_is_reported_then_confirmed(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    text = "---\ntitle: Warm sleeping bags\ncategory: bedding\n---\nAny number."
    post = await posts.publish(services, hub, None, "need", text)
    need = await resources.intent_of_post(services.db, post.id)
    assert need is not None
    offer = await their_offer(app_client, remote, scene.tampa, 1, remaining=None)
    [match] = await settleable(services, hub)
    await notify(app_client, remote, hub,
                 notice_from(scene.tampa, f"{scene.tampa.id}/n/1", need, offer, "fulfilled", 0),
                 scene.tampa)  # fmt: skip
    reported = await resources.match(services.db, match.id)
    assert reported is not None and reported.reported_whole and reported.report_pending
    still = await resources.intent(services.db, need.uri)
    assert still is not None and still.state == "open"  # their word alone closes nothing
    await deliver(app_client)
    assert len(sent_to(remote, scene.rosa)) == 2  # the match, then the report
    done = await service.fulfil(services, hub, match.id, None, scene.rosa.id)
    assert done.state == "fulfilled"
    closed = await resources.intent(services.db, need.uri)
    assert closed is not None and closed.state == "closed"


async def test_one_intent_that_always_fails_to_match_holds_back_no_other(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    await their_offer(app_client, remote, scene.tampa, 1)
    real = service.find_matches

    async def fails_for_one(svc: Services, intent: Intent) -> list[Match]:
        if intent.title == "Cursed sleeping bags":
            raise RuntimeError("this one always fails")
        return await real(svc, intent)

    monkeypatch.setattr(service, "find_matches", fails_for_one)
    cursed = await our_need(services, hub, title="Cursed sleeping bags")
    monkeypatch.setattr(service, "find_matches", broken_matcher)
    fine = await our_need(services, hub, title="Warm sleeping bags")
    monkeypatch.setattr(service, "find_matches", fails_for_one)
    scheduler = app_client.app[scheduler_key]
    later = time.time() + matching_hook.RETRY_AFTER_S + 1
    for n in range(matching_hook.MAX_ATTEMPTS + 2):
        await scheduler.run_once(later + n)
    matched = {m.need_uri for m in await settleable(services, hub)}
    assert matched == {fine.uri}  # matched by the scheduler, past the one that fails
    attempts = await services.db.fetchval(
        "SELECT match_attempts FROM resource_intents WHERE uri = ?", (cursed.uri,)
    )
    assert attempts == matching_hook.MAX_ATTEMPTS  # then given up on, not tried for ever


async def broken_matcher(svc: Services, intent: Intent) -> list[Match]:
    raise ConnectionError("the database went away mid-match")
