"""A followed newswire's items against forgery and floods: only their author (or the newswire
whose Note it is) takes one back; a blocked author's post never comes in through a newswire we
follow and a silenced one's waits for an editor; what a followed newswire publishes is not
lost to the spam limits; a boost carrying the post inline is taken like one by id (the post
fetched from its own server)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import require_account
from fedihub.activitystreams import PUBLIC
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.blocking import service as blocking
from fedihub.newswire import store
from fedihub.services import Services
from tests.http.test_newswire_intake import (
    AS,
    announce,
    create,
    followed_by_alice,
    following,
    post_by,
    step,
)
from tests.support.remote import RemoteServer


async def test_only_the_author_takes_back_a_shared_item_not_another_account_on_its_server(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await followed_by_alice(app_client, remote, services)
    theirs, _ = await following(app_client, services, remote)
    carol = remote.add_actor("carol", host_index=1)
    mallory = remote.add_actor("mallory", host_index=1)
    wanted = post_by(carol, 1, services)
    remote.publish(wanted)
    await announce(remote, services, theirs, wanted["id"], 1)
    await step(app_client)
    (_item,) = await store.published(services.db)
    delete = {
        "@context": AS,
        "type": "Delete",
        "id": f"{mallory.id}#del",
        "actor": mallory.id,
        "object": wanted["id"],
        "to": [PUBLIC],
    }
    assert (await remote.post(f"{services.config.base_url}/inbox", delete, mallory)).status == 202
    await step(app_client)
    after = await store.item_for_object(services.db, wanted["id"])
    assert after.state == "published"


async def test_a_blocked_authors_post_never_comes_in_through_a_followed_newswire(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await followed_by_alice(app_client, remote, services)
    theirs, _ = await following(app_client, services, remote)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    carol = remote.add_actor("carol", host_index=1)
    await blocking.block_actor(services, root, carol.id, "block", reason="Harassment")
    wanted = post_by(carol, 1, services)
    remote.publish(wanted)
    await announce(remote, services, theirs, wanted["id"], 1)
    await step(app_client)
    items = await store.published(services.db)
    assert items == []


async def test_a_silenced_authors_post_through_a_followed_newswire_waits_for_an_editor(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await followed_by_alice(app_client, remote, services)
    theirs, _ = await following(app_client, services, remote)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    carol = remote.add_actor("carol", host_index=1)
    await blocking.block_actor(services, root, carol.id, "silence", reason="Spam")
    wanted = post_by(carol, 1, services)
    remote.publish(wanted)
    await announce(remote, services, theirs, wanted["id"], 1)
    await step(app_client)
    items = await store.published(services.db)
    assert items == []


async def test_a_followed_newswires_notes_are_not_lost_to_the_spam_limits(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    theirs, _ = await following(app_client, services, remote)
    for n in range(8):
        note = {
            "id": f"{theirs.id}/items/{n}",
            "type": "Note",
            "attributedTo": theirs.id,
            "name": f"Item {n}",
            "content": f"<p>Item {n}</p>",
            "to": [PUBLIC],
            "cc": [f"{theirs.id}/followers"],
        }
        assert await create(remote, theirs, note, f"{services.config.base_url}/inbox") == 202
    for _ in range(3):
        await step(app_client)
    got = await store.published(services.db, limit=100) + await store.queued(services.db)
    assert len(got) == 8


async def test_a_boost_carrying_the_post_inline_is_taken_like_one_by_id(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    theirs, _ = await following(app_client, services, remote)
    carol = remote.add_actor("carol", host_index=1)
    wanted = post_by(carol, 1, services)
    remote.publish(wanted)
    await announce(remote, services, theirs, wanted, 1)  # embedded object, as Pleroma/Akkoma may
    await step(app_client)
    got = await store.published(services.db)
    assert len(got) == 1
