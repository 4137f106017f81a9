"""Favourites and boosts of a hub's posts, as Mastodon sends them: counted once per account,
taken back by Undo, shown on the post's page and in its `likes`/`shares` totals."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import inbox_worker_key
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer
from tests.support.web import AP, HTML


async def handle(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass


async def test_favourites_and_boosts_are_counted_once_and_taken_back(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await create_hub(services.db, "climate", name="Climate")
    hub = await require_hub(services.db, "climate")
    post = await posts.publish(services, hub, None, "update", "Buses at noon.")
    gone = await posts.publish(services, hub, None, "update", "Wrong date.")
    await posts.delete(services, hub, gone.id)
    base = services.config.base_url
    post_url, gone_url = (f"{base}/hubs/climate/posts/{p.id}" for p in (post, gone))
    path = post_url.removeprefix(base)
    alice, bob = remote.add_actor("alice"), remote.add_actor("bob", host_index=1)

    def like(actor, n: int, target: str = post_url) -> dict:  # type: ignore[no-untyped-def]
        return {**load("mastodon-like"), "id": f"{actor.id}#likes/{n}", "actor": actor.id,
                "object": target}  # fmt: skip

    def boost(actor, n: int) -> dict:  # type: ignore[no-untyped-def]
        return {**load("mastodon-announce"), "id": f"{actor.id}/statuses/{n}/activity",
                "actor": actor.id, "object": post_url}  # fmt: skip

    sent = [(like(alice, 1), alice), (like(alice, 2), alice), (like(bob, 1), bob),
            (boost(alice, 7), alice), (like(bob, 3, gone_url), bob),
            (like(bob, 4, f"{remote.base_url(0)}/users/alice/statuses/5"), bob)]  # fmt: skip
    for activity, actor in sent:
        assert (await remote.post(f"{base}/inbox", activity, actor)).status == 202
    await handle(app_client)

    async def totals() -> tuple[int, int]:
        doc = await (await app_client.get(path, headers=AP)).json(content_type=None)
        return doc["likes"]["totalItems"], doc["shares"]["totalItems"]

    # alice's second favourite is the same favourite; the deleted post and others' are not ours.
    assert await totals() == (2, 1)
    page = await (await app_client.get(path, headers=HTML)).text()
    assert "2 favourites" in page and "1 boost" in page
    spanish = await app_client.get(path, headers={**HTML, "Accept-Language": "es"})
    assert "2 favoritos" in await spanish.text()

    undo_like = {"id": f"{alice.id}#likes/1/undo", "type": "Undo", "actor": alice.id,
                 "object": like(alice, 1)}  # fmt: skip
    undo_boost = {"id": f"{alice.id}/statuses/7/undo", "type": "Undo", "actor": alice.id,
                  "object": boost(alice, 7)}  # fmt: skip
    forged = {"id": f"{bob.id}#undo/9", "type": "Undo", "actor": bob.id,
              "object": like(alice, 1)}  # fmt: skip
    assert (await remote.post(f"{base}/inbox", forged, bob)).status == 202
    for undo in (undo_like, undo_boost):
        assert (await remote.post(f"{base}/inbox", undo, alice)).status == 202
    await handle(app_client)
    assert await totals() == (1, 0)  # bob's favourite stays: he could not undo alice's
    refused = await services.db.fetchval(
        "SELECT error FROM inbox_items WHERE activity_uri = ?", (forged["id"],)
    )
    assert "only undo its own" in refused
