"""Needs and offers for people, through real HTTP: the instance's list and each hub's (open ones
only, filtered by side, category and place, paged without losing or repeating one), their Atom
feeds with the same filters, hostile queries; the hub dashboard's section for its organisers
(open needs and offers with what remains, live matches with both sides) and the answers to a
match (accept, decline, fulfilled, partly) with CSRF, 403 for others and 404 for another hub's
match. The table is filled directly (resources/store.py), as the kinds and the matcher would."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.clock import FixedClock
from fedihub.hubs.service import create_hub
from fedihub.resources import store
from fedihub.resources.model import Intent, Side, words_of
from fedihub.services import Services
from fedihub.web.resources import PAGE
from tests.support.web import HTML

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = 1_780_000_000.0  # 2026-05-28
DAY = 86_400
REMOTE_HUB = "https://far.example/groups/tampa"


def intent(svc: Services, hub_uri: str, n: int, side: Side = "need", **values: object) -> Intent:
    host = hub_uri.split("/")[2]
    made = Intent(
        uri=f"{hub_uri}/posts/{n}", hub_uri=hub_uri, host=host, side=side,
        title=f"Sleeping bags {n}", category="bedding", words=words_of(f"Sleeping bags {n}"),
        quantity=50, remaining=50, unit="sleeping bags", place="Vancouver, BC", latitude=None,
        longitude=None, until_at=NOW + 10 * DAY, state="open", local_post_id=None,
        published_at=NOW - 1000 + n, updated_at=NOW - 1000 + n,
    )  # fmt: skip
    return replace(made, **values)  # type: ignore[arg-type]


async def save(svc: Services, *intents: Intent) -> None:
    async with svc.db.transaction() as tx:
        for i in intents:
            await store.save_intent(tx, i)


async def hubs(svc: Services) -> tuple[str, str]:
    """Two local hubs, with ana organising the first: their uris."""
    await create_account(svc.db, "ana", "correct horse", is_admin=False)
    await create_account(svc.db, "bo", "correct horse", is_admin=False)
    ana = await require_account(svc.db, "ana")
    await create_hub(svc.db, "vancouver", name="Vancouver Hub", organizer=ana)
    await create_hub(svc.db, "tampa", name="Tampa Hub")
    base = svc.config.base_url
    svc.clock = FixedClock(NOW)
    return f"{base}/hubs/vancouver", f"{base}/hubs/tampa"


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="[^"]*"(?: rel="[^"]*")?>([^<]*)</a></h3>', page)


async def test_the_instance_lists_its_hubs_open_needs_and_offers(
    app_client: TestClient, services: Services
) -> None:
    vancouver, tampa = await hubs(services)
    await save(
        services,
        intent(services, vancouver, 1, remaining=12),
        intent(
            services,
            tampa,
            2,
            "offer",
            title="Tents 2",
            category="shelter",
            quantity=None,
            remaining=None,
            unit="tents",
            place="Tampa, FL",
            until_at=None,
        ),
        intent(services, vancouver, 3, state="closed", title="Closed one 3"),
        intent(services, vancouver, 4, until_at=NOW - DAY, title="Past one 4"),
        intent(services, vancouver, 5, remaining=0, title="Given one 5"),
        intent(services, REMOTE_HUB, 6, title="Remote one 6"),  # not this instance's
    )
    resp = await app_client.get("/resources", headers=HTML)
    page = await resp.text()
    assert resp.status == 200
    assert titles(page) == ["Tents 2", "Sleeping bags 1"]  # newest first; the rest not open
    assert 'href="/hubs/vancouver/posts/1"' in page  # its page here
    assert "12 of 50 sleeping bags still needed" in page
    assert "any quantity of tents" in page and "Tampa, FL" in page
    assert "Needed by Sunday, June 7, 2026" in page and 'datetime="2026-06-07"' in page
    assert "Vancouver Hub" in page and "Tampa Hub" in page
    assert ">Needed</span>" in page and ">On offer</span>" in page
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*'
                     r'href="/resources/feed.atom"', page)  # fmt: skip
    # Spanish readers read it in Spanish, with Babel's dates.
    spanish = await (await app_client.get(
        "/resources", headers={**HTML, "Accept-Language": "es"})).text()  # fmt: skip
    assert "faltan 12 de 50 sleeping bags" in spanish
    assert "domingo, 7 de junio de 2026" in spanish
    # The navigation and the hub page lead here.
    home = await (await app_client.get("/", headers=HTML)).text()
    assert 'href="/resources"' in home
    hub_page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert 'href="/hubs/vancouver/resources"' in hub_page


async def test_a_hub_lists_its_own_with_the_same_filters(
    app_client: TestClient, services: Services
) -> None:
    vancouver, tampa = await hubs(services)
    await save(
        services,
        intent(services, vancouver, 1),
        intent(services, tampa, 2),
        intent(services, vancouver, 3, "offer", title="Tents 3", category="shelter"),
    )
    page = await (await app_client.get("/hubs/vancouver/resources", headers=HTML)).text()
    assert titles(page) == ["Tents 3", "Sleeping bags 1"]
    assert "Needs and offers of Vancouver Hub" in page
    page = await (await app_client.get("/hubs/vancouver/resources?side=offer",
                                       headers=HTML)).text()  # fmt: skip
    assert titles(page) == ["Tents 3"]
    assert '<option value="offer" selected>' in page
    assert (await app_client.get("/hubs/nobody/resources", headers=HTML)).status == 404
    assert (await app_client.get("/hubs/nobody/resources/feed.atom")).status == 404


async def test_filters_by_side_category_and_place(
    app_client: TestClient, services: Services
) -> None:
    vancouver, tampa = await hubs(services)
    await save(
        services,
        intent(services, vancouver, 1, place="Vancouver, BC"),
        intent(
            services,
            vancouver,
            2,
            "offer",
            title="Tents 2",
            category="shelter",
            place="Tampa 100% Dry_Camp",
        ),
        intent(services, tampa, 3, "offer", title="Blankets 3", place="Tampa100x DryXCamp"),
    )

    async def shown(query: str) -> list[str]:
        resp = await app_client.get(f"/resources?{query}", headers=HTML)
        assert resp.status == 200, (query, await resp.text())
        return titles(await resp.text())

    assert await shown("side=need") == ["Sleeping bags 1"]
    assert await shown("side=offer") == ["Blankets 3", "Tents 2"]
    assert await shown("category=shelter") == ["Tents 2"]
    assert await shown("category=bedding&side=offer") == ["Blankets 3"]
    assert await shown("place=vancouver") == ["Sleeping bags 1"]  # any case, a part of it
    assert await shown("place=%20%20TAMPA%20") == ["Blankets 3", "Tents 2"]
    # LIKE's wildcards are letters like any other.
    assert await shown("place=100%25") == ["Tents 2"]
    assert await shown("place=dry_camp") == ["Tents 2"]
    assert await shown("place=%25") == ["Tents 2"]
    assert await shown("place=nowhere") == []
    page = await (await app_client.get("/resources?place=tampa&side=offer", headers=HTML)).text()
    assert 'value="tampa"' in page and "Show everything" in page
    assert 'href="/resources/feed.atom?side=offer&amp;place=tampa"' in page


async def test_hostile_queries_are_refused_plainly(
    app_client: TestClient, services: Services
) -> None:
    vancouver, _ = await hubs(services)
    await save(services, intent(services, vancouver, 1))
    for bad, why in (
        ("side=both", "side: need or offer"), ("side=%00", "NUL"),
        ("category=weapons", "category: &#39;weapons&#39; is not one"),
        ("category=%3Cscript%3E", "category"), ("place=a%00b", "NUL"),
        ("place=a%07b", "control characters"), ("place=a%0Ab", "control characters"),
        ("place=" + "x" * 5000, "at most 100"), ("before=abc", "before"),
        ("before=nan", "before"), ("before=inf", "before"), ("before=1e999", "before"),
        ("before=-5", "before"), ("before=" + "9" * 50, "before"),
        ("before=1&last=javascript:alert(1)", "last"), ("before=1&last=https://x/%01", "last"),
    ):  # fmt: skip
        for path in ("/resources", "/hubs/vancouver/resources", "/resources/feed.atom",
                     "/hubs/vancouver/resources/feed.atom"):  # fmt: skip
            resp = await app_client.get(f"{path}?{bad}", headers=HTML)
            text = await resp.text()
            assert resp.status == 400, (path, bad, resp.status)
            assert why in text, (path, bad, text[:3000])
            assert "<script>" not in text
    # An empty filter is no filter.
    resp = await app_client.get("/resources?side=&category=&place=&before=", headers=HTML)
    assert resp.status == 200 and titles(await resp.text()) == ["Sleeping bags 1"]


async def test_paging_goes_back_through_every_one_once_even_in_one_instant(
    app_client: TestClient, services: Services
) -> None:
    vancouver, tampa = await hubs(services)
    made = [
        intent(services, vancouver if n % 2 else tampa, n, place="Leeds")
        for n in range(PAGE * 2 + 3)
    ]
    # Ten published in the same instant, across the first page's end.
    made = [replace(i, published_at=NOW - 500) if PAGE - 5 <= n < PAGE + 5 else i
            for n, i in enumerate(made)]  # fmt: skip
    await save(services, *made, intent(services, vancouver, 999, place="York"))
    expected = sorted(made, key=lambda i: (-i.published_at, i.uri))
    seen: list[str] = []
    path: str | None = "/resources?place=leeds"
    pages = 0
    while path:
        page = await (await app_client.get(path, headers=HTML)).text()
        pages += 1
        seen += re.findall(r'<a href="(/hubs/\w+/posts/\d+)"', page)
        found = re.search(r'href="([^"]+)">Earlier ones</a>', page)
        path = found.group(1).replace("&amp;", "&") if found else None
        if path:
            assert "place=leeds" in path  # the filters stay on every page
    assert pages == 3
    assert seen == [i.uri.removeprefix(services.config.base_url) for i in expected]


def entries(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall(f"{ATOM}entry")


async def test_the_feeds_carry_the_open_ones_with_the_same_filters(
    app_client: TestClient, services: Services
) -> None:
    vancouver, tampa = await hubs(services)
    await save(
        services,
        intent(services, vancouver, 1, remaining=12, title="Sleeping bags <b>1</b>"),
        intent(services, tampa, 2, "offer", title="Tents 2", category="shelter", place="Tampa, FL"),
        intent(services, vancouver, 3, state="closed"),
    )
    resp = await app_client.get("/resources/feed.atom")
    assert resp.status == 200 and resp.content_type == "application/atom+xml"
    feed = ET.fromstring(await resp.read())
    assert feed.findtext(f"{ATOM}title", "").endswith(": needs and offers")
    found = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in found] == [
        "On offer: Tents 2", "Needed: Sleeping bags <b>1</b>"]  # fmt: skip
    need = found[1]
    assert need.findtext(f"{ATOM}id") == f"{vancouver}/posts/1"
    link = need.find(f"{ATOM}link")
    assert link is not None and link.get("href") == f"{vancouver}/posts/1"
    content = need.findtext(f"{ATOM}content", "")
    assert "12 of 50 sleeping bags still needed" in content
    assert "Vancouver, BC" in content and "Needed by Sunday, June 7, 2026" in content
    assert "Vancouver Hub" in content
    assert {c.get("term") for c in need.findall(f"{ATOM}category")} == {"need", "bedding"}
    offers = entries(await (await app_client.get("/resources/feed.atom?side=offer")).read())
    assert [e.findtext(f"{ATOM}title") for e in offers] == ["On offer: Tents 2"]
    shelter = await (
        await app_client.get("/resources/feed.atom?category=shelter&place=tampa")
    ).read()
    assert len(entries(shelter)) == 1
    self_link = ET.fromstring(shelter).find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href", "").endswith("/resources/feed.atom?category=shelter&place=tampa")
    mine = entries(await (await app_client.get("/hubs/tampa/resources/feed.atom")).read())
    assert [e.findtext(f"{ATOM}title") for e in mine] == ["On offer: Tents 2"]
    empty = ET.fromstring(await (await app_client.get("/resources/feed.atom?place=nowhere")).read())
    assert empty.findall(f"{ATOM}entry") == []
