"""Submissions from the fediverse and from hubs, and a followed newswire's items, through real
HTTP: a Mastodon-shaped remote's posts mentioning @newswire (queued the first time, announced
at once under `newswire_review = none`; replies, non-public posts and floods turned away; a link
to a private address never fetched), a hub's post sent from the compose form, and another
instance's newswire that ours follows (its boosts passed on by tag, fetched from their own
server, never twice, never our own; a forged boost from a newswire we do not follow ignored;
an Undo or a Delete takes our item back)."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.activitystreams import PUBLIC
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.blocking import service as blocking
from fedihub.newswire import store
from fedihub.newswire.editors import editor
from fedihub.newswire.sharing import service as sharing
from fedihub.services import Services
from tests.support.remote import RemoteActor, RemoteServer
from tests.support.web import HTML, form_token, sign_in

AS = "https://www.w3.org/ns/activitystreams"


def review(services: Services, value: str) -> None:
    services.config = dataclasses.replace(services.config, newswire_review=value)


async def step(app_client: TestClient) -> None:
    for _ in range(3):
        await app_client.app[inbox_worker_key].run_once()
        await app_client.app[delivery_worker_key].run_once()


async def followed_by_alice(app_client: TestClient, remote: RemoteServer, services: Services):
    newswire = f"{services.config.base_url}/newswire"
    alice = remote.add_actor("alice")
    follow = {"@context": AS, "type": "Follow", "id": f"{alice.id}#follow", "actor": alice.id,
              "object": newswire}  # fmt: skip
    assert (await remote.post(f"{newswire}/inbox", follow, alice)).status == 202
    await step(app_client)
    return alice


def to_alice(remote: RemoteServer, alice: RemoteActor) -> list[dict[str, Any]]:
    """What the newswire sent its followers (alice, the only one): not its Accept or Follow."""
    return [r.activity for r in remote.received
            if r.activity["type"] not in ("Accept", "Follow")]  # fmt: skip


def post_by(actor: RemoteActor, n: int, services: Services, **changes: Any) -> dict[str, Any]:
    newswire = f"{services.config.base_url}/newswire"
    obj = {"id": f"{actor.id}/statuses/{n}", "type": "Note", "attributedTo": actor.id,
           "to": [PUBLIC], "cc": [f"{actor.id}/followers"], "inReplyTo": None,
           "content": f'<p><span class="h-card"><a href="{newswire}" class="u-url mention">'
                      f"@<span>newswire</span></a></span> Rent strike number {n} won. "
                      '<a href="https://news.example/strike">news</a></p>',
           "tag": [{"type": "Mention", "href": newswire, "name": "@newswire"},
                   {"type": "Hashtag", "href": "https://m.example/tags/housing",
                    "name": "#housing"}]}  # fmt: skip
    obj.update(changes)
    return obj


async def create(remote: RemoteServer, actor: RemoteActor, obj: dict[str, Any], inbox: str) -> int:
    activity = {"@context": AS, "type": "Create", "id": f"{obj['id']}/activity",
                "actor": actor.id, "to": obj["to"], "cc": obj["cc"], "object": obj}  # fmt: skip
    return (await remote.post(inbox, activity, actor)).status


async def test_a_mention_waits_for_an_editor_the_first_time(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = await followed_by_alice(app_client, remote, services)
    bob = remote.add_actor("bob", host_index=1)
    inbox = f"{services.config.base_url}/newswire/inbox"
    obj = post_by(bob, 1, services, content='<p><a href="x" class="mention">@newswire</a> Camp '
                  "<script>alert(1)</script><b>needs</b> tents. More soon.</p>")  # fmt: skip
    assert await create(remote, bob, obj, inbox) == 202
    await step(app_client)
    (item,) = await store.queued(services.db)
    assert item.origin == "fediverse" and item.headline == "Camp needs tents."
    assert item.summary == "Camp needs tents. More soon." and item.tags == ("housing",)
    assert item.submitter_uri == bob.id and item.object_uri == obj["id"]
    assert to_alice(remote, alice) == []  # nothing goes out before an editor approves


async def test_with_review_none_a_mention_is_announced_at_once(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    review(services, "none")
    alice = await followed_by_alice(app_client, remote, services)
    bob = remote.add_actor("bob", host_index=1)
    obj = post_by(bob, 1, services)
    assert await create(remote, bob, obj, f"{services.config.base_url}/inbox") == 202
    await step(app_client)
    (boost,) = to_alice(remote, alice)
    assert boost["type"] == "Announce" and boost["object"] == obj["id"]
    assert boost["actor"] == f"{services.config.base_url}/newswire"
    item = await store.item_for_object(services.db, obj["id"])
    assert item is not None and item.link == "https://news.example/strike"
    # Its author deletes the post: the item is unpublished and the boost undone.
    delete = {"@context": AS, "type": "Delete", "id": f"{obj['id']}#delete", "actor": bob.id,
              "object": {"id": obj["id"], "type": "Tombstone"}, "to": [PUBLIC]}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/inbox", delete, bob)).status == 202
    await step(app_client)
    item = await store.item_for_object(services.db, obj["id"])
    assert item is not None and item.state == "unpublished"
    assert [a["type"] for a in to_alice(remote, alice)] == ["Announce", "Undo"]


async def test_replies_and_non_public_mentions_are_no_submissions(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    review(services, "none")
    bob = remote.add_actor("bob", host_index=1)
    inbox = f"{services.config.base_url}/newswire/inbox"
    reply = post_by(bob, 1, services, inReplyTo="https://m.example/statuses/9")
    direct = post_by(bob, 2, services, to=[f"{services.config.base_url}/newswire"], cc=[])
    followers_only = post_by(bob, 3, services, to=[f"{bob.id}/followers"], cc=[])
    for obj in (reply, direct, followers_only):
        assert await create(remote, bob, obj, inbox) == 202
    await step(app_client)
    assert await store.published(services.db) == [] and await store.queued(services.db) == []


async def test_a_flood_from_one_host_stops_at_thirty_an_hour(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    inbox = f"{services.config.base_url}/newswire/inbox"
    for n in range(34):
        sender = remote.add_actor(f"spam{n}", host_index=1)
        assert await create(remote, sender, post_by(sender, n, services), inbox) == 202
    for _ in range(4):
        await step(app_client)
    assert len(await store.queued(services.db, limit=1000)) == 30


async def test_a_link_to_a_private_address_is_kept_as_text_and_never_fetched(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    review(services, "none")
    bob = remote.add_actor("bob", host_index=1)
    private = f"{remote.base_url(0)}/private/secret"  # loopback: a private address
    obj = post_by(
        bob,
        1,
        services,
        content=f'<p>Strike <a href="{private}">here</a></p>',
        attachment=[{"type": "Link", "href": f"{remote.base_url(0)}/private/other"}],
    )
    assert await create(remote, bob, obj, f"{services.config.base_url}/newswire/inbox") == 202
    await step(app_client)
    item = await store.item_for_object(services.db, obj["id"])
    assert item is not None and item.link == private
    assert [url for url in remote.fetched if "/private/" in url] == []


async def test_a_hub_post_sent_from_the_compose_form_is_announced(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = await followed_by_alice(app_client, remote, services)
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/compose", headers=HTML)).text()
    assert 'name="newswire"' in page
    token = await form_token(app_client, "/hubs/climate/compose")
    for title, ticked in (("Not news", False), ("Buses at noon", True)):
        data = FormData()
        for key, value in (("csrf", token), ("kind", "update"), ("title", title),
                           ("body", "Buses leave at noon. #climate")):  # fmt: skip
            data.add_field(key, value)
        if ticked:
            data.add_field("newswire", "yes")
        resp = await app_client.post("/hubs/climate/compose", data=data, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        assert resp.status == 303, await resp.text()
    await step(app_client)
    (item,) = await store.published(services.db)  # published at once: our hubs are trusted
    hub_uri = f"{services.config.base_url}/hubs/climate"
    assert item.origin == "hub" and item.headline == "Buses at noon"
    assert item.hub_uri == hub_uri and item.hub_name == "Climate" and item.tags == ("climate",)
    (boost,) = to_alice(remote, alice)
    assert boost["type"] == "Announce" and boost["object"] == item.object_uri
    assert item.object_uri.startswith(f"{hub_uri}/posts/")


async def following(
    app_client: TestClient, services: Services, remote: RemoteServer, tags: str = ""
) -> tuple[RemoteActor, Moderator]:
    """Our newswire follows a remote newswire, which accepts."""
    await create_account(services.db, "root", "correct horse", is_admin=True)
    root = await editor(services, await require_account(services.db, "root"))
    theirs = remote.add_actor("newswire", actor_type="Service")
    share = await sharing.follow(services, root, theirs.id, tags=tags)
    assert share.state == "pending"
    await step(app_client)
    (follow,) = [r.activity for r in remote.received if r.activity["type"] == "Follow"]
    accept = {"@context": AS, "type": "Accept", "id": f"{theirs.id}#accept", "actor": theirs.id,
              "object": follow}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/newswire/inbox", accept,
                              theirs)).status == 202  # fmt: skip
    await step(app_client)
    (share,) = await sharing.shares(services)
    assert share.state == "accepted" and share.tags == tuple(t for t in tags.split(",") if t)
    return theirs, root


async def announce(
    remote: RemoteServer, services: Services, booster: RemoteActor, obj: Any, n: int
) -> None:
    activity = {"@context": AS, "type": "Announce", "id": f"{booster.id}/boosts/{n}",
                "actor": booster.id, "to": [PUBLIC], "object": obj}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/inbox", activity,
                              booster)).status == 202  # fmt: skip


async def test_a_followed_newswires_boosts_are_passed_on_once_by_tag(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = await followed_by_alice(app_client, remote, services)
    theirs, _ = await following(app_client, services, remote, tags="housing")
    carol = remote.add_actor("carol", host_index=1)
    wanted = post_by(carol, 1, services)  # #housing
    other = post_by(carol, 2, services)
    other["tag"] = [other["tag"][0], {"type": "Hashtag", "name": "#Football"}]
    remote.publish(wanted)
    remote.publish(other)
    # The embedded copy is the booster's claim: the original is fetched from its own server.
    forged = {**wanted, "content": "<p>Forged words</p>"}
    await announce(remote, services, theirs, forged, 1)
    await announce(remote, services, theirs, other["id"], 2)
    await announce(remote, services, theirs, wanted["id"], 3)  # again: no duplicate
    await step(app_client)
    (item,) = await store.published(services.db)
    assert item.origin == "shared" and item.via_uri == theirs.id
    assert item.object_uri == wanted["id"] and item.headline == "Rent strike number 1 won."
    assert [(a["type"], a["object"]) for a in to_alice(remote, alice)] == [
        ("Announce", wanted["id"])
    ]
    # Our own object coming back is not taken again, nor anything from a newswire we do not
    # follow (a forged boost).
    stranger = remote.add_actor("nobody", host_index=1, actor_type="Service")
    remote.publish(post_by(carol, 3, services))
    await announce(remote, services, stranger, f"{carol.id}/statuses/3", 4)
    await announce(remote, services, theirs, f"{services.config.base_url}/newswire/items/1", 5)
    await step(app_client)
    assert len(await store.published(services.db)) == 1
    # The newswire undoes its boost: our item is unpublished and our boost undone.
    undo = {"@context": AS, "type": "Undo", "id": f"{theirs.id}/boosts/3#undo",
            "actor": theirs.id, "object": {"id": f"{theirs.id}/boosts/3", "type": "Announce",
                                           "actor": theirs.id, "object": wanted["id"]}}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/inbox", undo, theirs)).status == 202
    await step(app_client)
    gone = await store.item_for_object(services.db, wanted["id"])
    assert gone is not None and gone.state == "unpublished"
    assert [a["type"] for a in to_alice(remote, alice)] == ["Announce", "Undo"]


async def test_a_followed_newswires_own_note_is_passed_on(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = await followed_by_alice(app_client, remote, services)
    theirs, _ = await following(app_client, services, remote)
    note = {"id": f"{theirs.id}/items/7", "type": "Note", "attributedTo": theirs.id,
            "name": "Tenants <b>win</b>", "content": "<p><strong>Tenants win</strong></p>",
            "contentMap": {"es": "<p>…</p>"}, "to": [PUBLIC], "cc": [f"{theirs.id}/followers"],
            "tag": [{"type": "Hashtag", "name": "#housing"}]}  # fmt: skip
    assert await create(remote, theirs, note, f"{services.config.base_url}/inbox") == 202
    await step(app_client)
    (item,) = await store.published(services.db)
    assert item.headline == "Tenants win" and item.language == "es" and item.origin == "shared"
    (boost,) = to_alice(remote, alice)
    assert boost["type"] == "Announce" and boost["object"] == note["id"]


async def test_a_silenced_sender_always_waits_for_an_editor(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    review(services, "none")
    await create_account(services.db, "root", "correct horse", is_admin=True)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    bob = remote.add_actor("bob", host_index=1)
    await blocking.block_actor(services, root, bob.id, "silence", reason="Spam")
    obj = post_by(bob, 1, services)
    assert await create(remote, bob, obj, f"{services.config.base_url}/newswire/inbox") == 202
    await step(app_client)
    (item,) = await store.queued(services.db)
    assert item.object_uri == obj["id"]


async def test_editors_follow_and_unfollow_a_newswire_at_the_sharing_page(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    theirs = remote.add_actor("newswire", actor_type="Service")
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    assert await sign_in(app_client, "ana") == 303
    assert (await app_client.get("/newswire/sharing", headers=HTML)).status == 403  # no editor
    await create_account(services.db, "root", "correct horse", is_admin=True)
    assert await sign_in(app_client, "root") == 303
    token = await form_token(app_client, "/newswire/sharing")
    typed = {"csrf": token, "newswire": "ftp://nowhere", "tags": "housing, climate",
             "languages": "es"}  # fmt: skip
    resp = await app_client.post("/newswire/sharing/follow", data=typed, headers=HTML)
    page = await resp.text()
    assert resp.status >= 400 and 'value="housing, climate"' in page  # kept on error
    typed["newswire"] = theirs.id
    resp = await app_client.post("/newswire/sharing/follow", data=typed, headers=HTML,
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    (share,) = await sharing.shares(services)
    assert share.tags == ("housing", "climate") and share.languages == ("es",)
    page = await (await app_client.get("/newswire/sharing", headers=HTML)).text()
    assert theirs.id in page and "housing, climate" in page
    resp = await app_client.post("/newswire/sharing/unfollow", headers=HTML,
                                 data={"csrf": token, "newswire": theirs.id},
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and await sharing.shares(services) == []
    await step(app_client)
    assert [r.activity["type"] for r in remote.received] == ["Follow", "Undo"]


async def test_a_hub_posts_front_matter_can_send_it_to_the_newswire(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/climate/compose")
    for text in ("---\nnewswire: false\n---\nQuiet news", "---\nnewswire: true\n---\nBig news"):
        data = {"csrf": token, "kind": "update", "mode": "file", "text": text}
        resp = await app_client.post("/hubs/climate/compose", data=data, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        assert resp.status == 303, await resp.text()
    (item,) = await store.published(services.db)
    assert item.origin == "hub" and item.headline == "Big news"


async def test_a_mention_in_a_post_claiming_another_author_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    review(services, "none")
    bob, carol = remote.add_actor("bob", host_index=1), remote.add_actor("carol", host_index=1)
    obj = post_by(carol, 1, services)  # carol's words, sent by bob
    assert await create(remote, bob, obj, f"{services.config.base_url}/newswire/inbox") >= 400
    await step(app_client)
    assert await store.item_for_object(services.db, obj["id"]) is None
