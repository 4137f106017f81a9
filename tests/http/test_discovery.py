"""Discovery and documents as Mastodon fetches them: WebFinger, host-meta, NodeInfo, actors,
collections, posts; and the HTML a browser gets at the same URLs."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestClient

from fedihub.accounts import store as accounts_store
from fedihub.accounts.service import create_account
from fedihub.actors import store
from fedihub.hubs.service import create_hub
from fedihub.posts import render
from fedihub.posts.service import publish
from fedihub.services import Services

AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def make_hub(services: Services, approve: bool = False) -> None:
    await create_account(services.db, "alice", "correct horse", is_admin=False)
    alice = await accounts_store.get_account(services.db, "alice")
    await create_hub(services.db, "climate", name="Climate", summary="We **organise**",
                     approve_followers=approve, organizer=alice)  # fmt: skip


async def test_webfinger_round_trip_matches_actor_id(
    app_client: TestClient, services: Services
) -> None:
    await make_hub(services)
    domain = services.config.domain
    resp = await app_client.get(
        "/.well-known/webfinger", params={"resource": f"acct:climate@{domain}"}
    )
    assert resp.status == 200 and resp.content_type == "application/jrd+json"
    jrd = await resp.json(content_type=None)
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    actor = await (await app_client.get("/hubs/climate", headers=AP)).json(content_type=None)
    assert jrd["subject"] == f"acct:climate@{domain}"
    assert self_link["href"] == actor["id"] == f"{services.config.base_url}/hubs/climate"
    assert any(link["rel"] == "http://webfinger.net/rel/profile-page" for link in jrd["links"])
    assert any("template" in link for link in jrd["links"])


async def test_webfinger_unknown_and_bad_resources(
    app_client: TestClient, services: Services
) -> None:
    domain = services.config.domain
    for params, status in (({"resource": f"acct:nobody@{domain}"}, 404),
                           ({"resource": "acct:climate@elsewhere.example"}, 404),
                           ({"resource": "acct:@@@"}, 404), ({}, 400)):  # fmt: skip
        resp = await app_client.get("/.well-known/webfinger", params=params)
        assert resp.status == status, params


async def test_group_actor_has_what_mastodon_needs(
    app_client: TestClient, services: Services
) -> None:
    await make_hub(services, approve=True)
    for headers in (AP, LD):
        resp = await app_client.get("/hubs/climate", headers=headers)
        assert resp.status == 200 and resp.content_type == "application/activity+json"
    actor = await resp.json(content_type=None)
    base = services.config.base_url
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    assert actor["type"] == "Group" and actor["preferredUsername"] == "climate"
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["publicKey"]["id"] == f"{base}/hubs/climate#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["endpoints"]["sharedInbox"] == f"{base}/inbox"
    for field in ("inbox", "outbox", "followers", "following", "featured", "url", "published"):
        assert actor[field], field
    assert actor["summary"] == "<p>We <strong>organise</strong></p>"


async def test_instance_and_person_actors(app_client: TestClient, services: Services) -> None:
    await make_hub(services)
    instance = await (await app_client.get("/actor", headers=AP)).json(content_type=None)
    person = await (await app_client.get("/users/alice", headers=AP)).json(content_type=None)
    assert instance["type"] == "Application" and person["type"] == "Person"
    assert instance["publicKey"]["id"] == f"{services.config.base_url}/actor#main-key"


async def test_browser_gets_html_at_the_same_url(
    app_client: TestClient, services: Services
) -> None:
    await make_hub(services)
    resp = await app_client.get("/hubs/climate", headers={"Accept": "text/html"})
    text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert f"@climate@{services.config.domain}" in text and "organised by alice" in text
    home = await (await app_client.get("/")).text()
    assert "/hubs/climate" in home


async def test_unknown_actor_and_post_are_404(app_client: TestClient, services: Services) -> None:
    await make_hub(services)
    assert (await app_client.get("/hubs/nobody", headers=AP)).status == 404
    assert (await app_client.get("/hubs/climate/posts/999", headers=AP)).status == 404
    assert (await app_client.get("/activities/nope", headers=AP)).status == 404


async def test_collections_are_paged(app_client: TestClient, services: Services) -> None:
    await make_hub(services)
    hub = await store.get_actor(services.db, "group", "climate")
    assert hub is not None
    async with services.db.transaction() as tx:
        for i in range(25):
            await tx.execute(
                "INSERT INTO followers VALUES (?, ?, ?, 'accepted', ?)",
                (
                    hub.id,
                    f"https://m.example/users/u{i:02}",
                    f"https://m.example/f/{i}",
                    time.time(),
                ),
            )
    root = await (await app_client.get("/hubs/climate/followers", headers=AP)).json(
        content_type=None
    )
    assert root["type"] == "OrderedCollection" and root["totalItems"] == 25
    base = services.config.base_url
    page1 = await (await app_client.get(root["first"].removeprefix(base), headers=AP)).json(
        content_type=None
    )
    page2 = await (await app_client.get(page1["next"].removeprefix(base), headers=AP)).json(
        content_type=None
    )
    assert page1["type"] == "OrderedCollectionPage" and len(page1["orderedItems"]) == 20
    assert len(page2["orderedItems"]) == 5 and "next" not in page2
    assert set(page1["orderedItems"]).isdisjoint(page2["orderedItems"])
    assert (await app_client.get("/hubs/climate/followers?page=-1", headers=AP)).status == 400
    assert (await app_client.get("/hubs/climate/followers?page=x", headers=AP)).status == 400


async def test_post_and_activity_dereference(app_client: TestClient, services: Services) -> None:
    await make_hub(services)
    hub = await store.get_actor(services.db, "group", "climate")
    alice = await accounts_store.get_account(services.db, "alice")
    assert hub and alice
    post = await publish(
        services, hub, alice, "update", "# Sleeping bags\n\nTampa has 50 for Vancouver."
    )
    uri = render.post_uri(hub.uri(services.config.base_url), post.id)
    path = uri.removeprefix(services.config.base_url)
    note = await (await app_client.get(path, headers=AP)).json(content_type=None)
    assert note["id"] == uri and note["type"] == "Article" and note["name"] == "Sleeping bags"
    page = await (await app_client.get(path)).text()
    assert "Tampa has 50 for Vancouver." in page
    hub_page = await (await app_client.get("/hubs/climate")).text()
    assert f'<a href="{uri}">Sleeping bags</a>' in hub_page and note["published"] in hub_page
    outbox = await (await app_client.get("/hubs/climate/outbox?page=1", headers=AP)).json(
        content_type=None
    )
    create = outbox["orderedItems"][0]
    assert create["type"] == "Create" and create["object"]["id"] == uri
    activity_path = create["id"].removeprefix(services.config.base_url)
    fetched = await (await app_client.get(activity_path, headers=AP)).json(content_type=None)
    assert fetched["id"] == create["id"]
    page = await app_client.get(activity_path, headers={"Accept": "text/html"})
    assert page.content_type == "text/html" and uri in await page.text()

    await services.db.execute("UPDATE posts SET deleted_at = 1")
    gone = await app_client.get(path, headers=AP)
    assert gone.status == 410
    assert await gone.json(content_type=None) == {
        "id": uri, "type": "Tombstone", "formerType": "Article", "deleted": "1970-01-01T00:00:01Z"
    }  # fmt: skip


async def test_host_meta_and_nodeinfo(app_client: TestClient, services: Services) -> None:
    await make_hub(services)
    resp = await app_client.get("/.well-known/host-meta")
    xml = await resp.text()
    assert resp.content_type == "application/xrd+xml"
    assert 'xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"' in xml and 'rel="lrdd"' in xml
    links = await (await app_client.get("/.well-known/nodeinfo")).json()
    assert {link["rel"].rsplit("/", 1)[1] for link in links["links"]} == {"2.0", "2.1"}
    for version in ("2.0", "2.1"):
        info = await (await app_client.get(f"/nodeinfo/{version}")).json(content_type=None)
        assert info["version"] == version and info["software"]["name"] == "fedihub"
        assert info["usage"]["users"]["total"] == 1 and info["metadata"]["hubs"] == 1
