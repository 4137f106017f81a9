"""The newswire's pages for people and feed readers, through real HTTP: the front page with the
handle to follow, links to submit, the newsletter and the feed, items with their tags and
language, filters by tag and language, paging; each item's page (a boost links its original
post) and its Note for ActivityPub clients, 410 with a Tombstone once unpublished; the Atom
feed of published items."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

from aiohttp.test_utils import TestClient
from jinja2.filters import do_urlencode

from fedihub.accounts.service import create_account, require_account
from fedihub.clock import FixedClock
from fedihub.newswire import service, store
from fedihub.newswire.editors import editor
from fedihub.newswire.fields import read_form
from fedihub.newswire.model import Item, Submission
from fedihub.newswire.newsletter import service as newsletter
from fedihub.services import Services
from tests.support.web import AP, HTML, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"


async def publish(services: Services, headline: str, **values: str) -> Item:
    services.config = dataclasses.replace(services.config, newswire_review="none")
    return await service.submit(services, read_form({"headline": headline, **values}))


async def test_the_front_page_shows_items_and_every_way_to_follow_them(
    app_client: TestClient, services: Services
) -> None:
    item = await publish(services, "Port strike", summary="Dockers out.", tags="labour port",
                         place="Oakland", hub="Dockers", language="es",
                         link="https://news.example/port")  # fmt: skip
    resp = await app_client.get("/newswire", headers=HTML)
    page = await resp.text()
    assert resp.status == 200
    assert f"@newswire@{services.config.host}" in page
    assert f'href="/newswire/items/{item.id}"' in page and "Port strike" in page
    assert "Dockers out." in page and "Oakland" in page and "Dockers" in page
    assert 'href="https://news.example/port"' in page
    assert 'href="/newswire?tag=labour"' in page and 'href="/newswire?language=es"' in page
    for link in ('href="/newswire/submit"', 'href="/newswire/newsletters"',
                 'href="/newswire/subscribe"'):  # fmt: skip
        assert link in page
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*'
                     r'href="[^"]*/newswire/feed.atom"', page)  # fmt: skip
    assert 'href="/newswire/queue"' not in page  # for editors only
    assert 'href="/newswire"' in await (await app_client.get("/", headers=HTML)).text()


async def test_editors_see_the_way_to_the_queue(app_client: TestClient, services: Services) -> None:
    await create_account(services.db, "root", "correct horse", is_admin=True)
    await sign_in(app_client, "root")
    page = await (await app_client.get("/newswire", headers=HTML)).text()
    assert 'href="/newswire/queue"' in page and 'href="/newswire/editors"' in page


async def test_filters_by_tag_and_language(app_client: TestClient, services: Services) -> None:
    await publish(services, "Housing news", tags="housing", language="en")
    await publish(services, "Noticias de vivienda", tags="housing", language="es")
    await publish(services, "Climate news", tags="climate", language="en")
    await publish(services, "Underscore trap", tags="house_ing", language="en")
    page = await (await app_client.get("/newswire?tag=housing", headers=HTML)).text()
    assert "Housing news" in page and "Noticias de vivienda" in page
    assert "Climate news" not in page and "Underscore trap" not in page
    assert "Only items tagged #housing" in page
    page = await (await app_client.get("/newswire?tag=%23Housing&language=es",
                                       headers=HTML)).text()  # fmt: skip
    assert "Noticias de vivienda" in page and "Housing news" not in page
    page = await (await app_client.get("/newswire?tag=hous", headers=HTML)).text()
    assert "Housing news" not in page  # a whole tag, not a part of one
    for bad in ("?tag=%3Cscript%3E", "?language=%3Cx%3E", "?before=abc", "?before=%C2%B2"):
        resp = await app_client.get(f"/newswire{bad}", headers=HTML)
        assert resp.status == 400, bad
        assert "<script>" not in await resp.text()


async def test_paging_goes_back_through_every_item_once(
    app_client: TestClient, services: Services
) -> None:
    made = [await publish(services, f"Item number {n}") for n in range(store.PAGE + 5)]
    seen: list[str] = []
    path: str | None = "/newswire"
    while path:
        page = await (await app_client.get(path, headers=HTML)).text()
        seen += re.findall(r'href="/newswire/items/(\d+)"', page)
        found = re.search(r'href="(/newswire\?before=\d+)">Earlier items', page)
        path = found.group(1) if found else None
    assert seen == [str(i.id) for i in reversed(made)]


async def test_an_item_page_for_people_and_its_note_for_servers(
    app_client: TestClient, services: Services
) -> None:
    item = await publish(services, "Camp", summary="First line\nsecond line\n\nNew paragraph",
                         tags="camp", place="Leeds", hub="Tenants", language="es",
                         link="https://news.example/camp")  # fmt: skip
    page = await (await app_client.get(f"/newswire/items/{item.id}", headers=HTML)).text()
    assert "<h1>Camp</h1>" in page
    assert "<p>First line<br>second line</p><p>New paragraph</p>" in page
    assert "Leeds" in page and "Tenants" in page and 'href="https://news.example/camp"' in page
    assert 'href="/newswire?tag=camp"' in page
    assert f'href="/report?about={do_urlencode(item.object_uri)}"' in page
    note = await (await app_client.get(f"/newswire/items/{item.id}", headers=AP)).json(
        content_type=None
    )
    assert note["type"] == "Note" and note["id"] == item.object_uri
    assert note["attributedTo"] == f"{services.config.base_url}/newswire"
    for missing in ("0", "99999", "abc", "1e3", "²"):
        resp = await app_client.get(f"/newswire/items/{missing}", headers=HTML)
        assert resp.status == 404, missing


async def test_an_unpublished_item_answers_410_with_a_tombstone(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "root", "correct horse", is_admin=True)
    root = await editor(services, await require_account(services.db, "root"))
    item = await publish(services, "Spam headline")
    await service.unpublish(services, root, item.id, "spam", "")
    resp = await app_client.get(f"/newswire/items/{item.id}", headers=HTML)
    page = await resp.text()
    assert resp.status == 410 and "This item was unpublished" in page
    assert "Spam headline" not in page
    resp = await app_client.get(f"/newswire/items/{item.id}", headers=AP)
    doc = await resp.json(content_type=None)
    assert resp.status == 410 and doc["type"] == "Tombstone" and doc["id"] == item.object_uri
    assert "Spam headline" not in await (await app_client.get("/newswire", headers=HTML)).text()
    assert "Spam headline" not in await (await app_client.get("/newswire/feed.atom")).text()


async def test_a_boosted_item_links_its_original_post_and_has_no_note_of_ours(
    app_client: TestClient, services: Services
) -> None:
    services.config = dataclasses.replace(services.config, newswire_review="none")
    item = await service.submit(services, Submission(
        origin="fediverse", headline="From elsewhere", submitter_uri="https://m.example/u/a",
        source_host="m.example", object_uri="https://m.example/u/a/statuses/9"))  # fmt: skip
    page = await (await app_client.get(f"/newswire/items/{item.id}", headers=HTML)).text()
    assert "Original post" in page and 'href="https://m.example/u/a/statuses/9"' in page
    assert (await app_client.get(f"/newswire/items/{item.id}", headers=AP)).status == 404


async def test_the_atom_feed_carries_the_published_items(
    app_client: TestClient, services: Services
) -> None:
    first = await publish(services, "First <news>", summary="About it", tags="one two")
    services.clock = FixedClock(first.submitted_at + 60)
    second = await publish(services, "Second", link="https://news.example/2")
    queued = Submission(origin="web", headline="Queued one")
    services.config = dataclasses.replace(services.config, newswire_review="all")
    await service.submit(services, queued)
    resp = await app_client.get("/newswire/feed.atom")
    assert resp.status == 200 and resp.content_type == "application/atom+xml"
    feed = ET.fromstring(await resp.read())
    base = services.config.base_url
    assert feed.findtext(f"{ATOM}id") == f"{base}/newswire/feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Second", "First <news>"]
    assert entries[0].findtext(f"{ATOM}id") == second.object_uri
    link = entries[1].find(f"{ATOM}link")
    assert link is not None and link.get("href") == f"{base}/newswire/items/{first.id}"
    assert [c.get("term") for c in entries[1].findall(f"{ATOM}category")] == ["one", "two"]
    assert "About it" in (entries[1].findtext(f"{ATOM}content") or "")


async def test_the_atom_feed_carries_the_weekly_newsletter_too(
    app_client: TestClient, services: Services
) -> None:
    item = await publish(services, "Strike fund passes 10k")
    services.clock = FixedClock(item.submitted_at + 60)
    issue, _ = await newsletter.send_now(services)
    assert issue is not None
    feed = ET.fromstring(await (await app_client.get("/newswire/feed.atom")).read())
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [issue.title, item.headline]
    link = entries[0].find(f"{ATOM}link")
    base = services.config.base_url
    assert link is not None and link.get("href") == f"{base}/newswire/newsletters/{issue.id}"
    assert "Strike fund passes 10k" in (entries[0].findtext(f"{ATOM}content") or "")


async def test_an_unpublished_item_leaves_the_newsletter_it_was_in(
    app_client: TestClient, services: Services
) -> None:
    kept = await publish(services, "Food bank opens Friday")
    hoax = await publish(services, "Hoax headline")
    services.clock = FixedClock(hoax.submitted_at + 60)
    issue, _ = await newsletter.send_now(services)
    assert issue is not None and "Hoax headline" in issue.html
    await create_account(services.db, "root", "correct horse", is_admin=True)
    root = await editor(services, await require_account(services.db, "root"))
    await service.unpublish(services, root, hoax.id, "a hoax", "")
    assert await newsletter.revise_due(services, services.clock.now()) == 1
    page = await (await app_client.get(f"/newswire/newsletters/{issue.id}", headers=HTML)).text()
    assert "Food bank opens Friday" in page and "Hoax headline" not in page
    sent = await services.db.fetchall("SELECT type, document FROM outbox_activities")
    updates = [r[1] for r in sent if r[0] == "Update"]
    assert len(updates) == 1 and "Hoax headline" not in updates[0]
    assert await newsletter.revise_due(services, services.clock.now()) == 0  # once
    assert kept.headline in (await newsletter.send_now(services))[0].html  # type: ignore[union-attr]


async def test_a_web_submitters_address_is_forgotten_90_days_after_an_editor_decided(
    services: Services,
) -> None:
    item = await publish(services, "Clinic hours", contact="nurse@example.org")
    waiting = await service.submit(services, Submission(origin="web", headline="Held",
                                   contact_email="held@example.org"))  # fmt: skip
    services.config = dataclasses.replace(services.config, newswire_review="all")
    held = await service.submit(services, Submission(origin="web", headline="Held too",
                                contact_email="held2@example.org"))  # fmt: skip
    assert held.state == "queued" and waiting.state == "published"
    later = item.submitted_at + newsletter.CONTACTS_KEPT_S + 1
    await newsletter.run_due(services, later)
    assert await store.contact_of(services.db, item.id) is None
    assert await store.contact_of(services.db, held.id) == "held2@example.org"  # still waits
