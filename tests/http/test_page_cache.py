"""Pages anyone may fetch, served from memory (fedihub/web/page_cache.py): never stale after a
write, never shared with a signed-in organiser or across languages and formats, conditional
requests answered 304, gzip where asked, one render for a burst on a page not yet cached,
and a bounded size whatever addresses are asked for."""

from __future__ import annotations

import asyncio
import gzip
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.actors.store import get_actor
from fedihub.hubs.service import create_hub
from fedihub.keys import page_cache_key
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.web.page_cache import (
    MAX_AGE_S,
    SQUEEZED_BYTES,
    SQUEEZED_ENTRIES,
    PageCache,
    etag_of,
)
from tests.support.web import AP, HTML, sign_in


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "relief", name="Sandy relief", organizer=ana)
    found = await get_actor(services.db, "group", "relief")
    assert found is not None
    return found


def cache(client: TestClient) -> PageCache:
    return client.app[page_cache_key]


async def publish(services: Services, hub: LocalActor, text: str) -> int:
    ana = await require_account(services.db, "ana")
    return (await posts.publish(services, hub, ana, "update", text)).id


async def test_a_second_visit_is_served_from_memory_until_a_post_changes_the_page(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await publish(services, hub, "Sandbags at the depot at 9.")
    first = await app_client.get("/hubs/relief", headers=HTML)
    body = await first.text()
    assert first.status == 200 and "Sandbags at the depot" in body
    hits = cache(app_client).hits
    second = await app_client.get("/hubs/relief", headers=HTML)
    assert await second.text() == body and cache(app_client).hits == hits + 1
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] and "Cookie" in second.headers["Vary"]

    await publish(services, hub, "Generators needed in Red Hook.")
    third = await app_client.get("/hubs/relief", headers=HTML)
    fresh = await third.text()
    assert "Generators needed in Red Hook" in fresh and "Sandbags at the depot" in fresh
    assert third.headers["ETag"] != first.headers["ETag"]


async def test_conditional_requests_get_304_and_a_changed_page_gets_200(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post_id = await publish(services, hub, "Hot meals at the church from noon.")
    path = f"/hubs/relief/posts/{post_id}"
    for headers in (HTML, AP):
        first = await app_client.get(path, headers=headers)
        assert first.status == 200
        tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        again = await app_client.get(path, headers={**headers, "If-None-Match": tag})
        assert again.status == 304 and await again.read() == b""
        assert again.headers["ETag"] == tag
        since = await app_client.get(path, headers={**headers, "If-Modified-Since": modified})
        assert since.status == 304
        listed = await app_client.get(
            path, headers={**headers, "If-None-Match": f'"other", {tag.removeprefix("W/")}'}
        )
        assert listed.status == 304
    # Nonsense validators are ignored: the page comes in full.
    junks = [{"If-None-Match": '"nope"'}, {"If-Modified-Since": "yesterday, maybe"},
             {"If-Modified-Since": "Tue, 01 Dec 2026 11:00:00"}, {"If-None-Match": ""}]  # fmt: skip
    for junk in junks:
        resp = await app_client.get(path, headers={**HTML, **junk})
        assert resp.status == 200 and "Hot meals" in await resp.text(), junk
    # Another post changes the hub, not this page: its copy is still current.
    tag = (await app_client.get(path, headers=HTML)).headers["ETag"]
    await publish(services, hub, "Unrelated news.")
    same = await app_client.get(path, headers={**HTML, "If-None-Match": tag})
    assert same.status == 304
    # The post is edited: the old validator no longer holds.
    await posts.edit(services, hub, post_id, "Hot meals at the church from 1 pm.")
    changed = await app_client.get(path, headers={**HTML, "If-None-Match": tag})
    assert changed.status == 200 and changed.headers["ETag"] != tag
    assert "from 1 pm" in await changed.text()


async def test_languages_and_formats_are_kept_apart(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post_id = await publish(services, hub, "Water at the school.")
    path = f"/hubs/relief/posts/{post_id}"
    english = await (await app_client.get(path, headers={**HTML, "Accept-Language": "en"})).text()
    spanish = await (await app_client.get(path, headers={**HTML, "Accept-Language": "es"})).text()
    chosen = await (
        await app_client.get(path, headers={**HTML, "Cookie": "lang=es"})
    ).text()  # fmt: skip
    assert 'lang="en"' in english and 'lang="es"' in spanish and spanish == chosen
    document = await app_client.get(path, headers=AP)
    assert document.content_type == "application/activity+json"
    assert (await document.json())["type"] == "Note"
    page = await app_client.get(path, headers=HTML)
    assert page.content_type == "text/html"


async def test_a_signed_in_organiser_never_gets_the_shared_copy(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post_id = await publish(services, hub, "Volunteers meet at 8.")
    path = f"/hubs/relief/posts/{post_id}"
    anonymous = await (await app_client.get(path, headers=HTML)).text()
    assert "Volunteers meet at 8" in anonymous
    assert await sign_in(app_client, "ana") == 303
    hits = cache(app_client).hits
    theirs = await (await app_client.get(path, headers=HTML)).text()
    assert cache(app_client).hits == hits  # rendered for them, not taken from memory
    assert "/signout" in theirs and "/signout" not in anonymous
    again = await (await app_client.get(path, headers=HTML)).text()
    assert "/signout" in again and cache(app_client).hits == hits


async def test_gzip_when_asked_and_only_then(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    for n in range(12):
        await publish(services, hub, f"Update {n}: " + "supplies are arriving at the depot. " * 8)
    plain = await app_client.get("/hubs/relief", headers={**HTML, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    page = await plain.read()
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        url = app_client.make_url("/hubs/relief")
        for _ in range(2):  # rendered, then from memory: both compressed
            async with raw.get(url, headers={**HTML, "Accept-Encoding": "gzip, br"}) as resp:
                assert resp.headers["Content-Encoding"] == "gzip"
                assert "Accept-Encoding" in resp.headers["Vary"]
                squeezed = await resp.read()
            assert gzip.decompress(squeezed) == page and len(squeezed) < len(page) / 2
        refused = {**HTML, "Accept-Encoding": "gzip;q=0, identity"}
        async with raw.get(url, headers=refused) as resp:
            assert "Content-Encoding" not in resp.headers and await resp.read() == page
        # The Atom feed and ActivityPub documents are compressed alike.
        async with raw.get(app_client.make_url("/hubs/relief/feed.atom"),
                           headers={"Accept-Encoding": "gzip"}) as resp:  # fmt: skip
            assert resp.headers["Content-Encoding"] == "gzip"
            assert b"<feed" in gzip.decompress(await resp.read())


async def test_a_burst_on_a_page_not_yet_cached_renders_it_once(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await publish(services, hub, "Shelter open all night.")
    before = cache(app_client).renders
    answers = await asyncio.gather(
        *(app_client.get("/hubs/relief", headers=HTML) for _ in range(40))
    )
    bodies = {await a.text() for a in answers}
    assert [a.status for a in answers] == [200] * 40 and len(bodies) == 1
    assert cache(app_client).renders == before + 1


async def test_addresses_made_up_by_a_visitor_cannot_grow_the_cache_past_its_size(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await publish(services, hub, "Phones charging at the library.")
    cache(app_client).max_bytes = 200_000
    for n in range(300):
        resp = await app_client.get(f"/hubs/relief?junk={n}", headers=HTML)
        assert resp.status == 200
        assert cache(app_client).size_bytes <= 200_000
    assert 0 < len(cache(app_client)) < 300


async def test_errors_redirects_and_pages_that_are_not_shared_are_never_kept(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    assert (await app_client.get("/hubs/nobody", headers=HTML)).status == 404
    assert (await app_client.get("/hubs/relief/posts/999", headers=AP)).status == 404
    assert (await app_client.get("/signin", headers=HTML)).status == 200  # a form with a token
    assert len(cache(app_client)) == 0
    post_id = await publish(services, hub, "Gone soon.")
    await posts.delete(services, hub, post_id)
    assert (await app_client.get(f"/hubs/relief/posts/{post_id}", headers=AP)).status == 410
    assert len(cache(app_client)) == 0


async def test_with_the_cache_off_every_request_renders(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    cache(app_client).max_bytes = 0
    await publish(services, hub, "No cache here.")
    for _ in range(3):
        resp = await app_client.get("/hubs/relief", headers=HTML)
        assert resp.status == 200 and "ETag" in resp.headers  # 304s still work
    assert len(cache(app_client)) == 0 and cache(app_client).renders == 0


def test_an_entry_lasts_at_most_a_minute_since_pages_change_with_the_time_too() -> None:
    now = [1000.0]
    kept = PageCache(1_000_000, monotonic=lambda: now[0])

    async def render() -> object:
        from aiohttp import web

        return web.Response(text="<p>Coming: the meeting at 6</p>", content_type="text/html")

    async def scenario() -> None:
        await kept.fetch(("/", "html/en"), 7, render)  # type: ignore[arg-type]
        assert kept.get(("/", "html/en"), 7) is not None
        assert kept.get(("/", "html/en"), 8) is None  # a write since: gone
        await kept.fetch(("/", "html/en"), 8, render)  # type: ignore[arg-type]
        now[0] += MAX_AGE_S + 1
        assert kept.get(("/", "html/en"), 8) is None

    asyncio.run(scenario())


async def test_open_graph_gives_a_link_preview_in_one_fetch(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post_id = await publish(services, hub, "# Cleanup day\n\nBring gloves and boots to the park.")
    page = await (await app_client.get(f"/hubs/relief/posts/{post_id}", headers=HTML)).text()
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page))
    assert meta["og:title"] and "Bring gloves" in meta["og:description"]
    assert meta["og:url"].startswith("http") and meta["og:url"].endswith(f"/posts/{post_id}")
    assert meta["og:type"] == "article" and meta["twitter:card"] == "summary"
    assert meta["description"] == meta["og:description"]


def test_compressed_copies_of_answers_not_kept_stay_within_their_bound() -> None:
    kept = PageCache(1_000_000)
    for n in range(SQUEEZED_ENTRIES + 50):
        body = (f"<p>page {n}</p>" + "organise together " * 200).encode()
        smaller = kept.squeezed(etag_of(body), body, "text/html; charset=utf-8")
        assert smaller is not None and gzip.decompress(smaller) == body
    assert len(kept._squeezed) <= SQUEEZED_ENTRIES and kept._squeezed_bytes <= SQUEEZED_BYTES
    tiny = b"<p>ok</p>"
    assert kept.squeezed(etag_of(tiny), tiny, "text/html") is None  # not worth it
    image = bytes(range(256)) * 40
    assert kept.squeezed(etag_of(image), image, "image/png") is None
