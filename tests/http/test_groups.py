"""Hubs as groups within one instance: joining by policy, roles and the moderators collection,
posts from members and non-members, forged re-shares, and the directory."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.errors import NotFound
from fedihub.groups import membership, resharing
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "climate", name="Climate", summary="Strikes for the #climate")
    found = await store.get_actor(services.db, "group", "climate")
    assert found is not None
    return found


async def drain(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass
    while await app_client.app[delivery_worker_key].run_once():
        pass


def join(actor_uri: str, hub_uri: str, n: int = 1) -> dict:
    return {"id": f"{actor_uri}/join/{n}", "type": "Join", "actor": actor_uri, "object": hub_uri}


@pytest.mark.parametrize(("policy", "state", "answer"),
                         [("open", "member", "Accept"), ("approval", "pending", None),
                          ("invite", None, "Reject")])  # fmt: skip
async def test_joining_follows_the_hubs_policy(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    policy: str, state: str | None, answer: str | None,
) -> None:  # fmt: skip
    await groups.set_hub_settings(services.db, hub.id, join_policy=policy)
    sam = remote.add_actor("sam")
    hub_uri = hub.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", join(sam.id, hub_uri), sam)).status == 202
    await drain(app_client)
    member = await groups.member(services.db, hub.id, sam.id)
    assert (member.state if member else None) == state
    answers = [r.activity for r in remote.received_by("/users/sam/inbox")]
    assert [a["type"] for a in answers] == ([answer] if answer else [])
    if answers:
        assert answers[0]["object"] == join(sam.id, hub_uri)  # embedded, as Mobilizon expects


async def test_roles_fill_the_moderators_collection_and_go_out_as_add_and_remove(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    follower = remote.add_actor("alice", key="alice")
    hub_uri = hub.uri(services.config.base_url)
    names = {"https://mastodon.example/users/alice": follower.id,
             "https://mastodon.example": remote.base_url(),
             "https://fedihub.example/hubs/climate": hub_uri}  # fmt: skip
    follow = load("mastodon-follow", **names)
    assert (await remote.post(f"{hub_uri}/inbox", follow, follower)).ok
    await drain(app_client)
    sam = remote.add_actor("sam")
    await membership.set_member(services, hub, sam.id, role="moderator")
    page = await app_client.get("/hubs/climate/moderators?page=1", headers=AP)
    assert json.loads(await page.text())["orderedItems"] == [sam.id]
    await membership.set_member(services, hub, sam.id, role="member")
    await drain(app_client)
    changes = [(r.activity["type"], r.activity["object"], r.activity["target"])
               for r in remote.received if r.activity["type"] in ("Add", "Remove")]  # fmt: skip
    moderators = f"{hub_uri}/moderators"
    assert changes == [("Add", sam.id, moderators), ("Remove", sam.id, moderators)]
    actor = json.loads(await (await app_client.get("/hubs/climate", headers=AP)).text())
    assert actor["postingRestrictedToMods"] is False and actor["attributedTo"] == moderators


def mention(author, hub_uri: str, n: int, content: str = "<p>Hello</p>") -> dict:  # type: ignore[no-untyped-def]
    note = {"id": f"{author.id}/notes/{n}", "type": "Note", "attributedTo": author.id,
            "content": content, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [hub_uri], "tag": [{"type": "Mention", "href": hub_uri}]}  # fmt: skip
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": author.id, "object": note}


async def test_members_posts_are_reshared_and_others_wait_for_a_moderator(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await groups.set_hub_settings(services.db, hub.id, join_policy="approval",
                                  posting_restricted_to_mods=1)  # fmt: skip
    hub_uri = hub.uri(services.config.base_url)
    member, mod, stranger = (remote.add_actor(n) for n in ("mia", "max", "sid"))
    await membership.set_member(services, hub, member.id)
    await membership.set_member(services, hub, mod.id, role="moderator")
    for n, author in enumerate((member, mod, stranger)):
        assert (await remote.post(f"{hub_uri}/inbox", mention(author, hub_uri, n), author)).ok
    await drain(app_client)
    held = {(q.actor_uri, q.reason) for q in await groups.queued(services.db, hub.id)}
    assert held == {(member.id, "only moderators post here"), (stranger.id, "not a member")}
    shared = await services.db.fetchall("SELECT object_uri FROM reshares")
    assert [r[0] for r in shared] == [f"{mod.id}/notes/1"]
    # A member's reply in the moderator's thread is carried (to group-aware servers only).
    reply = mention(member, hub_uri, 9)
    reply["object"]["inReplyTo"] = f"{mod.id}/notes/1"
    assert (await remote.post(f"{hub_uri}/inbox", reply, member)).ok
    await drain(app_client)
    announced = [json.loads(r[0])["object"] for r in await services.db.fetchall(
        "SELECT document FROM outbox_activities WHERE type = 'Announce'")]  # fmt: skip
    forms = ["text" if isinstance(o, str) else "object" for o in announced]
    assert sorted(forms) == ["object", "object", "text"]  # 2 Creates, 1 boost


async def test_one_non_member_cannot_bury_the_moderation_queue(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await groups.set_hub_settings(services.db, hub.id, join_policy="approval")
    hub_uri = hub.uri(services.config.base_url)
    flooder, other = remote.add_actor("sid"), remote.add_actor("ona")
    limit = groups.MAX_WAITING_PER_ACTOR
    for n in range(limit + 5):
        assert (await remote.post(f"{hub_uri}/inbox", mention(flooder, hub_uri, n), flooder)).ok
    assert (await remote.post(f"{hub_uri}/inbox", mention(other, hub_uri, 1), other)).ok
    await drain(app_client)
    waiting = [q.actor_uri for q in await groups.queued(services.db, hub.id)]
    assert waiting.count(flooder.id) == limit and waiting.count(other.id) == 1
    handled = await services.db.fetchval("SELECT count(*) FROM inbox_items WHERE state = 'done'")
    assert handled == limit + 6  # every post was received, and kept in the inbox's record
    # Once a moderator decides on one, the next post from the same account is held again.
    first = (await groups.queued(services.db, hub.id))[0]
    await resharing.decide_queued(services, hub, first.id, approve=False)
    more = mention(flooder, hub_uri, 99)
    assert (await remote.post(f"{hub_uri}/inbox", more, flooder)).ok
    await drain(app_client)
    assert f"{flooder.id}/notes/99" in {
        q.object_uri for q in await groups.queued(services.db, hub.id)
    }

    # Many accounts on one server share a cap of their own.
    before = len(await groups.queued(services.db, hub.id))  # 21: all from host 0
    crowd = [remote.add_actor(f"c{n}", host_index=1) for n in range(6)]
    for n in range(groups.MAX_WAITING_PER_SERVER + 5):
        author = crowd[n % len(crowd)]
        assert (await remote.post(f"{hub_uri}/inbox", mention(author, hub_uri, n), author)).ok
    await drain(app_client)
    assert len(await groups.queued(services.db, hub.id)) - before == groups.MAX_WAITING_PER_SERVER

    # A member's posts held on a moderators-only hub are never capped: none is dropped.
    await groups.set_hub_settings(services.db, hub.id, posting_restricted_to_mods=1)
    member = remote.add_actor("mia", host_index=1)
    await membership.set_member(services, hub, member.id)
    for n in range(limit + 2):
        assert (await remote.post(f"{hub_uri}/inbox", mention(member, hub_uri, n), member)).ok
    await drain(app_client)
    held = [q for q in await groups.queued(services.db, hub.id) if q.actor_uri == member.id]
    assert len(held) == limit + 2


async def test_a_forged_reshare_is_checked_against_the_original(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await groups.set_hub_settings(services.db, hub.id, reshare_policy="all")
    lemmy = remote.add_actor("labor", actor_type="Group")
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, lemmy.id)
    )
    victim = f"{remote.base_url(1)}/notes/1"  # on another host, posted by someone else
    remote.publish({"id": victim, "type": "Note", "attributedTo": f"{remote.base_url(1)}/users/v",
                    "content": "<p>the real words</p>", "to": [PUBLIC]})  # fmt: skip
    names = {"https://lemmy.example/c/labor": lemmy.id, "https://lemmy.example": remote.base_url()}
    announce = load("lemmy-announce-create-page", **names)
    announce["object"]["object"] = {"id": victim, "type": "Note", "content": "<p>forged</p>",
                                    "attributedTo": f"{remote.base_url(1)}/users/v"}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/inbox", announce, lemmy)).ok
    await drain(app_client)
    stored = await services.db.fetchval(
        "SELECT document FROM received_objects WHERE uri = ?", (victim,)
    )
    assert "the real words" in stored and "forged" not in stored
    # And the pure check itself: an original whose author sits elsewhere is refused.
    remote.publish({"id": f"{remote.base_url(1)}/notes/2", "type": "Note",
                    "attributedTo": "https://elsewhere.example/u"})  # fmt: skip
    from fedihub.errors import OriginError
    from fedihub.groups.resharing import fetch_original

    with pytest.raises(OriginError):
        await fetch_original(services, f"{remote.base_url(1)}/notes/2")


async def test_the_directory_finds_hubs_here_and_elsewhere_by_name_and_hashtag(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await create_hub(services.db, "housing", name="Housing justice", summary="Tenants unite")
    housing = await store.get_actor(services.db, "group", "housing")
    assert housing is not None
    await posts.publish(services, housing, None, "update", "Rent strike #tenants")
    elsewhere = remote.add_actor("relief", actor_type="Group")
    await services.resolver.actor(elsewhere.id)
    await services.db.execute(  # met through a follow
        "INSERT INTO following VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, elsewhere.id)
    )
    stranger = remote.add_actor("spam", actor_type="Group")
    await services.resolver.actor(stranger.id)  # only signed a request to us: not listed
    page = json.loads(await (await app_client.get("/directory?format=json&q=%23tenants")).text())
    assert [x["handle"] for x in page["hubs"]] == [f"@housing@{services.config.domain}"]
    page = json.loads(await (await app_client.get("/directory?format=json&q=%23climate")).text())
    assert [x["name"] for x in page["hubs"]] == ["Climate"]
    page = json.loads(await (await app_client.get("/directory?format=json&q=relief")).text())
    assert [(x["name"], x["local"]) for x in page["hubs"]] == [("Relief", False)]
    page = json.loads(await (await app_client.get("/directory?format=json&q=spam")).text())
    assert page["hubs"] == []
    everything = await app_client.get("/directory", headers={"Accept": "text/html"})
    text = await everything.text()
    assert "Housing justice" in text and "Relief" in text and "elsewhere" in text


async def test_edits_and_deletes_of_a_reshared_post_follow_it(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    mia = remote.add_actor("mia")
    follower = remote.add_actor("fay", host_index=1)
    await membership.set_member(services, hub, mia.id)
    await services.resolver.actor(follower.id)
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, follower.id)
    )
    create = mention(mia, hub_uri, 1)
    assert (await remote.post(f"{hub_uri}/inbox", create, mia)).ok
    await drain(app_client)
    edited = {
        **create["object"],
        "content": "<p>Hello, edited</p>",
        "updated": "2026-11-24T00:00:00Z",
    }
    update = {"id": f"{mia.id}/u/1", "type": "Update", "actor": mia.id, "object": edited}
    delete = {"id": f"{mia.id}/d/1", "type": "Delete", "actor": mia.id,
              "object": {"id": edited["id"], "type": "Tombstone"}}  # fmt: skip
    for activity in (update, delete):
        assert (await remote.post(f"{hub_uri}/inbox", activity, mia)).ok
        await drain(app_client)
    passed = [r.activity["object"] for r in remote.received_by("/inbox")
              if r.path == "/inbox" and r.activity["type"] == "Announce"
              and isinstance(r.activity["object"], dict)]  # fmt: skip
    assert [(a["type"], a["id"]) for a in passed] == [
        ("Create", create["id"]), ("Update", update["id"]), ("Delete", delete["id"])
    ]  # fmt: skip
    # Mastodon ignores an Announce of a Delete: the hub takes its boost back instead, once.
    again = {**delete, "id": f"{mia.id}/d/2"}
    assert (await remote.post(f"{hub_uri}/inbox", again, mia)).ok
    await drain(app_client)
    to_follower = [r.activity for r in remote.received_by("/inbox") if r.path == "/inbox"]
    (boost,) = [a for a in to_follower if a["type"] == "Announce" and a["object"] == edited["id"]]
    (undo,) = [a for a in to_follower if a["type"] == "Undo"]
    assert undo["actor"] == hub_uri and undo["object"] == {
        "id": boost["id"], "type": "Announce", "actor": hub_uri, "object": edited["id"]
    }  # fmt: skip
    assert PUBLIC in undo["to"] and f"{hub_uri}/followers" in undo["cc"]


async def test_only_public_posts_are_reshared_and_the_queue_is_moderated(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await groups.set_hub_settings(services.db, hub.id, posting_restricted_to_mods=1)
    hub_uri = hub.uri(services.config.base_url)
    mia, sid = remote.add_actor("mia"), remote.add_actor("sid")
    await membership.set_member(services, hub, mia.id)
    direct = mention(mia, hub_uri, 1)
    direct["object"]["to"] = [hub_uri]  # a direct message to the hub
    disguised = mention(mia, hub_uri, 2)  # a top-level post pretending to be a reply
    disguised["object"]["inReplyTo"] = "https://nowhere.example/x"
    stranger_reply = mention(sid, hub_uri, 3)
    stranger_reply["object"]["inReplyTo"] = f"{hub_uri}/posts/1"
    held = mention(sid, hub_uri, 4)
    deleted_while_held = mention(sid, hub_uri, 5)
    for activity, author in ((direct, mia), (disguised, mia), (stranger_reply, sid),
                             (held, sid), (deleted_while_held, sid)):  # fmt: skip
        assert (await remote.post(f"{hub_uri}/inbox", activity, author)).ok
    delete = {"id": f"{sid.id}/d/5", "type": "Delete", "actor": sid.id,
              "object": deleted_while_held["object"]["id"]}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", delete, sid)).ok
    await drain(app_client)
    assert await services.db.fetchval("SELECT count(*) FROM reshares") == 0
    queue = {q.object_uri: q for q in await groups.queued(services.db, hub.id)}
    assert set(queue) == {disguised["object"]["id"], held["object"]["id"]}
    waiting = queue[held["object"]["id"]]
    await resharing.decide_queued(services, hub, waiting.id, approve=True)
    assert await services.db.fetchval("SELECT object_uri FROM reshares") == waiting.object_uri
    withdrawn = await services.db.fetchval(
        "SELECT id FROM moderation_queue WHERE state = 'withdrawn'"
    )
    with pytest.raises(NotFound):
        await resharing.decide_queued(services, hub, withdrawn, approve=True)


async def test_an_invited_moderator_joins_and_leaving_an_open_hub_unfollows(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    await groups.set_hub_settings(services.db, hub.id, join_policy="invite")
    max_ = remote.add_actor("max")
    await membership.set_member(services, hub, max_.id, role="moderator", invite=True)
    assert await membership.moderators(services, hub) == []  # invited, not yet a member
    assert (await remote.post(f"{hub_uri}/inbox", join(max_.id, hub_uri), max_)).ok
    await drain(app_client)
    assert await membership.moderators(services, hub) == [max_.id]
    await groups.set_hub_settings(services.db, hub.id, join_policy="open")
    open_hub = await store.get_actor(services.db, "group", "climate")
    assert open_hub is not None
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, f"{max_.id}x")
    )
    assert await membership.is_member(services, open_hub, f"{max_.id}x")
    assert await membership.left(services, open_hub, f"{max_.id}x")
    assert not await membership.is_member(services, open_hub, f"{max_.id}x")


async def test_another_actors_update_of_a_reshared_post_is_not_passed_on(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    mia, mallory = remote.add_actor("mia"), remote.add_actor("mallory", key="mallory")
    await membership.set_member(services, hub, mia.id)
    create = mention(mia, hub_uri, 1)
    assert (await remote.post(f"{hub_uri}/inbox", create, mia)).ok
    await drain(app_client)
    forged = {**create["object"], "attributedTo": mallory.id, "content": "<p>changed</p>"}
    update = {"id": f"{mallory.id}/u/1", "type": "Update", "actor": mallory.id, "object": forged}
    await remote.post(f"{hub_uri}/inbox", update, mallory)
    await drain(app_client)
    announced = [json.loads(r[0])["object"] for r in await services.db.fetchall(
        "SELECT document FROM outbox_activities WHERE type = 'Announce'")]  # fmt: skip
    assert [o for o in announced if isinstance(o, dict) and o.get("type") == "Update"] == []


async def test_a_feeds_archive_does_not_flood_in_and_its_text_addresses_nobody(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    from aiohttp import web

    from fedihub.webfeeds.service import poll_due
    from tests.support.network import free_port

    def entry(n: int) -> str:
        return (f"<item><guid>e{n}</guid><title>Entry {n}</title><link>https://s.example/{n}</link>"
                f"<pubDate>0{n} Nov 2026 10:00:00 GMT</pubDate>"
                f"<description>Ask @someone@unreachable.invalid</description></item>")  # fmt: skip

    body = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Site</title>"
            + "".join(entry(n) for n in range(8, 0, -1)) + "</channel></rss>")  # fmt: skip

    async def feed(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/rss+xml")

    site = web.Application()
    site.router.add_get("/rss", feed)
    runner = web.AppRunner(site, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        from fedihub.webfeeds.service import add_feed

        await add_feed(services, hub, f"http://127.0.0.1:{port}/rss")
        assert await poll_due(services, time.time()) == 5
        assert await poll_due(services, time.time() + 3600) == 0  # the older three were marked
    finally:
        await runner.cleanup()
    titles = [r[0] for r in await services.db.fetchall("SELECT title FROM posts ORDER BY id")]
    assert titles == [f"Entry {n}" for n in range(4, 9)]
    assert await services.db.fetchval("SELECT count(*) FROM feed_items") == 8
    fields = [json.loads(r[0]) for r in await services.db.fetchall("SELECT fields FROM posts")]
    assert [f for f in fields if f.get("mentions") is not None] == []
