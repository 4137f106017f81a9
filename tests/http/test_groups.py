"""Hubs as groups within one instance: joining by policy, roles and the moderators collection,
posts from members and non-members, forged re-shares, and the directory."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer

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
    forms = await services.db.fetchall(
        "SELECT json_type(document, '$.object') FROM outbox_activities WHERE type = 'Announce'"
    )
    assert sorted(r[0] for r in forms) == ["object", "object", "text"]  # 2 Creates, 1 boost


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
                    "content": "<p>the real words</p>"})  # fmt: skip
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
    await services.resolver.actor(elsewhere.id)  # met through a follow or a re-share
    page = json.loads(await (await app_client.get("/directory?format=json&q=%23tenants")).text())
    assert [x["handle"] for x in page["hubs"]] == [f"@housing@{services.config.domain}"]
    page = json.loads(await (await app_client.get("/directory?format=json&q=%23climate")).text())
    assert [x["name"] for x in page["hubs"]] == ["Climate"]
    page = json.loads(await (await app_client.get("/directory?format=json&q=relief")).text())
    assert [(x["name"], x["local"]) for x in page["hubs"]] == [("Relief", False)]
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
