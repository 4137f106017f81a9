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
from fedihub.hubs.service import create_hub, require_hub
from fedihub.posts import render
from fedihub.posts import service as posts
from fedihub.resources import store
from fedihub.resources.model import Intent, Side, words_of
from fedihub.services import Services
from fedihub.web.resources import PAGE
from tests.support.web import HTML, form_token, sign_in

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
        published_at=NOW - 1000 + n, updated_at=NOW - 1000 + n, until_day="2026-06-07",
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


# The dashboard's section and the answers to a match


async def organised(services: Services) -> dict[str, object]:
    """Vancouver's need as a real post (so fulfilling it updates the post), a remote offer that
    fits it, Tampa's own match (not Vancouver's to answer), and a match whose offer is gone."""
    vancouver, tampa = await hubs(services)
    hub = await require_hub(services.db, "vancouver")
    ana = await require_account(services.db, "ana")
    post = await posts.publish(services, hub, ana, "update", "# Sleeping bags\n\nWe need 50.")
    need = intent(services, vancouver, 0, uri=render.post_uri(vancouver, post.id),
                  title="Warm sleeping bags", local_post_id=post.id)  # fmt: skip
    offer = intent(services, REMOTE_HUB, 7, "offer", title="Bags from Tampa", quantity=80,
                   remaining=80, place="Tampa, FL", until_at=None)  # fmt: skip
    tampa_need = intent(services, tampa, 8, title="Tampa's own")
    second = intent(services, REMOTE_HUB, 9, "offer", title="More bags", quantity=5, remaining=5)
    await save(services, need, offer, tampa_need, second)
    ids = {}
    async with services.db.transaction() as tx:
        ids["mine"] = await store.save_match(tx, hub.id, need.uri, offer.uri, 0.8765, "here", NOW)
        ids["gone"] = await store.save_match(tx, hub.id, need.uri, f"{REMOTE_HUB}/posts/gone",
                                             0.5, "told", NOW - 10)  # fmt: skip
        ids["other"] = await store.save_match(tx, hub.id, need.uri, second.uri, 0.3, "here", NOW)
        tampa_hub = await require_hub(services.db, "tampa")
        ids["theirs"] = await store.save_match(tx, tampa_hub.id, tampa_need.uri, offer.uri, 0.7,
                                               "here", NOW)  # fmt: skip
    return {"need": need, "offer": offer, "post": post, **ids}


async def test_organisers_see_their_needs_offers_and_matches_others_do_not(
    app_client: TestClient, services: Services
) -> None:
    made = await organised(services)
    anonymous = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert "Matches to answer" not in anonymous and "Warm sleeping bags" not in anonymous
    assert await sign_in(app_client, "bo") == 303
    stranger = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert "Matches to answer" not in stranger and "/matches/" not in stranger
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert '<h2 id="resources">Needs and offers</h2>' in page
    assert "Warm sleeping bags" in page and "Bags from Tampa" in page
    assert "80 sleeping bags" in page and "Tampa, FL" in page and "far.example" in page
    assert "score 0.88" in page and ">proposed</span>" in page
    assert f'action="/hubs/vancouver/matches/{made["mine"]}/accept"' in page
    assert f'action="/hubs/vancouver/matches/{made["mine"]}/fulfil"' in page
    # A match whose offer was deleted has nothing left to settle: it leaves the list.
    assert f'id="match-{made["gone"]}"' not in page
    # What the other hub says it delivered waits for our organisers to confirm it.
    async with services.db.transaction() as tx:
        await store.set_reported(tx, made["mine"], 30, False, NOW)  # type: ignore[arg-type]
    page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert "says 30 were delivered: when they have arrived, confirm with Fulfilled." in page
    prefilled = (f'id="quantity-{made["mine"]}" name="quantity" min="1" inputmode="numeric"'
                 ' value="30"')
    assert prefilled in page
    assert f"/matches/{made['theirs']}/" not in page  # Tampa's, not Vancouver's
    assert "Tampa&#39;s own" not in page


async def test_accept_decline_and_fulfil_with_the_forms_token(
    app_client: TestClient, services: Services
) -> None:
    made = await organised(services)
    mine, gone = made["mine"], made["gone"]
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/vancouver")
    base = f"/hubs/vancouver/matches/{mine}"
    # No token, or another session's: refused before anything is read.
    assert (await app_client.post(f"{base}/accept", data={})).status == 403
    assert (await app_client.post(f"{base}/accept", data={"csrf": "forged"})).status == 403
    resp = await app_client.post(f"{base}/accept", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/hubs/vancouver?done=match-accepted#resources"
    page = await (await app_client.get(resp.headers["Location"], headers=HTML)).text()
    assert "Match accepted" in page and ">accepted</span>" in page
    assert f'{base}/accept"' not in page  # accepted once
    match = await store.match(services.db, mine)
    assert match is not None and match.state == "accepted"
    # Partly: 20 of the 50 needed.
    resp = await app_client.post(f"{base}/fulfil", data={"csrf": token, "quantity": "20"},
                                 allow_redirects=False)  # fmt: skip
    assert resp.headers["Location"] == "/hubs/vancouver?done=match-partly#resources"
    need = await store.intent(services.db, made["need"].uri)  # type: ignore[attr-defined]
    assert need is not None and (need.remaining, need.state) == (30, "open")
    page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert "30 of 50 sleeping bags still needed" in page and "20 delivered" in page
    listed = await (await app_client.get("/resources", headers=HTML)).text()
    assert "30 of 50 sleeping bags still needed" in listed
    # Wholly: the need closes, leaves the dashboard and the lists; its page stays.
    resp = await app_client.post(f"{base}/fulfil", data={"csrf": token, "quantity": ""},
                                 allow_redirects=False)  # fmt: skip
    assert resp.headers["Location"] == "/hubs/vancouver?done=match-fulfilled#resources"
    need = await store.intent(services.db, made["need"].uri)  # type: ignore[attr-defined]
    assert need is not None and (need.remaining, need.state) == (0, "closed")
    page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert "No open needs or offers." in page and "Warm sleeping bags" not in page.split(
        "Matches to answer")[0]  # fmt: skip
    assert "Warm sleeping bags" not in await (await app_client.get("/resources")).text()
    post_id = made["post"].id  # type: ignore[attr-defined]
    assert (await app_client.get(f"/hubs/vancouver/posts/{post_id}", headers=HTML)).status == 200
    # Declining another.
    other = made["other"]
    resp = await app_client.post(f"/hubs/vancouver/matches/{other}/decline",
                                 data={"csrf": token}, allow_redirects=False)  # fmt: skip
    assert resp.headers["Location"] == "/hubs/vancouver?done=match-declined#resources"
    declined = await store.match(services.db, other)  # type: ignore[arg-type]
    assert declined is not None and declined.state == "declined"
    # One whose offer is no longer on record, or whose need is closed, has nothing to settle.
    page = await (await app_client.get("/hubs/vancouver", headers=HTML)).text()
    assert f'id="match-{gone}"' not in page and "Matches to answer" in page
    # It may still be declined, whatever became of its offer.
    resp = await app_client.post(f"/hubs/vancouver/matches/{gone}/decline",
                                 data={"csrf": token}, allow_redirects=False)  # fmt: skip
    assert resp.headers["Location"] == "/hubs/vancouver?done=match-declined#resources"


async def test_a_refused_quantity_shows_the_form_again_with_what_was_typed(
    app_client: TestClient, services: Services
) -> None:
    made = await organised(services)
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/vancouver")
    fulfil = f"/hubs/vancouver/matches/{made['mine']}/fulfil"
    whole = "a whole number from 1"
    for typed, why in (("60", "more than the 50 still needed"), ("0", whole), ("-3", whole),
                       ("2.5", whole), ("9" * 30, whole), ("abc", whole)):  # fmt: skip
        resp = await app_client.post(fulfil, data={"csrf": token, "quantity": typed},
                                     headers=HTML)  # fmt: skip
        page = await resp.text()
        assert resp.status == 400, (typed, resp.status)
        assert why in page, (typed, page[:2000])
        assert f'value="{typed[:20]}" aria-invalid="true"' in page
        assert '<h2 id="resources">Needs and offers</h2>' in page  # the dashboard, not a bare error
    match = await store.match(services.db, made["mine"])  # type: ignore[arg-type]
    assert match is not None and (match.state, match.fulfilled_quantity) == ("proposed", 0)
    # An impossible step: a declined match is not accepted afterwards.
    base = f"/hubs/vancouver/matches/{made['mine']}"
    await app_client.post(f"{base}/decline", data={"csrf": token}, allow_redirects=False)
    resp = await app_client.post(f"{base}/accept", data={"csrf": token}, headers=HTML)
    assert resp.status == 400 and "cannot become" in await resp.text()


async def test_only_organisers_answer_and_only_their_hubs_matches(
    app_client: TestClient, services: Services
) -> None:
    made = await organised(services)
    mine, theirs = made["mine"], made["theirs"]
    # Signed out: sent to sign in.
    token = await form_token(app_client, "/signin")
    resp = await app_client.post(f"/hubs/vancouver/matches/{mine}/accept", data={"csrf": token},
                                 allow_redirects=False)  # fmt: skip
    assert resp.status in (302, 303) and resp.headers["Location"].startswith("/signin")
    # Someone who does not organise it: 403.
    assert await sign_in(app_client, "bo") == 303
    token = await form_token(app_client, "/hubs/vancouver")
    for action in ("accept", "decline", "fulfil"):
        resp = await app_client.post(f"/hubs/vancouver/matches/{mine}/{action}",
                                     data={"csrf": token}, headers=HTML)  # fmt: skip
        assert resp.status == 403, action
    # Its organiser, on another hub's match or one that never was: 404.
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/vancouver")
    for match_id in (theirs, 99_999, 10**17):
        for action in ("accept", "decline", "fulfil"):
            resp = await app_client.post(f"/hubs/vancouver/matches/{match_id}/{action}",
                                         data={"csrf": token}, headers=HTML)  # fmt: skip
            assert resp.status == 404, (match_id, action)
    # Through the hub it does organise, Tampa's match is no more Vancouver's: tampa is not ana's.
    resp = await app_client.post(f"/hubs/tampa/matches/{theirs}/accept", data={"csrf": token},
                                 headers=HTML)  # fmt: skip
    assert resp.status == 403
    for bad in ("abc", "-1", "1e3"):
        resp = await app_client.post(f"/hubs/vancouver/matches/{bad}/accept",
                                     data={"csrf": token})  # fmt: skip
        assert resp.status == 404
    theirs_now = await store.match(services.db, theirs)  # type: ignore[arg-type]
    assert theirs_now is not None and theirs_now.state == "proposed"


async def test_the_day_shown_is_the_one_its_hub_wrote_west_of_utc_too(
    app_client: TestClient, services: Services
) -> None:
    """A Vancouver hub's need needed by the 7th ends at midnight there: the 8th in UTC. The
    lists and the feed still say the 7th."""
    await create_hub(services.db, "van", name="Van", timezone="America/Vancouver")
    van = await require_hub(services.db, "van")
    text = "---\ntitle: Blankets\ncategory: bedding\nquantity: 5\nneeded_by: 2030-12-07\n---\nx"
    await posts.publish(services, van, None, "need", text)
    page = await (await app_client.get("/hubs/van/resources", headers=HTML)).text()
    assert re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page) == [
        ("2030-12-07", "Needed by Saturday, December 7, 2030")
    ]
    feed = await (await app_client.get("/hubs/van/resources/feed.atom")).read()
    assert b"Needed by Saturday, December 7, 2030" in feed
