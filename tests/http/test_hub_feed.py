"""A hub's Atom feed carries what its dashboard shows: what the hub re-shares, also when a
moderator approves it from the queue, and no longer once it is removed from the hub; what waits
or was rejected stays out; a remote post's text arrives sanitised and escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.http.test_groups import mention
from tests.http.test_post_removal import drain, remove_form
from tests.support.remote import RemoteServer
from tests.support.web import HTML, form_token, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    return await require_hub(services.db, "climate")


async def feed(app_client: TestClient, path: str = "/hubs/climate/feed.atom") -> dict[str, str]:
    """The feed's entries: each one's id and its content."""
    resp = await app_client.get(path)
    assert resp.status == 200
    root = ET.fromstring(await resp.read())
    return {
        e.findtext(f"{ATOM}id", ""): e.findtext(f"{ATOM}content", "")
        for e in root.iter(f"{ATOM}entry")
    }


async def test_a_post_approved_from_the_queue_is_in_the_feed_until_it_is_removed(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await groups.set_hub_settings(services.db, hub.id, review_first_posts=2)
    mia = remote.add_actor("mia", shared_inbox=False)
    await membership.set_member(services, hub, mia.id)
    hub_uri = hub.uri(services.config.base_url)
    for n, words in ((1, "Bike repair on Sunday"), (2, "Buy my bikes")):
        assert (await remote.post(f"{hub_uri}/inbox", mention(mia, hub_uri, n,
                                  f"<p>{words}</p>"), mia)).ok  # fmt: skip
    await drain(app_client)
    held = {q.object_uri: q for q in await groups.queued(services.db, hub.id)}
    approved, rejected = f"{mia.id}/notes/1", f"{mia.id}/notes/2"
    assert set(held) == {approved, rejected}
    assert await feed(app_client) == {}  # nothing waiting is published

    await sign_in(app_client, "ana")
    token = await form_token(app_client, "/hubs/climate/manage")
    for uri, action in ((approved, "approve"), (rejected, "reject")):
        data = {"csrf": token, "item": str(held[uri].id), "action": action, "confirm": "yes"}
        resp = await app_client.post("/hubs/climate/manage/queue", data=data,
                                     allow_redirects=False)  # fmt: skip
        assert resp.status == 303
    await drain(app_client)
    page = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert "Bike repair on Sunday" in page and "Buy my bikes" not in page
    entries = await feed(app_client)
    assert set(entries) == {approved} and "Bike repair on Sunday" in entries[approved]
    listed = await (await app_client.get("/hubs/climate/feed", headers=HTML)).text()
    assert approved in listed  # the feed's own page lists it too
    # The hub's own posts are there beside it.
    await posts.publish(services, hub, None, "update", "Meeting moved")
    entries = await feed(app_client)
    assert len(entries) == 2 and approved in entries

    status, _ = await remove_form(app_client, "climate", approved, reason="Off topic")
    assert status == 303
    await drain(app_client)
    assert "Bike repair on Sunday" not in await (await app_client.get("/hubs/climate")).text()
    assert approved not in await feed(app_client)
    assert approved not in await feed(app_client, "/feed.atom")


async def test_a_carried_post_reaches_the_feed_as_escaped_sanitised_text(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    mia = remote.add_actor("mia", shared_inbox=False)
    await membership.set_member(services, hub, mia.id)
    hub_uri = hub.uri(services.config.base_url)
    create = mention(mia, hub_uri, 1, "<p>Hello<script>alert(1)</script></p>")
    create["object"]["name"] = "A <b>title</b> ]]> &amp;"
    assert (await remote.post(f"{hub_uri}/inbox", create, mia)).ok
    await drain(app_client)
    resp = await app_client.get("/hubs/climate/feed.atom")
    root = ET.fromstring(await resp.read())
    [entry] = root.iter(f"{ATOM}entry")
    [link] = entry.iter(f"{ATOM}link")
    assert link.get("href") == f"{mia.id}/notes/1"
    assert entry.findtext(f"{ATOM}title") == "A <b>title</b> ]]> &amp;"  # text, escaped
    assert "Hello" in entry.findtext(f"{ATOM}content", "")
    assert "<script" not in entry.findtext(f"{ATOM}content", "")
