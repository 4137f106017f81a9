"""The newswire's submission form, through real HTTP as a phone's browser uses it: anyone sends
news without an account (first-time senders wait for an editor, their contact address kept for
the editors alone), a signed-in account submits as itself, and every kind of bad input is
refused with the field named and everything typed kept: HTML and scripts (shown escaped on
the page, in the Note and in the feed), javascript: and data: links, over-long fields, NUL,
the honeypot, a forged form, one address past its hourly limit, one fediverse account past
its own."""

from __future__ import annotations

import dataclasses
import re
from html import unescape

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.errors import TooManyRequests
from fedihub.newswire import fields, service, store
from fedihub.newswire.model import Submission
from fedihub.services import Services
from fedihub.web.newswire_submit import SUBMISSIONS_PER_HOUR
from tests.support.web import AP, HTML, csrf_of, sign_in

GOOD = {"headline": "Rent strike wins", "summary": "Tenants won.\n\nAll of them.",
        "link": "https://news.example/strike", "hub": "Tenants union", "place": "Leeds",
        "language": "en", "tags": "#Housing rent", "contact": "me@example.org"}  # fmt: skip


def review(services: Services, how: str) -> None:
    services.config = dataclasses.replace(services.config, newswire_review=how)  # type: ignore[arg-type]


async def post_form(client: TestClient, values: dict[str, str], **extra: str):
    page = await (await client.get("/newswire/submit", headers=HTML)).text()
    data = {"csrf": csrf_of(page), **values, **extra}
    return await client.post("/newswire/submit", data=data, allow_redirects=False)


def field_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    if found:
        return unescape(found.group(1))
    found = re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page)
    assert found, f"no field {name}"
    return unescape(found.group(1))


async def test_an_anonymous_submission_waits_for_an_editor_with_its_contact_kept(
    app_client: TestClient, services: Services
) -> None:
    page = await (await app_client.get("/newswire/submit", headers=HTML)).text()
    for name in ("headline", "summary", "link", "hub", "place", "language", "tags", "contact"):
        assert f'name="{name}"' in page
    assert "only the editors see it" in page
    resp = await post_form(app_client, GOOD)
    assert resp.status == 303
    where = resp.headers["Location"]
    assert where.startswith("/newswire/submit?sent=")
    (item,) = await store.queued(services.db)
    assert (item.headline, item.tags, item.submitter_uri) == ("Rent strike wins",
                                                             ("housing", "rent"), "")  # fmt: skip
    assert await store.contact_of(services.db, item.id) == "me@example.org"
    done = await (await app_client.get(where, headers=HTML)).text()
    assert "waiting for an editor" in done
    # Not public until approved: not on the front page, its address answers 404.
    front = await (await app_client.get("/newswire", headers=HTML)).text()
    assert "Rent strike wins" not in front
    assert (await app_client.get(f"/newswire/items/{item.id}", headers=HTML)).status == 404


async def test_with_review_none_it_is_published_at_once_and_the_page_links_it(
    app_client: TestClient, services: Services
) -> None:
    review(services, "none")
    resp = await post_form(app_client, GOOD)
    done = await (await app_client.get(resp.headers["Location"], headers=HTML)).text()
    (item,) = await store.published_page(services.db)
    assert "it is published" in done and f'href="/newswire/items/{item.id}"' in done
    front = await (await app_client.get("/newswire", headers=HTML)).text()
    assert "Rent strike wins" in front
    assert "me@example.org" not in front
    assert "me@example.org" not in await (await app_client.get(f"/newswire/items/{item.id}",
                                                               headers=HTML)).text()  # fmt: skip


async def test_a_signed_in_account_submits_as_itself_and_trust_applies(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/newswire/submit", headers=HTML)).text()
    assert "it is sent as ana" in page
    await post_form(app_client, {**GOOD, "headline": "First"})
    (first,) = await store.queued(services.db)
    assert first.submitter_uri == f"{services.config.base_url}/users/ana"
    async with services.db.transaction() as tx:
        await store.trust(tx, first.submitter_uri, "root", services.clock.now())
    await post_form(app_client, {**GOOD, "headline": "Second"})
    (second,) = await store.published_page(services.db)
    assert second.headline == "Second"


async def test_html_and_scripts_are_shown_escaped_on_the_page_in_the_note_and_the_feed(
    app_client: TestClient, services: Services
) -> None:
    review(services, "none")
    evil = {**GOOD, "headline": '<script>alert("h")</script><b>bold</b>',
            "summary": '<img src=x onerror=alert(1)>\n\n<a href="javascript:x">y</a>',
            "hub": "<i>hub</i>", "place": "<svg onload=alert(2)>"}  # fmt: skip
    assert (await post_form(app_client, evil)).status == 303
    (item,) = await store.published_page(services.db)
    for path in ("/newswire", f"/newswire/items/{item.id}", "/newswire/feed.atom"):
        body = await (await app_client.get(path, headers=HTML)).text()
        for raw in ("<script>alert", "<b>bold", "<img src=x", "<i>hub", "<svg onload",
                    'href="javascript:'):  # fmt: skip
            assert raw not in body, (path, raw)
    page = await (await app_client.get(f"/newswire/items/{item.id}", headers=HTML)).text()
    assert "&lt;script&gt;alert(&#34;h&#34;)&lt;/script&gt;" in page
    note = await (await app_client.get(f"/newswire/items/{item.id}", headers=AP)).json(
        content_type=None
    )
    assert "<script>" not in note["content"] and "&lt;script&gt;" in note["content"]
    assert "<img" not in note["content"] and "<svg" not in note["content"]
    assert note["location"]["name"] == "<svg onload=alert(2)>"  # plain text, as AS names are
    feed = await (await app_client.get("/newswire/feed.atom")).text()
    # In the feed the item's HTML is itself escaped text: markup typed is escaped twice.
    assert "&amp;lt;script&amp;gt;" in feed


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("link", "javascript:alert(1)", "link: expected an http(s) link"),
        ("link", "data:text/html,<script>alert(1)</script>", "link: expected an http(s) link"),
        ("link", "//evil.example/x", "link: expected an http(s) link"),
        ("headline", "", "headline: required"),
        ("headline", "x" * (fields.MAX_HEADLINE + 1), "headline: at most"),
        ("summary", "x" * (fields.MAX_SUMMARY + 1), "summary: at most"),
        ("place", "x" * (fields.MAX_SHORT + 1), "place: at most"),
        ("hub", "x" * (fields.MAX_SHORT + 1), "hub: at most"),
        ("tags", "ok <script>", "tags: "),
        ("tags", " ".join(f"t{n}" for n in range(fields.MAX_TAGS + 1)), "tags: at most"),
        ("contact", "not an address", "contact: "),
        ("language", "english please", "language: a language tag"),
    ],
)
async def test_a_bad_field_is_named_and_everything_typed_is_kept(
    app_client: TestClient, services: Services, field: str, value: str, said: str
) -> None:
    values = {**GOOD, "headline": "Kept <headline>", "summary": "Kept\nsummary", field: value}
    resp = await post_form(app_client, values)
    assert resp.status == 400
    page = await resp.text()
    assert said in unescape(page)
    for name in ("headline", "summary", "link", "hub", "place", "tags", "contact"):
        if name in ("headline", "summary") and name != field:
            assert field_value(page, name) == values[name].replace("\n", "\n")
        elif name == field and name not in ("language",):
            assert field_value(page, name) == value
    assert await store.queued(services.db) == []


async def test_nul_is_refused(app_client: TestClient, services: Services) -> None:
    resp = await post_form(app_client, {**GOOD, "summary": "a\x00b"})
    assert resp.status == 400 and "NUL" in await resp.text()
    assert await store.queued(services.db) == []


async def test_the_honeypot_catches_a_program_and_keeps_what_was_typed(
    app_client: TestClient, services: Services
) -> None:
    resp = await post_form(app_client, GOOD, homepage="https://spam.example")
    assert resp.status == 400
    page = await resp.text()
    assert "leave the last field empty" in page
    assert field_value(page, "headline") == GOOD["headline"]
    assert await store.queued(services.db) == []


async def test_a_forged_form_is_refused(app_client: TestClient, services: Services) -> None:
    await app_client.get("/newswire/submit", headers=HTML)  # a session, but not this token
    resp = await app_client.post("/newswire/submit", data={**GOOD, "csrf": "forged"})
    assert resp.status == 403
    resp = await app_client.post("/newswire/submit", data=GOOD)
    assert resp.status == 403
    assert await store.queued(services.db) == []


async def test_one_address_is_held_to_its_hourly_limit_with_a_clear_page(
    app_client: TestClient, services: Services
) -> None:
    for n in range(SUBMISSIONS_PER_HOUR):
        resp = await post_form(app_client, {**GOOD, "headline": f"item {n}"})
        assert resp.status == 303, n
    resp = await post_form(app_client, {**GOOD, "headline": "one too many"})
    assert resp.status == 429
    page = await resp.text()
    assert f"{SUBMISSIONS_PER_HOUR} items were sent from your address" in page
    assert field_value(page, "headline") == "one too many"
    assert len(await store.queued(services.db)) == SUBMISSIONS_PER_HOUR


async def test_six_submissions_from_one_fediverse_account_in_an_hour(services: Services) -> None:
    def sent(n: int) -> Submission:
        return Submission(origin="fediverse", headline=f"n{n}", source_host="masto.example",
                          submitter_uri="https://masto.example/users/flood",
                          object_uri=f"https://masto.example/statuses/{n}")  # fmt: skip

    for n in range(5):
        await service.submit(services, sent(n))
    with pytest.raises(TooManyRequests):
        await service.submit(services, sent(5))
    assert len(await store.queued(services.db)) == 5
