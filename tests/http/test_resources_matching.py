"""Matching needs and offers on one instance against a Mastodon-shaped remote server: a followed
hub's offer meets our need, our organisers are told (the dashboard list, a direct message to one
on another server), the other hub gets a match notice; one host cannot flood us; a stranger's
notice is refused; fulfilment partly then wholly closes our need and its Update goes out."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.activitystreams import host_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.cli import main
from fedihub.errors import BadRequest, NotFound
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.posts import service as posts
from fedihub.resources import matching_hook, service
from fedihub.resources import store as resources
from fedihub.resources.model import Intent, Side, words_of
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
        uri=uri, hub_uri=hub_uri, host=host_of(hub_uri), side=side, title=title,
        category="bedding", words=words_of(title), quantity=remaining, remaining=remaining,
        unit="", place="", latitude=None, longitude=None, until_at=now + 30 * DAY,
        state="open", local_post_id=local_post_id, published_at=now, updated_at=now,
    )  # fmt: skip
    fields.update(kw)
    return Intent(**fields)


async def save(services: Services, intent: Intent, *, hook: bool = True) -> Intent:
    async with services.db.transaction() as tx:
        await resources.save_intent(tx, intent)
    if hook:
        await matching_hook.intent_saved(services, intent)
    return intent


async def our_need(services: Services, hub: LocalActor, remaining: int = 50,
                   title: str = "warm sleeping bags", hook: bool = True) -> Intent:  # fmt: skip
    post = await posts.publish(services, hub, None, "update", f"We need {remaining} {title}.")
    uri = f"{hub.uri(services.config.base_url)}/posts/{post.id}"
    need = intent_of(uri, hub.uri(services.config.base_url), "need", title, remaining, post.id)
    return await save(services, need, hook=hook)


async def their_offer(services: Services, tampa: RemoteActor, n: int, remaining: int | None = 80,
                      title: str = "sleeping bags", hook: bool = True, **kw: Any
                      ) -> Intent:  # fmt: skip
    offer = intent_of(f"{tampa.id}/statuses/{n}", tampa.id, "offer", title, remaining, **kw)
    return await save(services, offer, hook=hook)


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


async def receive(app_client: TestClient, remote: RemoteServer, hub: LocalActor,
                  activity: dict[str, Any], sender: RemoteActor) -> None:  # fmt: skip
    inbox = f"{activity['object']['to'][0]}/inbox"
    assert (await remote.post(inbox, activity, sender)).status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass


async def test_a_followed_hubs_offer_meets_our_need_and_both_sides_are_told(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(services, scene.tampa, 1)
    await their_offer(services, scene.tampa, 2, title="tinned food", category="food")
    listed = await resources.matches_of_hub(services.db, hub.id)
    assert [(m.need_uri, m.offer_uri, m.state, m.found_by) for m in listed] == [
        (need.uri, offer.uri, "proposed", "here")
    ]
    assert 0 < listed[0].score <= 1
    await deliver(app_client)
    [dm] = sent_to(remote, scene.rosa)
    assert dm["object"]["to"] == [scene.rosa.id] and "match" not in dm["object"]
    assert "warm sleeping bags" in dm["object"]["content"]
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
    services: Services, hub: LocalActor, scene: Scene
) -> None:
    for n in range(12):
        await their_offer(services, scene.tampa, n, remaining=5 + n, hook=False)
    await their_offer(services, scene.tampa, 99, title="rice", hook=False, category="food")
    need = await our_need(services, hub, remaining=10)
    found = await resources.matches_of_hub(services.db, hub.id)
    assert len(found) == 10
    offers = {m.offer_uri for m in found}
    # Offers covering all ten score higher than partial ones: the two smallest are left out.
    assert f"{scene.tampa.id}/statuses/0" not in offers
    assert f"{scene.tampa.id}/statuses/1" not in offers
    assert all(m.need_uri == need.uri for m in found)


async def test_one_host_cannot_flood_organisers_past_its_daily_cap(
    services: Services, hub: LocalActor, scene: Scene
) -> None:
    services.config = dataclasses.replace(services.config, match_host_daily_cap=3)
    await our_need(services, hub, remaining=1000)
    for n in range(6):
        await their_offer(services, scene.tampa, n)
    assert len(await resources.matches_of_hub(services.db, hub.id)) == 3
    assert await resources.matches_since(services.db, host_of(scene.tampa.id), 0) == 3
    # Our own next need is capped the same way against that host.
    await our_need(services, hub, remaining=5, title="blankets sleeping bags")
    assert len(await resources.matches_of_hub(services.db, hub.id)) == 3


async def test_an_unfollowed_hubs_offer_and_a_closed_or_far_one_are_not_matched(
    services: Services, hub: LocalActor, scene: Scene, remote: RemoteServer
) -> None:
    await our_need(services, hub)
    stranger = remote.add_actor("elsewhere", actor_type="Group", host_index=1)
    await save(services, intent_of(f"{stranger.id}/s/1", stranger.id, "offer", "sleeping bags", 9))
    await their_offer(services, scene.tampa, 1, remaining=0)
    expired = intent_of(f"{scene.tampa.id}/statuses/2", scene.tampa.id, "offer", "sleeping bags",
                        9, until_at=time.time() - DAY)  # fmt: skip
    await save(services, expired)
    assert await resources.matches_of_hub(services.db, hub.id) == []


async def test_fulfilling_partly_then_wholly_closes_our_need_and_updates_go_out(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(services, scene.tampa, 1, remaining=80)
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
    assert [(t["state"], t["fulfilledQuantity"]) for t in told] == [
        ("accepted", 0), ("partly_fulfilled", 20), ("fulfilled", 50)
    ]
    assert all(t["offer"] == offer.uri for t in told)
    updates = [a for a in remote.received if a.activity["type"] == "Update"]
    assert {u.path for u in updates} == {"/inbox"}  # the follower's shared inbox
    assert len(updates) == 2
    assert all(u.activity["object"]["id"] == need.uri for u in updates)


async def test_another_hubs_match_is_not_found_here(
    services: Services, hub: LocalActor, scene: Scene
) -> None:
    await our_need(services, hub)
    await their_offer(services, scene.tampa, 1)
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
    need = await our_need(services, hub, remaining=40)
    offer = await their_offer(services, scene.tampa, 1, hook=False)  # they found it first
    await receive(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/1", need, offer, "proposed", 0),
                  scene.tampa)  # fmt: skip
    [match] = await resources.matches_of_hub(services.db, hub.id)
    assert (match.state, match.found_by) == ("proposed", "told")
    await receive(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/2", need, offer, "accepted", 0),
                  scene.tampa)  # fmt: skip
    await receive(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/3", need, offer,
                              "partly_fulfilled", 15), scene.tampa)  # fmt: skip
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.remaining == 25
    # A notice claiming more than is still needed moves nothing.
    await receive(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/4", need, offer, "fulfilled",
                              99), scene.tampa)  # fmt: skip
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.remaining == 25
    await receive(app_client, remote, hub,
                  notice_from(scene.tampa, f"{scene.tampa.id}/n/5", need, offer, "fulfilled",
                              40), scene.tampa)  # fmt: skip
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and (stored.remaining, stored.state) == (0, "closed")
    settled = await resources.match(services.db, match.id)
    assert settled is not None and (settled.state, settled.fulfilled_quantity) == ("fulfilled", 40)
    await deliver(app_client)
    assert len(sent_to(remote, scene.rosa)) == 4  # our remote organiser heard of each step
    updates = [r for r in remote.received if r.activity["type"] == "Update"]
    assert len(updates) == 2 and updates[-1].activity["object"]["id"] == need.uri


async def test_a_strangers_match_notice_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    scene: Scene,
) -> None:  # fmt: skip
    need = await our_need(services, hub)
    offer = await their_offer(services, scene.tampa, 1)
    [match] = await resources.matches_of_hub(services.db, hub.id)
    mallory = remote.add_actor("mallory", host_index=1)
    claim = notice_from(scene.tampa, f"{mallory.id}/n/1", need, offer, "fulfilled", 50, mallory)
    said = await service.notice_received(services, mallory.id, claim["object"])
    assert said == f"ignored: {mallory.id} is not the hub of {offer.uri}"
    await receive(app_client, remote, hub, claim, mallory)
    assert await resources.match(services.db, match.id) == match
    stored = await resources.intent(services.db, need.uri)
    assert stored is not None and stored.remaining == 50
    # A notice that names another need than the one it answers is refused too.
    wrong = notice_from(scene.tampa, f"{scene.tampa.id}/n/2", need, offer, "fulfilled", 50)
    wrong["object"]["match"]["need"] = f"{need.uri}0"
    said = await service.notice_received(services, scene.tampa.id, wrong["object"])
    assert said is not None and said.startswith("ignored: the match notice does not name")
    for bad in ({"state": "won"}, {"fulfilledQuantity": -1}, {"fulfilledQuantity": "all"},
                {"need": None}):  # fmt: skip
        hostile = notice_from(scene.tampa, f"{scene.tampa.id}/n/3", need, offer, "accepted", 0)
        hostile["object"]["match"].update(bad)
        with pytest.raises(BadRequest):
            await service.notice_received(services, scene.tampa.id, hostile["object"])
    assert await resources.match(services.db, match.id) == match


async def test_the_command_line_lists_and_settles_a_hubs_matches(
    services: Services, hub: LocalActor, scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    await our_need(services, hub)
    await their_offer(services, scene.tampa, 1)
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
    assert "warm sleeping bags ×50 <-> sleeping bags ×80" in line and scene.tampa.id in line
    assert await cli("fulfil", str(match.id), "--quantity", "0", "--as", "ana") == 1
    assert await cli("accept", str(match.id), "--as", "dee") == 1  # not an organiser of it
    assert await cli("accept", str(match.id + 1), "--as", "ana") == 1  # no such match
    assert await cli("fulfil", str(match.id), "--quantity", "50", "--as", "ana") == 0
    capsys.readouterr()
    assert await cli("list", "vancouver") == 0
    assert capsys.readouterr().out == "no matches\n"
    assert await cli("list", "vancouver", "--all") == 0
    line = capsys.readouterr().out
    assert "\tfulfilled 50 delivered\t" in line and "×0 (closed) <-> " in line
