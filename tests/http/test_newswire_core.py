"""The newswire's core within one instance, through real HTTP and a Mastodon-shaped remote: the
@newswire actor is found by WebFinger and followed like a hub; a web submission goes out as the
newswire's own Note at once; a first-time remote submitter's item waits for an editor, whose
approval trusts them; an editor's unpublish sends the Delete (or Undo) and is logged."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.errors import NotFound, TooManyRequests
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation import log
from fedihub.newswire import service, store
from fedihub.newswire.editors import editor
from fedihub.newswire.fields import read_form
from fedihub.newswire.model import Submission
from fedihub.services import Services
from tests.support.remote import RemoteServer
from tests.support.web import AP


async def followed_by_alice(app_client: TestClient, remote: RemoteServer, services: Services):
    newswire = f"{services.config.base_url}/newswire"
    alice = remote.add_actor("alice")
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
              "id": f"{alice.id}#follow", "actor": alice.id, "object": newswire}  # fmt: skip
    assert (await remote.post(f"{newswire}/inbox", follow, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    await app_client.app[delivery_worker_key].run_once()
    assert [r.activity["type"] for r in remote.received] == ["Accept"]
    return alice


async def delivered(app_client: TestClient, remote: RemoteServer) -> list[dict[str, Any]]:
    await app_client.app[delivery_worker_key].run_once()
    return [r.activity for r in remote.received][1:]  # after the Accept


async def test_the_newswire_is_a_service_actor_found_by_webfinger(
    app_client: TestClient, services: Services
) -> None:
    resp = await app_client.get("/newswire", headers=AP)
    doc = await resp.json(content_type=None)
    assert resp.status == 200 and doc["type"] == "Service"
    assert doc["id"] == f"{services.config.base_url}/newswire"
    assert doc["inbox"] == f"{services.config.base_url}/newswire/inbox"
    host = services.config.host
    resp = await app_client.get(f"/.well-known/webfinger?resource=acct:newswire@{host}")
    finger = await resp.json(content_type=None)
    assert any(link.get("href") == doc["id"] for link in finger["links"])


async def test_a_web_submission_reaches_a_follower_as_the_newswires_note(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await followed_by_alice(app_client, remote, services)
    services.config = services.config.__class__(**{**services.config.__dict__,
                                                   "newswire_review": "none"})  # fmt: skip
    form = {"headline": "Rent strike <b>wins</b>", "summary": "Tenants won.\n\n<script>x</script>",
            "link": "https://news.example/strike", "tags": "#Housing rent", "place": "Leeds",
            "contact": "me@example.org"}  # fmt: skip
    item = await service.submit(services, read_form(form))
    assert item.state == "published", item
    assert item.tags == ("housing", "rent")
    (create,) = await delivered(app_client, remote)
    note = create["object"]
    assert create["type"] == "Create" and note["id"] == item.object_uri
    assert "<b>" not in note["content"] and "&lt;script&gt;" in note["content"]
    assert "me@example.org" not in str(create)  # the contact stays with the editors
    resp = await app_client.get(item.object_uri.removeprefix(services.config.base_url),
                                headers=AP)  # fmt: skip
    assert (await resp.json(content_type=None))["id"] == item.object_uri


async def test_a_first_time_remote_submitter_waits_and_an_approval_trusts_them(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = await followed_by_alice(app_client, remote, services)
    await create_account(services.db, "root", "correct horse", is_admin=True)
    root = await editor(services, await require_account(services.db, "root"))
    first = Submission(origin="fediverse", headline="Camp needs tents", submitter_uri=alice.id,
                       source_host="remote", object_uri=f"{alice.id}/statuses/1")  # fmt: skip
    item = await service.submit(services, first)
    assert item.state == "queued" and await delivered(app_client, remote) == []
    assert (await service.submit(services, first)).id == item.id  # no duplicate
    await service.approve(services, root, item.id)
    (boost,) = await delivered(app_client, remote)
    assert boost["type"] == "Announce" and boost["object"] == first.object_uri
    second = Submission(origin="fediverse", headline="Tents arrived", submitter_uri=alice.id,
                        source_host="remote", object_uri=f"{alice.id}/statuses/2")  # fmt: skip
    assert (await service.submit(services, second)).state == "published"  # trusted now
    with pytest.raises(NotFound):
        await service.approve(services, root, item.id)  # decided already
    taken = await service.unpublish(services, root, item.id, "spam", "")
    assert taken.state == "unpublished"
    (undo,) = [a for a in await delivered(app_client, remote) if a["type"] == "Undo"]
    assert taken.activity_uri is not None and undo["object"]["id"] == taken.activity_uri
    (entry, *_) = await log.recent(services.db, None)
    assert entry.action == "unpublish_news" and entry.reason == "spam"


async def test_one_submitter_is_held_to_five_an_hour(services: Services) -> None:
    for n in range(5):
        await service.submit(services, Submission(origin="fediverse", headline=f"n{n}",
                             submitter_uri="https://x.example/u", source_host="x.example",
                             object_uri=f"https://x.example/p/{n}"))  # fmt: skip
    with pytest.raises(TooManyRequests):
        await service.submit(services, Submission(origin="fediverse", headline="n5",
                             submitter_uri="https://x.example/u", source_host="x.example",
                             object_uri="https://x.example/p/5"))  # fmt: skip
    assert len(await store.queued(services.db)) == 5
