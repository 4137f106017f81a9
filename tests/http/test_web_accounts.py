"""The web's accounts and organisers' forms, through real HTTP: sign-up by mode, sign-in and
its throttle, CSRF refusals, password change and reset, and an organiser of one hub who cannot
post in or edit another."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from fedihub.accounts import sessions
from fedihub.accounts.service import create_account, require_account
from fedihub.hubs import service as hubs
from fedihub.hubs.service import create_hub
from fedihub.keys import services_key
from fedihub.kinds import registry
from fedihub.posts import service as posts
from fedihub.services import Services, services_for
from tests.support.network import free_port
from tests.support.web import AP, HTML, csrf_of, form_token, sign_in


@pytest.fixture
async def two_hubs(services: Services) -> None:
    for name in ("ana", "ben"):
        await create_account(services.db, name, "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    ben = await require_account(services.db, "ben")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)
    await create_hub(services.db, "housing", name="Housing", organizer=ben)


def set_signup(app_client: TestClient, mode: str) -> None:
    svc = app_client.app[services_key]
    svc.config = replace(svc.config, signup_mode=mode)


async def test_a_form_without_its_csrf_token_is_refused(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    for data in ({}, {"csrf": "forged"}):
        data = {**data, "username": "ana", "password": "correct horse"}
        resp = await app_client.post("/signin", data=data, headers=HTML)
        assert resp.status == 403 and "did not come from this site" in await resp.text()
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/climate/compose")
    text = "Buses at noon."
    refused = await app_client.post("/hubs/climate/compose", data={"kind": "update", "text": text})
    assert refused.status == 403
    assert await services.db.fetchval("SELECT count(*) FROM posts") == 0
    data = {"csrf": token, "kind": "update", "text": text}
    posted = await app_client.post("/hubs/climate/compose", data=data, allow_redirects=False)
    assert posted.status == 303 and posted.headers["Location"].startswith("/hubs/climate/posts/")


async def test_sign_in_is_throttled_after_five_failures(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    for _ in range(sessions.MAX_FAILURES):
        assert await sign_in(app_client, "ana", "wrong password") == 401
    assert await sign_in(app_client, "ana", "wrong password") == 429
    assert await sign_in(app_client, "ana") == 429  # even the right one, until the window ends
    assert await sign_in(app_client, "ben") == 303  # others at the same address are not locked
    await services.db.execute("UPDATE sign_in_failures SET at = at - 3600")
    assert await sign_in(app_client, "ana") == 303
    for n in range(sessions.MAX_FAILURES_PER_ADDRESS):  # one address trying many names
        assert await sign_in(app_client, f"guess{n}", "wrong password") == 401
    assert await sign_in(app_client, "ben") == 429


def put_behind_proxy(app_client: TestClient) -> None:
    svc = app_client.app[services_key]
    svc.config = replace(svc.config, behind_proxy=True)


async def sign_in_from(
    app_client: TestClient, address: str, username: str, password: str = "correct horse"
) -> ClientResponse:
    """A sign-in that the proxy says came from `address` (the app is `behind_proxy`)."""
    token = await form_token(app_client, "/signin")
    data = {"csrf": token, "username": username, "password": password}
    headers = {**HTML, "X-Forwarded-For": f"203.0.113.9, {address}"}  # the proxy's is last
    resp = await app_client.post("/signin", data=data, headers=headers, allow_redirects=False)
    await resp.read()
    return resp


async def test_sign_in_counts_an_ipv6_visitor_by_its_64(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    put_behind_proxy(app_client)
    for n in range(sessions.MAX_FAILURES):  # a new address of the same /64 for every guess
        address = f"2001:db8:1:2::{n + 1:x}"
        assert (await sign_in_from(app_client, address, "ana", "wrong")).status == 401
    assert (await sign_in_from(app_client, "2001:db8:1:2::ffff", "ana")).status == 429
    assert (await sign_in_from(app_client, "2001:db8:1:3::1", "ana")).status == 303  # next /64
    await services.db.execute("UPDATE sign_in_failures SET at = at - 3600")
    for n in range(sessions.MAX_FAILURES_PER_ADDRESS):  # many names, many addresses, one /64
        address = f"2001:db8:1:2:{n:x}:{n:x}::1"
        assert (await sign_in_from(app_client, address, f"guess{n}", "wrong")).status == 401
    assert (await sign_in_from(app_client, "2001:db8:1:2:ffff::9", "ben")).status == 429
    assert (await sign_in_from(app_client, "2001:db8:1:4::1", "ben")).status == 303
    await services.db.execute("UPDATE sign_in_failures SET at = at - 3600")
    for n in range(sessions.MAX_FAILURES):  # an IPv4 address is itself, mapped or not
        address = "10.0.0.1" if n % 2 else "::ffff:10.0.0.1"
        assert (await sign_in_from(app_client, address, "ben", "wrong")).status == 401
    assert (await sign_in_from(app_client, "10.0.0.1", "ben")).status == 429


async def test_a_guesser_rotating_addresses_meets_the_per_account_limit(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    put_behind_proxy(app_client)
    for n in range(sessions.MAX_FAILURES_PER_ACCOUNT):  # every guess from an address of its own
        for name, network in (("ana", 1), ("nobody", 2)):  # nobody has no account
            address = f"10.{network}.{n}.1"
            assert (await sign_in_from(app_client, address, name, "wrong")).status == 401
    existing = await sign_in_from(app_client, "10.9.9.9", "ana")  # the right password, too late
    missing = await sign_in_from(app_client, "10.9.9.8", "nobody", "correct horse")
    assert existing.status == missing.status == 429
    page = await existing.read()
    assert page == await missing.read()  # nothing tells a real name from a made-up one
    assert b"too many failed sign-ins" in page
    assert (await sign_in_from(app_client, "10.9.9.9", "ben")).status == 303  # others may
    await services.db.execute("UPDATE sign_in_failures SET at = at - 3600")  # the window passes
    assert (await sign_in_from(app_client, "10.1.0.1", "ana")).status == 303


async def test_an_organiser_of_one_hub_cannot_post_in_or_edit_another(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    housing = await services.db.fetchval("SELECT id FROM local_actors WHERE username = 'housing'")
    from fedihub.actors.store import get_actor_by_id

    hub = await get_actor_by_id(services.db, housing)
    assert hub is not None
    post = await posts.publish(services, hub, None, "update", "Rent strike.")
    assert await sign_in(app_client, "ana") == 303
    for path in ("/hubs/housing/compose", f"/hubs/housing/posts/{post.id}/edit"):
        resp = await app_client.get(path, headers=HTML)
        assert resp.status == 403 and "ana does not organise housing" in await resp.text()
    token = await form_token(app_client, "/hubs/climate/compose")  # a valid token of ana's
    for data in ({"kind": "update", "text": "Hijacked"},
                 {"kind": "update", "text": "Hijacked", "post_id": str(post.id)}):  # fmt: skip
        resp = await app_client.post("/hubs/housing/compose", data={"csrf": token, **data})
        assert resp.status == 403
    texts = [r[0] for r in await services.db.fetchall("SELECT source_markdown FROM posts")]
    assert texts == ["Rent strike."]
    anonymous = await app_client.post("/hubs/climate/compose", allow_redirects=False)
    assert anonymous.status in (302, 403)


async def test_sign_up_follows_the_instance_setting(
    app_client: TestClient, services: Services
) -> None:
    form = {"username": "cleo", "password": "long enough", "password_again": "long enough"}
    set_signup(app_client, "closed")
    assert "does not take sign-ups" in await (await app_client.get("/signup")).text()
    token = await form_token(app_client, "/signin")  # the session's token, for a forged post
    closed = await app_client.post("/signup", data={"csrf": token, **form}, headers=HTML)
    assert closed.status == 403
    set_signup(app_client, "invite")
    no_code = await app_client.post("/signup", data={"csrf": token, **form, "invite": "nope"})
    assert no_code.status == 403
    code = await sessions.create_invitation(services.db, services.clock, uses=1, days=1)
    weak = {**form, "password": "short", "password_again": "short", "invite": code}
    failed = await app_client.post("/signup", data={"csrf": token, **weak})
    assert failed.status == 400  # refused before the invitation is spent: it still works below
    invited = await app_client.post("/signup", allow_redirects=False,
                                    data={"csrf": token, **form, "invite": code})  # fmt: skip
    assert invited.status == 303 and invited.headers["Location"] == "/"
    again = await app_client.post("/signup", data={"csrf": token, **form, "username": "dan",
                                                   "invite": code})  # fmt: skip
    assert again.status == 403  # one use
    set_signup(app_client, "open")
    token = await form_token(app_client, "/signup")
    data = {"csrf": token, "username": "eve", "password": "short", "password_again": "short"}
    short = await app_client.post("/signup", data=data)
    assert short.status == 400 and "at least 8" in await short.text()


async def test_a_new_account_starts_a_hub_from_the_web(
    app_client: TestClient, services: Services
) -> None:
    set_signup(app_client, "open")
    token = await form_token(app_client, "/signup")
    password = {"password": "long enough", "password_again": "long enough"}
    await app_client.post("/signup", data={"csrf": token, "username": "fay", **password})
    token = await form_token(app_client, "/hubs/new")
    made = await app_client.post("/hubs/new", allow_redirects=False, data={
        "csrf": token, "slug": "relief", "name": "Storm relief", "summary": "Kitchens",
        "timezone": "America/New_York"})  # fmt: skip
    assert made.status == 303 and made.headers["Location"] == "/hubs/relief"
    preview = await app_client.post("/hubs/relief/compose", data={
        "csrf": token, "kind": "event", "preview": "1",
        "text": "---\ntitle: Kitchen\nstart: 2027-01-10 10:00\nend: 2027-01-10 09:00\n---\n",
    })  # fmt: skip
    assert preview.status == 400 and "ends before it starts" in await preview.text()
    assert await services.db.fetchval("SELECT count(*) FROM posts") == 0  # a preview stores nothing


async def test_a_hub_writes_in_several_languages_and_each_post_says_which(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/new")
    new = {"csrf": token, "slug": "ollas", "name": "Ollas comunes", "languages": "es en",
           "join_policy": "approval"}  # fmt: skip
    for bad, why in (("es klingon!", "a language tag such as"), ("", "at least one"),
                     (" ".join(["es"] * 11), "at most 10")):  # fmt: skip
        refused = await app_client.post("/hubs/new", data={**new, "languages": bad}, headers=HTML)
        assert refused.status == 400 and why in await refused.text(), bad
    for name, why in (("  ", "needs a display name"), ("x" * 201, "at most 200")):
        refused = await app_client.post("/hubs/new", data={**new, "name": name}, headers=HTML)
        assert refused.status == 400 and why in await refused.text(), why
    made = await app_client.post("/hubs/new", data=new, allow_redirects=False)
    assert made.status == 303
    hub = await hubs.require_hub(services.db, "ollas")
    assert (hub.languages, hub.language, hub.join_policy) == (("es", "en"), "es", "approval")
    dashboard = await app_client.get("/hubs/ollas", headers={**HTML, "Accept-Language": "es"})
    assert "escribe en español, inglés" in await dashboard.text()
    compose = await (await app_client.get("/hubs/ollas/compose", headers=HTML)).text()
    assert '<option value="es" lang="es" selected>Spanish</option>' in compose
    assert '<option value="en" lang="en">English</option>' in compose

    async def content_map(language: str | None, text: str) -> dict:
        data = {"csrf": token, "kind": "update", "text": text}
        if language:
            data["language"] = language
        posted = await app_client.post("/hubs/ollas/compose", data=data, allow_redirects=False)
        assert posted.status == 303
        doc = await (await app_client.get(posted.headers["Location"], headers=AP)).json(
            content_type=None
        )
        return doc["contentMap"]

    assert list(await content_map(None, "Olla en la plaza")) == ["es"]  # the hub's usual one
    assert list(await content_map("en", "Soup kitchen at noon")) == ["en"]  # chosen beside it
    said = "---\nlanguage: pt-BR\n---\nPanela na praça"
    assert list(await content_map("en", said)) == ["pt-BR"]  # the text's own front matter wins


async def test_password_change_and_a_one_time_reset_link(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/settings/password")
    changed = await app_client.post("/settings/password", data={
        "csrf": token, "current": "correct horse", "password": "battery staple",
        "password_again": "battery staple"})  # fmt: skip
    assert changed.status == 200 and "Your password is changed" in await changed.text()
    ana = await require_account(services.db, "ana")
    link = await sessions.create_reset(services.db, services.clock, ana.actor.id)
    token = await form_token(app_client, f"/reset/{link}")
    data = {"csrf": token, "password": "third password", "password_again": "third password"}
    reset = await app_client.post(f"/reset/{link}", allow_redirects=False, data=data)
    assert reset.status == 303
    used = await app_client.get(f"/reset/{link}", headers=HTML)
    assert used.status == 403  # once only
    assert await sign_in(app_client, "ana", "battery staple") == 401
    assert await sign_in(app_client, "ana", "third password") == 303


async def test_an_update_with_an_image_federates_it_with_its_alt_text(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    import io

    from aiohttp import FormData
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 10)).save(picture, "JPEG")
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/climate/compose")

    def form(alt: str) -> FormData:
        data = FormData()
        for name, value in (("csrf", token), ("kind", "update"), ("text", "The banner."),
                            ("alt", alt)):  # fmt: skip
            data.add_field(name, value)
        data.add_field("image", picture.getvalue(), filename="b.jpg", content_type="image/jpeg")
        return data

    no_alt = await app_client.post("/hubs/climate/compose", data=form(" "))
    assert no_alt.status == 400 and "Describe the image" in await no_alt.text()
    posted = await app_client.post("/hubs/climate/compose", data=form("A green banner"),
                                   allow_redirects=False)  # fmt: skip
    assert posted.status == 303
    note = await (await app_client.get(posted.headers["Location"],
                                       headers={"Accept": "application/activity+json"})).json(
        content_type=None)  # fmt: skip
    (image,) = note["attachment"]
    assert (image["type"], image["name"], image["mediaType"]) == (
        "Image", "A green banner", "image/jpeg")  # fmt: skip
    served = await app_client.get(image["url"].removeprefix(services.config.base_url))
    assert served.status == 200 and served.content_type == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    page = await (await app_client.get(posted.headers["Location"], headers=HTML)).text()
    assert 'alt="A green banner"' in page


async def test_pages_speak_the_visitors_language_and_the_switcher_remembers(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    spanish = await app_client.get("/hubs/climate", headers={**HTML, "Accept-Language": "es"})
    text = await spanish.text()
    assert '<html lang="es">' in text and "Sigue este espacio" in text
    assert spanish.headers["Content-Language"] == "es"
    english = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert '<html lang="en">' in english and "Follow this hub" in english
    switched = await app_client.get("/lang/es?next=/hubs/climate", allow_redirects=False)
    assert switched.status == 303 and switched.headers["Location"] == "/hubs/climate"
    after = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert "Sigue este espacio" in after  # the cookie wins over the browser's English
    for sneaky in ("//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example"):
        away = await app_client.get("/lang/es", params={"next": sneaky}, allow_redirects=False)
        assert away.headers["Location"] == "/", sneaky  # never sends anyone off-site


async def test_form_errors_speak_the_visitors_language(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    spanish = {**HTML, "Accept-Language": "es-MX,es;q=0.9"}
    refused = await app_client.post("/signin", data={"username": "ana"}, headers=spanish)
    assert refused.status == 403
    assert "este formulario ha caducado" in await refused.text()
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/climate/compose")
    text = "---\ntitle: Asamblea\nstart: 2026-12-01 19:00\nend: 2026-12-01 18:00\n---\nEn la plaza."
    data = {"csrf": token, "kind": "event", "text": text}
    resp = await app_client.post("/hubs/climate/compose", data=data, headers=spanish)
    page = await resp.text()
    assert resp.status == 400 and "end: el evento termina antes de empezar" in page
    assert "En la plaza." in page  # what was written comes back to be fixed, not lost
    english = await app_client.post("/hubs/climate/compose", data=data, headers=HTML)
    assert "end: the event ends before it starts" in await english.text()
    assert await services.db.fetchval("SELECT count(*) FROM posts") == 0


async def test_follow_from_your_own_server_sends_the_visitor_there(
    app_client: TestClient,
    services: Services,
    remote,
    two_hubs: None,  # type: ignore[no-untyped-def]
) -> None:
    alice = remote.add_actor("alice")
    host = alice.base_url.split("//")[1]
    resp = await app_client.get("/follow", params={"hub": "climate", "handle": f"@alice@{host}"},
                                allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    assert resp.headers["Location"] == (
        f"http://{host}/authorize_interaction?uri=climate@{services.config.domain}"
    )
    bad = await app_client.get("/follow", params={"hub": "climate", "handle": "not a handle"},
                               headers=HTML)  # fmt: skip
    assert bad.status == 400 and "Write your address as @name@your.server" in await bad.text()
    page = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert 'action="/follow"' in page and 'name="handle"' in page
    # Each look-up makes us fetch from the server named: one address gets a few a minute.
    looked_up = len(remote.webfinger_lookups)
    statuses = []
    for n in range(12):
        params = {"hub": "climate", "handle": f"@a{n}@{host}"}
        resp = await app_client.get("/follow", params=params, headers=HTML, allow_redirects=False)
        statuses.append(resp.status)
    assert statuses == [400] * 8 + [429] * 4  # 2 look-ups above; no such users on that server
    assert len(remote.webfinger_lookups) - looked_up == 8


async def test_follow_from_your_own_server_says_what_to_do_not_what_failed(
    app_client: TestClient, services: Services, two_hubs: None, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nobody listens there
    while str(port) in services.config.domain:
        port = free_port()
    caplog.set_level(logging.INFO)
    params = {"hub": "climate", "handle": f"@nobody@127.0.0.1:{port}"}
    resp = await app_client.get("/follow", params=params, headers=HTML, allow_redirects=False)
    page = await resp.text()
    assert resp.status == 400
    for internal in ("Error", "ClientConnector", "Cannot connect", "webfinger"):
        assert internal.lower() not in page.lower(), internal
    main = page.split("<main", 1)[1].split("</main>", 1)[0]  # the footer's links echo the URL
    assert str(port) not in main
    assert "We could not reach that server" in page
    assert f"searching for @climate@{services.config.domain} in your app" in page
    reasons = [r for r in caplog.records if "Cannot connect" in r.getMessage()]
    assert [r.levelno for r in reasons] == [logging.INFO]  # the operator still learns why
    for handle in ("not a handle", "@nobody", "nobody@", "@a@b@c"):
        params = {"hub": "climate", "handle": handle}
        resp = await app_client.get("/follow", params=params, headers=HTML)
        assert resp.status == 400 and "Write your address as @name@your.server" in await resp.text()
    spanish = {**HTML, "Accept-Language": "es"}
    resp = await app_client.get("/follow", params=params, headers=spanish)
    assert "Escribe tu dirección como @nombre@tu.servidor" in await resp.text()


async def test_organisers_run_their_hub_from_the_browser(
    app_client: TestClient,
    services: Services,
    remote,
    two_hubs: None,  # type: ignore[no-untyped-def]
) -> None:
    import io

    from aiohttp import FormData
    from PIL import Image

    from fedihub.groups import membership
    from fedihub.hubs.service import require_hub

    hub = await require_hub(services.db, "climate")
    sam = remote.add_actor("sam")
    await membership.set_member(services, hub, sam.id)
    assert await sign_in(app_client, "ben") == 303  # ben runs housing, not climate
    assert (await app_client.get("/hubs/climate/manage", headers=HTML)).status == 403
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert sam.id in page and "0 delivered, 0 waiting, 0 given up" in page
    token = csrf_of(page)
    avatar = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 0, 0)).save(avatar, "PNG")
    data = FormData()
    for name, value in (("csrf", token), ("name", "Climate strike"), ("summary", "Fridays"),
                        ("timezone", "Europe/Madrid"), ("languages", "es, pt-BR es"),
                        ("join_policy", "approval")):  # fmt: skip
        data.add_field(name, value)
    data.add_field("icon", avatar.getvalue(), filename="a.png", content_type="image/png")
    saved = await app_client.post("/hubs/climate/manage/settings", data=data,
                                  allow_redirects=False)  # fmt: skip
    assert saved.status == 303
    actor = await (await app_client.get("/hubs/climate",
                                        headers={"Accept": "application/activity+json"})).json(
        content_type=None)  # fmt: skip
    # An opaque PNG is re-encoded as a JPEG (only transparency keeps PNG).
    assert actor["name"] == "Climate strike" and actor["icon"]["mediaType"] == "image/jpeg"
    hub = await require_hub(services.db, "climate")
    assert (hub.timezone, hub.languages, hub.join_policy) == (
        "Europe/Madrid", ("es", "pt-BR"), "approval"
    )  # fmt: skip
    role = await app_client.post("/hubs/climate/manage/member", allow_redirects=False, data={
        "csrf": token, "actor": sam.id, "action": "role", "role": "moderator"})  # fmt: skip
    assert role.status == 303
    assert await membership.moderators(services, hub) == [
        f"{services.config.base_url}/users/ana", sam.id
    ]  # fmt: skip
    bad = await app_client.post("/hubs/climate/manage/settings", data={
        "csrf": token, "name": "x", "timezone": "Mars/Olympus"}, headers=HTML)  # fmt: skip
    assert bad.status == 400 and "unknown time zone" in await bad.text()
    for name, why in (("", "needs a display name"), ("x" * 201, "at most 200")):
        bad = await app_client.post("/hubs/climate/manage/settings", headers=HTML,
                                    data={"csrf": token, "name": name})  # fmt: skip
        assert bad.status == 400 and why in await bad.text(), why


async def test_the_admin_sets_up_the_instance_and_pages_stay_light(
    app_client: TestClient, services: Services, two_hubs: None
) -> None:
    await create_account(services.db, "root", "correct horse", is_admin=True)
    assert await sign_in(app_client, "ana") == 303
    assert (await app_client.get("/admin", headers=HTML)).status == 403
    assert await sign_in(app_client, "root") == 303
    page = await (await app_client.get("/admin", headers=HTML)).text()
    assert "ana" in page and "root" in page
    saved = await app_client.post("/admin", allow_redirects=False, data={
        "csrf": csrf_of(page), "instance_name": "Occupy Sandy hubs",
        "instance_summary": "Relief, together", "instance_rules": "- Be kind\n- No ads",
        "instance_contact": "relief@example.org", "signup_mode": "open"})  # fmt: skip
    assert saved.status == 303
    home = await (await app_client.get("/", headers=HTML)).text()
    assert "<h1>Occupy Sandy hubs</h1>" in home
    nodeinfo = await (await app_client.get("/nodeinfo/2.1")).json()
    assert nodeinfo["metadata"]["nodeName"] == "Occupy Sandy hubs"
    assert nodeinfo["openRegistrations"] is True
    about = await (await app_client.get("/about", headers=HTML)).text()
    assert "<li>Be kind</li>" in about and "relief@example.org" in about
    for path in ("/", "/hubs/climate", "/directory", "/signin", "/about", "/admin"):
        body = await (await app_client.get(path, headers=HTML)).read()
        assert len(body) < 100_000, f"{path} weighs {len(body)} bytes"


async def test_the_cli_reads_the_settings_an_admin_saved_in_the_browser(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "root", "correct horse", is_admin=True)
    assert await sign_in(app_client, "root") == 303
    token = csrf_of(await (await app_client.get("/admin", headers=HTML)).text())
    typed = {"csrf": token, "instance_name": "Relief hubs", "instance_summary": "",
             "instance_rules": "", "instance_contact": "", "signup_mode": "invite"}  # fmt: skip
    refusals = [("instance_name", "", "the instance needs a name"),
                ("signup_mode", "anyone", "sign-up: open, invite or closed"),
                ("instance_rules", "x" * 20_001, "at most 20000 characters")]  # fmt: skip
    for field, value, why in refusals:
        refused = await app_client.post("/admin", headers=HTML, data={**typed, field: value})
        assert refused.status == 400 and why in await refused.text(), why
    saved = await app_client.post("/admin", allow_redirects=False, data=typed)
    assert saved.status == 303
    async with services_for(services.config.data_dir, registry()) as cli:  # as every command
        assert (cli.config.instance_name, cli.config.signup_mode) == ("Relief hubs", "invite")
