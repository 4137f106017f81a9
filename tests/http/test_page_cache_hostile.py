"""The page cache against hostile or unusual requests (fedihub/web/page_cache.py,
fedihub/changes.py): Accept headers a handler reads its own way, a reader's language under a
JSON-ish Accept, a change within the second Last-Modified names, made-up long addresses, and
writes made through `… RETURNING` reads. Each failed before its fix (issue 18's review)."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors.model import LocalActor
from fedihub.services import Services
from tests.http import test_page_cache as plain
from tests.support.web import HTML

hub = plain.hub  # the fixture: a hub with one organiser
cache, publish = plain.cache, plain.publish


async def test_an_accept_a_handler_reads_its_own_way_cannot_poison_the_json_copy(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """An Accept naming JSON is kept whole in the key: /directory answers JSON only for
    "application/json" (case-sensitively), so one anonymous request with Accept: text/json (or
    Application/JSON) must not make every JSON client get the HTML page."""
    poison = await app_client.get("/directory", headers={"Accept": "text/json"})
    assert poison.status == 200 and poison.content_type == "text/html"
    victim = await app_client.get("/directory", headers={"Accept": "application/json"})
    assert victim.content_type == "application/json", "a JSON client was served cached HTML"


async def test_a_page_asked_for_with_a_json_ish_accept_keeps_its_readers_language(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """A hub page asked for with Accept: application/json, text/plain, */* (fetch/axios'
    default) is HTML in the reader's language: the next reader of another language must get
    their own, not the first one's."""
    await publish(services, hub, "Water at the school.")
    accept = {"Accept": "application/json, text/plain, */*"}
    spanish = await app_client.get("/hubs/relief", headers={**accept, "Accept-Language": "es"})
    assert spanish.status == 200 and 'lang="es"' in await spanish.text()
    english = await app_client.get("/hubs/relief", headers={**accept, "Accept-Language": "en"})
    assert english.headers["Content-Language"] == "en", "Spanish page served to an English reader"


async def test_if_modified_since_never_hides_a_change_made_within_the_same_second(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """Last-Modified has whole seconds. A feed rendered, changed and rendered again within one
    second cannot carry a later date, so it carries none (its ETag still validates it): a
    client revalidating with If-Modified-Since alone (feed readers) must get the change, never
    a 304 (RFC 9110 8.8.2, 13.1.3)."""
    for attempt in range(3):
        await publish(services, hub, f"Before {attempt}.")  # the first GET renders afresh
        await asyncio.sleep(1.05 - time.time() % 1)  # early in a second: the first has a date
        first = await app_client.get("/hubs/relief/feed.atom")
        before = await first.text()
        await publish(services, hub, f"Update {attempt}: pumps needed.")
        second = await app_client.get("/hubs/relief/feed.atom")
        assert f"Update {attempt}" in await second.text() and await second.text() != before
        assert second.headers.get("Last-Modified") != first.headers["Last-Modified"]
        again = await app_client.get(
            "/hubs/relief/feed.atom", headers={"If-Modified-Since": first.headers["Last-Modified"]}
        )
        assert again.status == 200, "304 for a feed that changed since the client's copy"


async def test_the_cache_bound_counts_the_addresses_and_headers_it_keeps(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """A visitor asking for a small shared document under long made-up queries (up to ~8 KB
    a request line) must not make the cache hold many times page_cache_bytes: an entry's size
    counts its address and headers (CSP etc.), not only its body."""
    cache(app_client).max_bytes = 400_000
    filler = "x" * 7_000
    for n in range(400):
        resp = await app_client.get(
            f"/hubs/relief/featured?{n}={filler}", headers={"Accept": "application/activity+json"}
        )
        assert resp.status == 200
    kept = cache(app_client)._entries
    real = sum(
        sys.getsizeof(k[0]) + sys.getsizeof(e.body) + sum(len(a) + len(b) for a, b in e.headers)
        for k, e in kept.items()
    )
    assert cache(app_client).size_bytes <= 400_000
    assert real <= 400_000 * 1.5, f"{len(kept)} entries hold {real} bytes, counted as 400,000"


@pytest.mark.parametrize("via", ["fetchone", "fetchall"])
async def test_a_write_through_a_returning_read_drops_the_pages_it_changes(
    app_client: TestClient, services: Services, hub: LocalActor, via: str
) -> None:
    """Stores write through fetchone and fetchall (INSERT/UPDATE/DELETE … RETURNING:
    posts.insert_occurrence, newswire decide/insert_item, groups remove_member, volunteers
    invite/insert_if_new, bans): such a write alone in its transaction must drop the pages."""
    post_id = await publish(services, hub, "Shelter on Main St.")
    path = f"/hubs/relief/posts/{post_id}"
    assert "Shelter on Main St." in await (await app_client.get(path, headers=HTML)).text()
    async with services.db.transaction() as tx:
        sql = (
            "UPDATE posts SET content_html = '<p>Shelter moved to Oak Ave.</p>'"
            " WHERE id = ? RETURNING id"
        )
        await getattr(tx, via)(sql, (post_id,))
    page = await (await app_client.get(path, headers=HTML)).text()
    assert "Oak Ave." in page, "the cached page still shows what the committed write replaced"
