"""Signing up for a hub's relief effort without an account, through real HTTP as a phone's
browser does it, on both databases: a new sign-up gets its private link once; the same e-mail
address or phone number signing up again updates that volunteer (and shows nothing of them);
another hub's effort is separate; a closed effort takes no sign-ups; the private link shows,
changes and deletes the volunteer's own record. Hostile input is refused with the field named
and everything typed kept, and nothing stored. A burst of concurrent sign-ups of the same 50
contacts leaves exactly 50 volunteers (on PostgreSQL also from two processes at once)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.app import create_app
from fedihub.config import Config, load_config, split_host_port
from fedihub.db import Database
from fedihub.errors import BadRequest, ConfigError
from fedihub.hubs.service import create_hub
from fedihub.instance import init_instance
from fedihub.keys import services_key
from fedihub.kinds import registry
from fedihub.posts import service as posts
from fedihub.services import Services, close_services, open_services
from fedihub.volunteers import service, signup, sites_store, store
from fedihub.volunteers.model import (
    DAYS,
    MONTH_S,
    PARTS,
    SKILLS,
    TRANSPORTS,
    SignUp,
    skill_bits,
    slot,
)
from fedihub.web.i18n import load_catalogs
from tests.support.web import HTML, csrf_of

GOOD: dict[str, str | list[str]] = {
    "name": "Ana Torres", "email": "Ana@Example.org", "phone": "", "handle": "@ana@social.example",
    "languages": ["en", "es"], "other_languages": "uk", "skills": ["first_aid", "driving"],
    "other_skills": "I speak some sign language", "avail.sa.morning": "yes",
    "avail.su.afternoon": "yes", "area": "Red Hook", "transport": "car",
    "notes": "Back after 6 pm on weekdays", "consent": "yes", "consent_months": "3",
}  # fmt: skip
SECRET_WORDS = ("Ana Torres", "ana@example.org", "Ana@Example.org", "social.example", "Red Hook",
                "sign language", "Back after 6")  # fmt: skip


async def make_hub(db: Database, slug: str, languages: str = "en es") -> LocalActor:
    await create_hub(db, slug, name=slug.title(), timezone="UTC", languages=languages)
    hub = await actors.get_actor(db, "group", slug)
    assert hub is not None
    return hub


@pytest.fixture
async def sandy(services: Services) -> LocalActor:
    return await make_hub(services.db, "sandy")


def form_data(values: dict[str, str | list[str]], csrf: str) -> list[tuple[str, str]]:
    data = [("csrf", csrf)]
    for name, value in values.items():
        data += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return data


async def post_signup(client: TestClient, values: dict[str, str | list[str]],
                      slug: str = "sandy", **extra: str) -> Any:  # fmt: skip
    page = await (await client.get(f"/hubs/{slug}/volunteer", headers=HTML)).text()
    data = form_data({**values, **extra}, csrf_of(page))
    return await client.post(f"/hubs/{slug}/volunteer", data=data, allow_redirects=False)


def field_value(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    if found:
        return unescape(found.group(1))
    found = re.search(rf'name="{re.escape(name)}"[^>]*>([^<]*)</textarea>', page)
    assert found, f"no field {name}"
    return unescape(found.group(1))


def ticked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)" checked', page)


def token_of(location: str) -> str:
    found = re.fullmatch(r"/hubs/[a-z]+/volunteer/me/([A-Za-z0-9_-]+)\?new=1", location)
    assert found, location
    return found.group(1)


async def rows(db: Database) -> int:
    return int(await db.fetchval("SELECT count(*) FROM volunteers"))


# Signing up


async def test_a_new_sign_up_is_stored_and_sent_to_its_private_link(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    page = await (await app_client.get("/hubs/sandy/volunteer", headers=HTML)).text()
    assert "Volunteer with Sandy" in page and 'href="/hubs/sandy/shifts"' in page
    assert 'name="avail.mo.morning"' in page and 'name="homepage"' in page
    assert "I agree to be contacted about this effort" in page
    resp = await post_signup(app_client, GOOD)
    assert resp.status == 303
    token = token_of(resp.headers["Location"])
    (volunteer,) = [await store.volunteer_by_token(services.db, signup_hash(token))]
    assert volunteer is not None and volunteer.hub_id == sandy.id
    assert (volunteer.name, volunteer.email, volunteer.phone, volunteer.handle) == (
        "Ana Torres", "ana@example.org", None, "@ana@social.example")  # fmt: skip
    assert volunteer.languages == ("en", "es", "uk")
    assert volunteer.skills == skill_bits(["first_aid", "driving"])
    assert volunteer.availability == slot(5, 0) | slot(6, 1)
    assert (volunteer.area, volunteer.transport, volunteer.language) == ("Red Hook", "car", "en")
    assert volunteer.consent_until == pytest.approx(services.clock.now() + 3 * MONTH_S, abs=60)
    # The private page: the link to keep, the record, never cached nor indexed nor referred.
    mine = await app_client.get(resp.headers["Location"], headers=HTML)
    text = await mine.text()
    assert mine.status == 200
    assert "This page is your private link. Keep it" in text
    assert f"{services.config.base_url}/hubs/sandy/volunteer/me/{token}" in text
    assert mine.headers["Referrer-Policy"] == "no-referrer"
    assert mine.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex' in text
    assert field_value(text, "name") == "Ana Torres"
    assert field_value(text, "other_languages") == "uk"
    assert ticked(text, "skills") == ["first_aid", "driving"]
    assert ticked(text, "avail.sa.morning") == ["yes"] and ticked(text, "avail.mo.morning") == []


def signup_hash(token: str) -> str:
    from fedihub.tokens import hash_token

    return hash_token(token)


async def test_the_same_email_or_phone_updates_that_volunteer_and_shows_nothing_of_them(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    first = await post_signup(app_client, {**GOOD, "phone": "+1 (555) 010-0200"})
    token = token_of(first.headers["Location"])
    again = await post_signup(app_client, {**GOOD, "name": "Ana T.", "email": "ANA@example.ORG",
                                           "phone": "", "area": "Gowanus"})  # fmt: skip
    assert again.status == 303
    assert again.headers["Location"] == "/hubs/sandy/volunteer?done=updated"
    page = await (await app_client.get(again.headers["Location"], headers=HTML)).text()
    assert "your registration is updated" in page
    assert "we have sent" not in page.lower()  # this instance sends no mail: not claimed
    for secret in (*SECRET_WORDS, "Ana T.", "Gowanus", "555", token):
        assert secret not in page, secret
    assert field_value(page, "name") == "" and field_value(page, "email") == ""
    # By phone alone, written another way: the same volunteer again.
    by_phone = await post_signup(app_client, {**GOOD, "email": "", "phone": "+1 555 010 0200",
                                              "name": "Ana by phone"})  # fmt: skip
    assert by_phone.headers["Location"] == "/hubs/sandy/volunteer?done=updated"
    assert await rows(services.db) == 1
    volunteer = await service.by_token(services, sandy, token)
    # A repeat updates what they offer (the area), never who they are or their contacts:
    # whoever typed it may not be them.
    assert (volunteer.name, volunteer.email, volunteer.phone, volunteer.area) == (
        "Ana Torres", "ana@example.org", "+1 (555) 010-0200", "Red Hook")  # fmt: skip
    assert (await store.volunteer(services.db, sandy.id, volunteer.id)) == volunteer


async def test_a_repeat_never_takes_a_contact_another_volunteer_holds(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await post_signup(app_client, {**GOOD, "email": "a@example.org"})
    await post_signup(app_client, {**GOOD, "email": "", "phone": "555 0100 99", "name": "Bo"})
    # a@'s repeat names Bo's phone: a@ offers anew, nobody's name or number changes.
    resp = await post_signup(app_client, {**GOOD, "email": "a@example.org",
                                          "phone": "555-0100-99", "name": "A again"})  # fmt: skip
    assert resp.headers["Location"] == "/hubs/sandy/volunteer?done=updated"
    found = await services.db.fetchall("SELECT name, email, phone_key FROM volunteers ORDER BY id")
    assert [tuple(r) for r in found] == [("Ana Torres", "a@example.org", None),
                                         ("Bo", None, "555010099")]  # fmt: skip


async def test_another_hubs_effort_is_separate(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    katrina = await make_hub(services.db, "katrina", "en")
    one = await post_signup(app_client, GOOD)
    two = await post_signup(app_client, {**GOOD, "languages": ["en"]}, slug="katrina")
    assert two.status == 303 and "/hubs/katrina/volunteer/me/" in two.headers["Location"]
    assert (await store.count(services.db, sandy.id), await store.count(services.db, katrina.id)) \
        == (1, 1)  # fmt: skip
    # One hub's private link is unknown on the other's pages.
    sandy_link = one.headers["Location"].split("?")[0]
    assert (await app_client.get(sandy_link.replace("sandy", "katrina"))).status == 404


async def test_a_closed_effort_says_so_and_takes_no_sign_up(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    token = token_of((await post_signup(app_client, GOOD)).headers["Location"])
    page = await (await app_client.get("/hubs/sandy/volunteer", headers=HTML)).text()
    csrf = csrf_of(page)
    await service.set_effort(services, sandy, signup_open=False, intro="We have enough hands.")
    resp = await app_client.get("/hubs/sandy/volunteer", headers=HTML)
    closed = await resp.text()
    assert resp.status == 200 and "Sign-up for this effort is closed" in closed
    assert "We have enough hands." in closed and 'name="area"' not in closed
    data = form_data({**GOOD, "email": "new@example.org"}, csrf)
    refused = await app_client.post("/hubs/sandy/volunteer", data=data, allow_redirects=False)
    assert refused.status == 403
    assert "sign-up for this effort is closed" in await refused.text()
    assert await rows(services.db) == 1
    with pytest.raises(BadRequest, match="closed"):
        await service.sign_up(services, sandy, signup.read_form(GOOD))
    # A volunteer still changes their own record.
    mine = f"/hubs/sandy/volunteer/me/{token}"
    page = await (await app_client.get(mine, headers=HTML)).text()
    data = form_data({**GOOD, "area": "Gowanus"}, csrf_of(page))
    saved = await app_client.post(mine, data=data, allow_redirects=False)
    assert saved.status == 303
    assert (await service.by_token(services, sandy, token)).area == "Gowanus"


async def test_the_private_link_shows_changes_and_deletes_the_record(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    token = token_of((await post_signup(app_client, GOOD)).headers["Location"])
    mine = f"/hubs/sandy/volunteer/me/{token}"
    page = await (await app_client.get(mine, headers=HTML)).text()
    changed = {**GOOD, "phone": "+34 600 000 001", "skills": ["cooking"], "avail.sa.morning": "",
               "avail.we.evening": "yes", "languages": ["es"], "other_languages": ""}  # fmt: skip
    resp = await app_client.post(mine, data=form_data(changed, csrf_of(page)),
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and resp.headers["Location"] == f"{mine}?saved=1"
    page = await (await app_client.get(resp.headers["Location"], headers=HTML)).text()
    assert "Your changes are saved" in page
    assert field_value(page, "phone") == "+34 600 000 001"
    assert ticked(page, "skills") == ["cooking"] and ticked(page, "languages") == ["es"]
    volunteer = await service.by_token(services, sandy, token)
    assert (volunteer.phone, volunteer.languages) == ("+34 600 000 001", ("es",))
    assert volunteer.availability == slot(2, 2) | slot(6, 1)
    # Saving it unchanged changes nothing.
    resp = await app_client.post(mine, data=form_data(typed_back(page), csrf_of(page)),
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    again = await service.by_token(services, sandy, token)
    assert dataclasses.replace(again, updated_at=0, consent_until=0) == dataclasses.replace(
        volunteer, updated_at=0, consent_until=0)  # fmt: skip
    # Another volunteer's address is refused, with everything typed kept.
    await post_signup(app_client, {**GOOD, "email": "bo@example.org", "name": "Bo"})
    taken = {**changed, "email": "bo@example.org", "notes": "kept as typed"}
    resp = await app_client.post(mine, data=form_data(taken, csrf_of(page)))
    text = await resp.text()
    assert resp.status == 400 and "another registration for this effort uses this address" in text
    assert field_value(text, "notes") == "kept as typed"
    assert resp.headers["Cache-Control"] == "no-store"
    # Deleting asks first, then deletes it with its assignments.
    now = services.clock.now()
    async with services.db.transaction() as tx:
        await sites_store.add_site(tx, sandy.id, "Pier 9", "Red Hook", "", "", now)
    post = await posts.publish(services, sandy, None, "shift", shift_text("Pier 9"))
    assert await sites_store.shift(services.db, sandy.id, post.id) is not None
    async with services.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO volunteer_assignments (shift_id, volunteer_id, token_hash, assigned_at)"
            " VALUES (?, ?, 'x', ?)", (post.id, volunteer.id, now),
        )  # fmt: skip
        await tx.execute("DELETE FROM pending_updates")
    confirm = await app_client.get(f"{mine}/delete", headers=HTML)
    confirm_page = await confirm.text()
    assert confirm.status == 200 and "Yes, delete my registration" in confirm_page
    assert confirm.headers["Referrer-Policy"] == "no-referrer"
    assert await rows(services.db) == 2  # asking deleted nothing
    resp = await app_client.post(f"{mine}/delete", data={"csrf": csrf_of(confirm_page)},
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and resp.headers["Location"] == "/hubs/sandy/volunteer?done=deleted"
    assert "Your registration is deleted" in await (await app_client.get(
        resp.headers["Location"], headers=HTML)).text()  # fmt: skip
    assert await rows(services.db) == 1
    assert await services.db.fetchval("SELECT count(*) FROM volunteer_assignments") == 0
    # The places changed: the shift's post will be updated for its followers.
    assert await services.db.fetchval(
        "SELECT count(*) FROM pending_updates WHERE post_id = ?", (post.id,)) == 1  # fmt: skip
    assert (await app_client.get(mine, headers=HTML)).status == 404


def shift_text(site: str) -> str:
    """A shift tomorrow at `site`, as an organiser writes it (fedihub/kinds/shift.py)."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    return f"---\nsite: {site}\nstart: {day} 09:00\nend: {day} 13:00\nneeded: 2\n---\nMops.\n"


def typed_back(page: str) -> dict[str, str | list[str]]:
    """What a browser sends back from the page as it stands: every field's value."""
    values: dict[str, str | list[str]] = {}
    for name in ("name", "email", "phone", "handle", "other_languages", "area"):
        values[name] = field_value(page, name)
    for name in ("other_skills", "notes"):
        values[name] = field_value(page, name)
    values["languages"] = ticked(page, "languages")
    values["skills"] = ticked(page, "skills")
    for name in re.findall(r'name="(avail\.[a-z]+\.[a-z]+)" value="yes" checked', page):
        values[name] = "yes"
    values["transport"] = re.findall(r'<option value="([a-z]+)" selected', page)[0]
    values["consent"] = "yes"
    values["consent_months"] = re.findall(r'<option value="([0-9]+)" selected', page)[0]
    return values


async def test_an_unknown_link_is_404_and_says_nothing_more(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await post_signup(app_client, GOOD)
    for path in ("/hubs/sandy/volunteer/me/" + "A" * 43, "/hubs/sandy/volunteer/me/short",
                 "/hubs/sandy/volunteer/me/" + "A" * 43 + "/delete",
                 "/hubs/nowhere/volunteer/me/" + "A" * 43, "/hubs/nowhere/volunteer"):  # fmt: skip
        resp = await app_client.get(path, headers=HTML)
        text = await resp.text()
        assert resp.status == 404, path
        for secret in SECRET_WORDS:
            assert secret not in text
    page = await (await app_client.get("/hubs/sandy/volunteer", headers=HTML)).text()
    resp = await app_client.post("/hubs/sandy/volunteer/me/" + "A" * 43,
                                 data=form_data(GOOD, csrf_of(page)))  # fmt: skip
    assert resp.status == 404


async def test_the_record_never_reaches_a_public_page_or_document(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await post_signup(app_client, GOOD)
    for path, accept in (
        ("/hubs/sandy/volunteer", HTML),
        ("/hubs/sandy", HTML),
        ("/hubs/sandy", {"Accept": "application/activity+json"}),
        ("/hubs/sandy/outbox", {"Accept": "application/activity+json"}),
        ("/hubs/sandy/feed.atom", HTML),
        ("/", HTML),
        ("/directory", HTML),
    ):
        text = await (await app_client.get(path, headers=accept)).text()
        for secret in SECRET_WORDS:
            assert secret not in text, (path, secret)


# Hostile input: refused with the field named, everything typed kept, nothing stored


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "name: required"),
    ({"name": "x" * 121}, "name: at most 120 characters"),
    ({"email": "", "phone": ""}, "email: give an e-mail address or a phone number"),
    ({"email": "ana@"}, "is not an e-mail address"),
    ({"email": "ana@example.org\r\nBcc: x@y.example"}, "is not an e-mail address"),
    ({"phone": "call me"}, "phone: &#39;call me&#39;: only digits"),
    ({"phone": "12345"}, "phone: a number has 6 to 20 digits"),
    ({"phone": "1" * 21}, "phone: a number has 6 to 20 digits"),
    ({"phone": "555 + 0100"}, "only digits"),
    ({"handle": "https://social.example/@ana"}, "handle: give your handle like @name@ex"),
    ({"handle": "ana"}, "is not a fediverse handle"),
    ({"handle": "@ana@<b>x.example"}, "is not a fediverse handle"),
    ({"handle": "@ana@x.example\nBcc"}, "is not a fediverse handle"),
    ({"languages": ["<script>"]}, "languages: &#39;&lt;script&gt;&#39; is not a language code"),
    ({"other_languages": "english"}, "languages: &#39;english&#39; is not a language code"),
    ({"skills": ["juggling"]}, "skills: unknown skill &#39;juggling&#39;"),
    ({"other_skills": "x" * 501}, "other_skills: at most 500 characters"),
    ({"avail.sa.morning": "", "avail.su.afternoon": ""}, "availability: tick at least one"),
    ({"avail.xx.morning": "yes"}, "availability: unknown time"),
    ({"area": " "}, "area: required"),
    ({"area": "y" * 121}, "area: at most 120 characters"),
    ({"transport": "rocket"}, "transport: choose one of the list"),
    ({"notes": "n" * 1001}, "notes: at most 1000 characters"),
    ({"consent": ""}, "consent: we can only take your details if you agree"),
    ({"consent_months": "120"}, "consent_months: choose how long"),
    ({"consent_months": "²"}, "consent_months: choose how long"),
])  # fmt: skip
async def test_bad_input_is_refused_with_the_field_named_and_nothing_lost(
    app_client: TestClient, services: Services, sandy: LocalActor,
    changes: dict[str, str | list[str]], message: str,
) -> None:  # fmt: skip
    typed = {**GOOD, "notes": "kept <as> typed", **changes}
    resp = await post_signup(app_client, typed)
    page = await resp.text()
    assert resp.status == 400, page
    assert 'role="alert"' in page and message in page
    assert await rows(services.db) == 0
    if "notes" not in changes:
        assert field_value(page, "notes") == "kept <as> typed"
    if "name" not in changes:
        assert field_value(page, "name") == "Ana Torres"
    if "skills" not in changes:
        assert ticked(page, "skills") == ["first_aid", "driving"]
    if "avail.sa.morning" not in changes:
        assert ticked(page, "avail.sa.morning") == ["yes"]


async def test_errors_read_in_spanish_on_a_spanish_page(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    app_client.session.cookie_jar.update_cookies({"lang": "es"})
    page = await (await app_client.get("/hubs/sandy/volunteer", headers=HTML)).text()
    assert "Acepto que me contacten sobre esta campaña" in page
    assert "Primeros auxilios" in page and "sábado" in page
    resp = await app_client.post("/hubs/sandy/volunteer", data=form_data(
        {**GOOD, "avail.sa.morning": "", "avail.su.afternoon": ""}, csrf_of(page)))  # fmt: skip
    assert resp.status == 400
    assert "availability: marca al menos un momento" in await resp.text()


def test_every_choice_of_the_form_reads_in_spanish() -> None:
    """The shared lists' labels are looked up at run time, so extraction does not find them."""
    spanish = load_catalogs().get("es").gettext
    labels = [label for _, label in SKILLS] + [label for _, label in DAYS]
    labels += [label for _, label, _ in PARTS] + [label for _, label in TRANSPORTS]
    assert [label for label in labels if spanish(label) == label] == []


async def test_nul_characters_are_refused_and_nothing_stored(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    resp = await post_signup(app_client, {**GOOD, "name": "Ana\x00Torres"})
    assert resp.status == 400 and "NUL" in await resp.text()
    assert signup.read_form({**GOOD, "notes": "a\x00b"}).notes == "ab"  # read alone: dropped
    assert await rows(services.db) == 0


async def test_the_honeypot_refuses_without_storing(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    resp = await post_signup(app_client, GOOD, homepage="https://spam.example")
    page = await resp.text()
    assert resp.status == 400 and "leave the last field empty" in page
    assert field_value(page, "name") == "Ana Torres"
    assert field_value(page, "homepage") == ""
    assert await rows(services.db) == 0


async def test_a_form_without_its_csrf_token_is_refused(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await app_client.get("/hubs/sandy/volunteer", headers=HTML)  # a session, but no token sent
    resp = await app_client.post("/hubs/sandy/volunteer", data=form_data(GOOD, "")[1:])
    assert resp.status == 403
    forged = await app_client.post("/hubs/sandy/volunteer", data=form_data(GOOD, "forged"))
    assert forged.status == 403
    assert await rows(services.db) == 0


@pytest.fixture
async def client_with_limit(
    instance_config: Config,
) -> AsyncIterator[Callable[[int], Awaitable[TestClient]]]:
    """An app whose sign-ups per address and hour are `limit` (the bench raises it too)."""
    clients: list[TestClient] = []

    async def start(limit: int) -> TestClient:
        config = dataclasses.replace(instance_config, volunteer_signups_per_address_hour=limit)
        app: web.Application = create_app(config, run_workers=False)
        port = split_host_port(config.domain)[1]
        client = TestClient(TestServer(app, host="127.0.0.1", port=port))
        await client.start_server()
        clients.append(client)
        await make_hub(app[services_key].db, "sandy")
        return client

    yield start
    for client in clients:
        await client.close()


async def test_one_address_past_its_hourly_limit_gets_429_with_nothing_lost(
    client_with_limit: Callable[[int], Awaitable[TestClient]],
) -> None:
    client = await client_with_limit(3)
    db = client.app[services_key].db
    for n in range(3):
        resp = await post_signup(client, {**GOOD, "email": f"v{n}@example.org"})
        assert resp.status == 303
    # A refused form does not count; the fourth good one does not pass.
    assert (await post_signup(client, {**GOOD, "email": "bad@"})).status == 400
    resp = await post_signup(client, {**GOOD, "email": "v3@example.org"})
    page = await resp.text()
    assert resp.status == 429 and "3 sign-ups were sent from your address" in page
    assert field_value(page, "email") == "v3@example.org"
    assert await rows(db) == 3


async def test_the_limit_setting_is_checked_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await init_instance(tmp_path / "d", "localhost:8080", True)
    assert load_config(tmp_path / "d").volunteer_signups_per_address_hour == 20
    monkeypatch.setenv("FEDIHUB_VOLUNTEER_SIGNUPS_PER_ADDRESS_HOUR", "500")
    assert load_config(tmp_path / "d").volunteer_signups_per_address_hour == 500
    for bad in ("0", "-3", "many"):
        monkeypatch.setenv("FEDIHUB_VOLUNTEER_SIGNUPS_PER_ADDRESS_HOUR", bad)
        with pytest.raises(ConfigError):
            load_config(tmp_path / "d")


# Many at once


async def test_a_burst_of_concurrent_sign_ups_leaves_one_row_per_contact(
    client_with_limit: Callable[[int], Awaitable[TestClient]],
) -> None:
    client = await client_with_limit(10_000)
    db = client.app[services_key].db
    page = await (await client.get("/hubs/sandy/volunteer", headers=HTML)).text()
    csrf = csrf_of(page)

    async def one(n: int) -> int:
        contact = n % 50
        # Half by e-mail, half by phone, a third of them giving both.
        values = {**GOOD, "name": f"V{n}", "email": f"v{contact}@example.org" if contact % 2
                  else "", "phone": f"+1 555 01{contact:02d}" if contact % 2 == 0 or n % 3 == 0
                  else ""}  # fmt: skip
        resp = await client.post("/hubs/sandy/volunteer", data=form_data(values, csrf),
                                 allow_redirects=False)  # fmt: skip
        return resp.status

    statuses = await asyncio.gather(*(one(n) for n in range(200)))
    assert set(statuses) == {303}
    assert await rows(db) == 50
    assert await db.fetchval("SELECT count(DISTINCT token_hash) FROM volunteers") == 50


@pytest.fixture
async def two_processes(
    postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, Services, LocalActor]]:
    await init_instance(tmp_path / "d", "localhost:8080", True, database=postgres_url)
    config = load_config(tmp_path / "d")
    one = await open_services(config, registry())
    two = await open_services(config, registry())
    try:
        yield one, two, await make_hub(one.db, "sandy")
    finally:
        await close_services(one)
        await close_services(two)


def sign_up_of(n: int) -> SignUp:
    contact = n % 50
    return SignUp(
        name=f"V{n}", email=f"v{contact}@example.org" if contact % 2 else None,
        phone=f"555 01{contact:02d}", phone_key=f"55501{contact:02d}", handle=None,
        languages=("en",), skills=0, other_skills="", availability=slot(0, 0), area="Red Hook",
        transport="none", notes="", consent_months=1,
    )  # fmt: skip


async def test_two_processes_signing_up_the_same_contacts_make_one_row_each(
    two_processes: tuple[Services, Services, LocalActor],
) -> None:
    """Each process serialises its own writes; two on one PostgreSQL database race on the
    UNIQUEs (each contact is signed up by both at the same moment), and the loser updates the
    winner's row."""
    one, two, _ = two_processes
    for trial in range(5):  # each a new effort: the race is at every contact's first sign-up
        hub = await make_hub(one.db, f"flood{trial}")
        done = await asyncio.gather(*(
            service.sign_up(one if n // 50 % 2 else two, hub, sign_up_of(n)) for n in range(200)
        ))  # fmt: skip
        assert sum(d.created for d in done) == 50
        assert len({d.volunteer_id for d in done}) == 50
        assert await store.count(one.db, hub.id) == 50


async def test_read_form_takes_a_plain_mapping_and_availability_bits() -> None:
    values = {**GOOD, "avail.mo.night": "yes"}
    read = signup.read_form(values, language="es")
    assert read.availability == slot(0, len(PARTS) - 1) | slot(5, 0) | slot(6, 1)
    assert read.language == "es" and read.email == "ana@example.org"
    assert signup.read_form({**GOOD, "phone": " +44  (0)20 7946-0958 "}).phone_key == (
        "+4402079460958")  # fmt: skip
    assert signup.read_handle("Ana@Social.Example") == "@Ana@social.example"
    assert signup.read_handle("@ana@localhost:8080") == "@ana@localhost:8080"
