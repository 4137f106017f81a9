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

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.actors.store import get_actor
from fedihub.hubs.service import create_hub
from fedihub.keys import page_cache_key
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.web.page_cache import PageCache
from tests.support.web import HTML


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


async def test_json_variant_is_poisoned_by_an_accept_the_handler_reads_otherwise(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """An Accept naming JSON is kept whole in the key: /directory answers JSON
    only for "application/json" (case-sensitively): one anonymous request with Accept:
    text/json (or Application/JSON) makes every JSON client get the HTML page."""
    poison = await app_client.get("/directory", headers={"Accept": "text/json"})
    assert poison.status == 200 and poison.content_type == "text/html"
    victim = await app_client.get("/directory", headers={"Accept": "application/json"})
    assert victim.content_type == "application/json", "a JSON client was served cached HTML"


async def test_json_variant_ignores_the_readers_language(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """A hub page asked for with Accept: application/json, text/plain, */* (fetch/axios'
    default) is HTML in the reader's language, yet cached under "json" with no language: the
    next reader of another language gets the first one's."""
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


async def test_the_cache_bound_leaves_out_the_addresses_it_keeps(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """Entry.size counts the body and 256 bytes, not the key (path_qs, up to ~8 KB per
    request line) nor the kept headers (CSP etc.). A visitor asking for a small shared
    document under long made-up queries makes the cache hold many times page_cache_bytes."""
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
async def test_a_write_through_fetchone_returning_leaves_pages_stale(
    app_client: TestClient, services: Services, hub: LocalActor, via: str
) -> None:
    """SqliteTransaction/PostgresTransaction.fetchone and fetchall never call changes_content,
    yet stores write through them (INSERT/UPDATE/DELETE … RETURNING: posts.insert_occurrence,
    newswire decide/insert_item, groups remove_member, volunteers invite/insert_if_new, bans).
    Today each such store call happens to share its transaction with another counted write;
    the first one that does not serves a stale page. Shown with the statement form they use."""
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
