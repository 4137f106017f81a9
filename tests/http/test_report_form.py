"""Reports from anyone, through real HTTP: the /report form (signed in or not) about what we
hold, filed with the hub it shows in and the admins, remote moderators told, sent on to the
other server as a Flag from our instance actor with consent; received Flags about a hub's remote
member; the moderators' lists with their "take action" links; and each kind of abuse refused."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from jinja2.filters import do_urlencode

from fedihub.accounts.service import create_account, require_account
from fedihub.cli import main
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation import conduct
from fedihub.moderation.authority import local_moderator
from fedihub.network import store as network
from fedihub.newswire import service as newswire
from fedihub.newswire.fields import read_form
from fedihub.newswire.model import item_path
from fedihub.posts import service as posts
from fedihub.reports import store as report_store
from fedihub.reports.service import WEB_REPORTS_PER_HOUR
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteActor, RemoteServer
from tests.support.web import HTML, csrf_of, sign_in


async def handle(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass


async def deliver(app_client: TestClient) -> None:
    while await app_client.app[delivery_worker_key].run_once():
        pass


class Scene:
    """climate (run by ana) carries a post by mallory, a member from another server; mo, on a
    second server, moderates climate; housing is another hub, run by hal."""

    def __init__(self, mallory: RemoteActor, mo: RemoteActor, note: str) -> None:
        self.mallory, self.mo, self.note = mallory, mo, note


@pytest.fixture
async def scene(services: Services, remote: RemoteServer) -> Scene:
    for name, admin in (("ana", False), ("root", True), ("ben", False), ("hal", False)):
        await create_account(services.db, name, "correct horse", is_admin=admin)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    await create_hub(services.db, "housing", name="Housing",
                     organizer=await require_account(services.db, "hal"))  # fmt: skip
    climate = await require_hub(services.db, "climate")
    mallory = remote.add_actor("mallory", display_name="Mallory Spam")
    mo = remote.add_actor("mo", host_index=1)
    for actor in (mallory, mo):
        await services.resolver.actor(actor.id)
    note = f"{mallory.base_url}/notes/1"
    carried = {"id": note, "type": "Note", "attributedTo": mallory.id,
               "content": "<p>Buy cheap pills</p>"}  # fmt: skip
    await network.save(services.db, mallory.id, carried, 1.0)
    async with services.db.transaction() as tx:
        await groups.save_member(tx, climate.id, mallory.id, state="member", now=1.0)
        await groups.save_member(tx, climate.id, mo.id, state="member", role="moderator", now=1.0)
        await groups.record_reshare(tx, climate.id, note, mallory.id, f"{note}/boost", 1.0)
    remote.fetched.clear()
    return Scene(mallory, mo, note)


async def report_form(app_client: TestClient, about: str) -> tuple[int, str]:
    resp = await app_client.get(f"/report?about={quote(about, safe='')}", headers=HTML)
    return resp.status, await resp.text()


async def send(app_client: TestClient, about: str, comment: str, **fields: str) -> tuple[int, str]:
    status, page = await report_form(app_client, about)
    assert status == 200, page
    data = {"csrf": csrf_of(page), "about": about, "comment": comment, **fields}
    resp = await app_client.post("/report", data=data, headers=HTML, allow_redirects=False)
    return resp.status, await resp.text()


def activities(rows: list) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(r[0]) for r in rows]


async def test_anyone_reports_a_carried_post_which_reaches_the_hub_the_admins_and_its_server(
    app_client: TestClient, services: Services, remote: RemoteServer, scene: Scene
) -> None:
    status, page = await report_form(app_client, scene.note)
    assert status == 200 and "Buy cheap pills" in page and 'name="forward"' in page
    comment = "<script>alert(1)</script> Spam, <b>again</b>."
    status, _ = await send(app_client, scene.note, comment, contact="me@example.org",
                           forward="yes")  # fmt: skip
    assert status == 303
    rows = await services.db.fetchall(
        "SELECT hub_id, source, reporter_account, contact, comment, forward_consent,"
        " forwarded_at IS NOT NULL, objects FROM reports ORDER BY id"
    )
    climate = await require_hub(services.db, "climate")
    assert [tuple(r)[:7] for r in rows] == [
        (climate.id, "web", None, "me@example.org", comment, 1, 1),
        (None, "web", None, "me@example.org", comment, 1, 1),
    ]  # fmt: skip
    assert json.loads(rows[0][7]) == [scene.mallory.id, scene.note]  # the account first
    instance = f"{services.config.base_url}/actor"
    log = await services.db.fetchall("SELECT hub_id, action, target_uri FROM moderation_log")
    assert [tuple(r) for r in log] == [(None, "forward_report", scene.mallory.id)]

    await deliver(app_client)
    flags = [r for r in remote.received if r.activity["type"] == "Flag"]
    assert len(flags) == 1 and flags[0].signer and flags[0].signer.startswith(instance)
    assert flags[0].url == f"{remote.base_url(0)}/inbox"  # mallory's server's shared inbox
    flag = flags[0].activity
    assert (flag["actor"], flag["object"], flag["content"]) == (
        instance, [scene.mallory.id, scene.note], comment)  # fmt: skip
    told = [r.activity for r in remote.received if r.activity["type"] == "Create"]
    assert [t["object"]["to"] for t in told] == [[scene.mo.id]]  # climate's remote moderator
    assert "Spam, &lt;b&gt;again" in told[0]["object"]["content"]
    for sent in [r.activity for r in remote.received]:  # the reporter's contact stays here
        assert "me@example.org" not in json.dumps(sent)

    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "someone not signed in" in page and "me@example.org" in page
    report_id = await services.db.fetchval("SELECT min(id) FROM reports")
    obj, actor = do_urlencode(scene.note), do_urlencode(scene.mallory.id)
    assert f"/hubs/climate/moderate/post?object={obj}&amp;report={report_id}" in page
    assert f"/hubs/climate/moderate/person?actor={actor}&amp;report={report_id}" in page
    assert "Buy cheap pills" in page and "Sent on to its server." in page
    assert await sign_in(app_client, "root") == 303
    admin = await (await app_client.get("/admin", headers=HTML)).text()
    admins = report_id + 1
    host = do_urlencode(f"127.0.0.1:{remote.ports[0]}")
    for link in (f"/admin/moderate/person?actor={actor}&amp;report={admins}",
                 f"/admin/blocks?actor={actor}&amp;report={admins}",
                 f"/admin/blocks?domain={host}&amp;report={admins}"):  # fmt: skip
        assert link in admin, link
    # Nothing of the reporter on the public pages.
    for path in ("/hubs/climate", "/report?about=" + quote(scene.note, safe="")):
        assert "me@example.org" not in await (await app_client.get(path, headers=HTML)).text()
    assert remote.fetched == []  # a report fetches nothing


async def test_a_report_about_our_own_post_goes_to_its_hub_only_and_is_never_sent_on(
    app_client: TestClient, services: Services, remote: RemoteServer, scene: Scene
) -> None:
    climate = await require_hub(services.db, "climate")
    ana = await require_account(services.db, "ana")
    post = await posts.publish(services, climate, ana, "update", "Buses at noon.")
    uri = f"{climate.uri(services.config.base_url)}/posts/{post.id}"
    page = await (await app_client.get(f"/hubs/climate/posts/{post.id}", headers=HTML)).text()
    assert f"/report?about={do_urlencode(uri)}" in page
    status, form = await report_form(app_client, uri)
    assert status == 200 and 'name="forward"' not in form  # ours: nowhere else to send it
    assert await sign_in(app_client, "ben") == 303
    assert (await send(app_client, uri, "Wrong time.", forward="yes"))[0] == 303
    rows = await services.db.fetchall(
        "SELECT r.hub_id, a.username, r.forward_consent, r.forwarded_at FROM reports r"
        " JOIN local_actors a ON a.id = r.reporter_account"
    )
    assert [tuple(r) for r in rows] == [(climate.id, "ben", 0, None)]
    sent = await services.db.fetchall("SELECT type FROM outbox_activities ORDER BY id")
    assert [r[0] for r in sent] == ["Create", "Create"]  # the post, and mo told: no Flag
    assert await sign_in(app_client, "ana") == 303
    manage = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert "Reported on this site by ben" in manage
    base = services.config.base_url
    for path in ("/hubs/climate", "/users/ana"):  # a Report link on hub and account pages
        page = await (await app_client.get(path, headers=HTML)).text()
        assert f"/report?about={do_urlencode(base + path)}" in page, path
    # About a hub itself: its organisers may be the trouble, so the admins see it too.
    assert await sign_in(app_client, "ben") == 303
    assert (await send(app_client, base + "/hubs/climate", "The hub is a scam."))[0] == 303
    scopes = await services.db.fetchall(
        "SELECT hub_id FROM reports WHERE comment = 'The hub is a scam.' ORDER BY id"
    )
    assert [r[0] for r in scopes] == [climate.id, None]
    assert await sign_in(app_client, "root") == 303
    admin = await (await app_client.get("/admin", headers=HTML)).text()
    assert "The hub is a scam." in admin and "Wrong time." not in admin  # the hub's alone
    assert 'href="/hubs/climate/manage#reports">climate (2)</a>' in admin  # yet counted


async def test_resolving_with_a_note_is_logged_and_another_hubs_moderator_is_refused(
    app_client: TestClient, services: Services, scene: Scene
) -> None:
    assert (await send(app_client, scene.note, "Spam."))[0] == 303
    report_id = await services.db.fetchval(
        "SELECT id FROM reports WHERE hub_id IS NOT NULL"
    )  # climate's
    assert await sign_in(app_client, "hal") == 303  # runs housing, not climate
    page = await (await app_client.get("/hubs/housing/manage", headers=HTML)).text()

    async def resolve(hub: str, note: str) -> int:
        form = {"csrf": csrf_of(page), "report": str(report_id), "resolution": note}
        resp = await app_client.post(f"/hubs/{hub}/manage/report", data=form, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        return resp.status

    assert await resolve("climate", "Mine now.") == 403  # not hal's hub
    assert await resolve("housing", "Mine now.") == 404  # not housing's report
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert await resolve("climate", "Nothing wrong: a joke between members.") == 303
    log = await services.db.fetchall(
        "SELECT hub_id, action, reason, report_id, by_label FROM moderation_log"
    )
    climate = await require_hub(services.db, "climate")
    assert [tuple(r) for r in log] == [
        (climate.id, "resolve_report", "Nothing wrong: a joke between members.", report_id, "ana")
    ]  # fmt: skip
    resolution = await services.db.fetchval(
        "SELECT resolution FROM reports WHERE id = ?", (report_id,)
    )
    assert resolution == "Nothing wrong: a joke between members."


@pytest.mark.parametrize(
    ("about", "status"),
    [("javascript:alert(1)", 400), ("http://10.0.0.1/notes/1", 400),
     ("http://169.254.169.254/latest/meta-data", 400), ("data:text/html,x", 400),
     ("https://" + "x" * 3000 + ".example/", 400), ("", 400)],
)  # fmt: skip
async def test_a_report_form_about_no_web_address_of_ours_says_so_and_fetches_nothing(
    app_client: TestClient, remote: RemoteServer, about: str, status: int
) -> None:
    got, page = await report_form(app_client, about)
    assert got == status and "not the address of a post, account or hub" in page
    assert 'name="comment"' not in page
    assert remote.fetched == []


async def test_a_report_about_something_unknown_fetches_nothing(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    stranger = remote.add_actor("stranger")  # fetchable, so a fetch would be seen
    remote.publish({"id": f"{remote.base_url()}/notes/9", "type": "Note",
                    "attributedTo": stranger.id, "content": "hi"})  # fmt: skip
    for unknown in (stranger.id, f"{remote.base_url()}/notes/9",
                    f"{services.config.base_url}/hubs/nobody"):  # fmt: skip
        status, page = await report_form(app_client, unknown)
        assert status == 404 and "nothing here to report" in page
    assert remote.fetched == []


async def test_forged_empty_and_huge_reports_are_refused_and_what_was_typed_is_kept(
    app_client: TestClient, services: Services, scene: Scene
) -> None:
    status, page = await report_form(app_client, scene.note)
    no_csrf = await app_client.post("/report", data={"about": scene.note, "comment": "x"},
                                    headers=HTML)  # fmt: skip
    assert no_csrf.status == 403
    wrong_csrf = {"csrf": "forged", "about": scene.note, "comment": "x"}
    assert (await app_client.post("/report", data=wrong_csrf, headers=HTML)).status == 403
    huge = "y" * 5001
    status, page = await send(app_client, scene.note, huge, contact="call me")
    assert status == 400 and "at most 5000 characters" in page and huge in page
    assert "call me" in page  # nothing typed is lost
    status, page = await send(app_client, scene.note, "   ")
    assert status == 400 and "say what is wrong" in page
    status, page = await send(app_client, scene.note, "ok", contact="x" * 300)
    assert status == 400
    assert await services.db.fetchval("SELECT count(*) FROM reports") == 0


async def test_the_sixth_report_in_an_hour_is_refused_for_an_account_and_for_an_address(
    app_client: TestClient, services: Services, scene: Scene
) -> None:
    for n in range(WEB_REPORTS_PER_HOUR):
        assert (await send(app_client, scene.note, f"anonymous {n}"))[0] == 303
    status, page = await send(app_client, scene.note, "one too many")
    assert status == 429 and "last hour" in page and "one too many" in page
    assert await sign_in(app_client, "ben") == 303  # an account counts on its own
    for n in range(WEB_REPORTS_PER_HOUR):
        assert (await send(app_client, scene.mallory.id, f"ben {n}"))[0] == 303
    status, page = await send(app_client, scene.mallory.id, "ben again")
    assert status == 429 and "you have sent 5 reports" in page
    made = await services.db.fetchval("SELECT count(DISTINCT activity_uri) FROM reports")
    assert made == 2 * WEB_REPORTS_PER_HOUR


def flag(reporter: RemoteActor, n: int, objects: object, content: str = "Spam.") -> dict:  # type: ignore[type-arg]
    return {**load("mastodon-flag-from-instance-actor"), "id": f"{reporter.id}/flags/{n}",
            "actor": reporter.id, "object": objects, "content": content}  # fmt: skip


async def test_a_flag_about_a_hubs_remote_member_reaches_that_hub_and_admins_forward_it(
    app_client: TestClient, services: Services, remote: RemoteServer, scene: Scene
) -> None:
    other = remote.add_actor("actor", host_index=1, actor_type="Application")
    inbox = f"{services.config.base_url}/inbox"
    about = [scene.mallory.id, scene.note]
    assert (await remote.post(inbox, flag(other, 1, about), other)).status == 202
    stranger = f"{remote.base_url(1)}/users/nobody-here"  # in none of our hubs: not ours
    assert (await remote.post(inbox, flag(other, 2, [stranger]), other)).status == 202
    await handle(app_client)
    climate, housing = [await require_hub(services.db, h) for h in ("climate", "housing")]
    assert [r.objects for r in await report_store.open_reports(services.db, climate.id)] == [
        tuple(about)]  # fmt: skip
    assert await report_store.open_reports(services.db, housing.id) == []
    (for_admins,) = await report_store.open_reports(services.db, None)
    await deliver(app_client)
    told = [r.activity for r in remote.received if r.activity["type"] == "Create"]
    assert [t["object"]["to"] for t in told] == [[scene.mo.id]]

    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["reports", *args, "--data", data_dir])

    assert await cli("forward", str(for_admins.id), "--as", "ana", "--reason", "x") == 1  # admins
    assert await sign_in(app_client, "root") == 303
    page = await (await app_client.get("/admin", headers=HTML)).text()
    assert "/admin/report/forward" in page
    form = {"csrf": csrf_of(page), "report": str(for_admins.id), "reason": "Their member spams."}
    resp = await app_client.post("/admin/report/forward", data=form, headers=HTML,
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    again = await app_client.post("/admin/report/forward", data=form, headers=HTML)
    assert again.status == 409  # once
    await deliver(app_client)
    flags = [r for r in remote.received if r.activity["type"] == "Flag"]
    assert [(f.url, f.activity["object"], f.activity["content"]) for f in flags] == [
        (f"{remote.base_url(0)}/inbox", about, "Spam.")]  # fmt: skip
    assert await cli("list") == 0


async def test_flags_from_a_blocked_or_forged_sender_and_floods_are_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    inbox = f"{services.config.base_url}/inbox"
    about = [scene.mallory.id]
    reporter = remote.add_actor("reporter", host_index=1, key="alice")
    forger = remote.add_actor("forger", host_index=1, key="mallory")
    forged = flag(reporter, 1, about)
    assert (await remote.post(inbox, forged, forger)).status == 401  # signed by someone else
    reporter_with_wrong_key = remote.add_actor("reporter2", host_index=1, key="alice")
    reporter_with_wrong_key.secret.private_key = forger.secret.private_key
    wrong_key = flag(reporter_with_wrong_key, 2, about)
    assert (await remote.post(inbox, wrong_key, reporter_with_wrong_key)).status == 401
    # One reporter's open reports are capped, whatever scopes they land in.
    monkeypatch.setattr(report_store, "MAX_OPEN_PER_REPORTER", 2)
    for n in range(3, 7):
        assert (await remote.post(inbox, flag(reporter, n, about), reporter)).status == 202
    await handle(app_client)
    filed = await services.db.fetchval("SELECT count(DISTINCT activity_uri) FROM reports")
    assert filed == 2
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES (?, 0)",
        (f"127.0.0.1:{remote.ports[1]}",),
    )
    await asyncio.sleep(0)
    services.blocked._read_at = None  # the block list is re-read at once, not within 5 s
    assert (await remote.post(inbox, flag(reporter, 9, about), reporter)).status == 403


async def test_the_reporter_may_name_a_clause_which_moderators_see_and_may_cite_resolving(
    app_client: TestClient, services: Services, scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    await conduct.set_code(services, root, None, "1. Be kind.\n2. No spam.\n")
    status, page = await report_form(app_client, scene.note)
    assert 'value="instance:2"' in page and "No spam" in page
    status, page = await send(app_client, scene.note, "Pills again.", clause="instance:9")
    assert status == 400 and "no clause instance:9" in page and "Pills again." in page
    assert (await send(app_client, scene.note, "Pills again.", clause="instance:2"))[0] == 303
    clauses = await services.db.fetchall("SELECT DISTINCT clause FROM reports")
    assert [r[0] for r in clauses] == ["Instance code v1 §2: No spam."]
    listing = ["reports", "list", "--hub", "climate", "--data", str(services.config.data_dir)]
    assert await asyncio.to_thread(main, listing) == 0
    listed = capsys.readouterr().out
    assert "\tweb\tanonymous\t" in listed and "Instance code v1 §2: No spam." in listed
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert "Clause named by the reporter: Instance code v1 §2: No spam." in page
    report_id = await services.db.fetchval("SELECT id FROM reports WHERE hub_id IS NOT NULL")
    form = {"csrf": csrf_of(page), "report": str(report_id), "resolution": "Post removed.",
            "clause": "instance:2"}  # fmt: skip
    resp = await app_client.post("/hubs/climate/manage/report", data=form, headers=HTML,
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    logged = await services.db.fetchall(
        "SELECT action, clause, reason FROM moderation_log WHERE action = 'resolve_report'"
    )
    assert [tuple(r) for r in logged] == [
        ("resolve_report", "Instance code v1 §2: No spam.", "Post removed.")]  # fmt: skip


async def test_consent_to_send_it_to_a_blocked_server_files_the_report_and_sends_nothing_there(
    app_client: TestClient, services: Services, remote: RemoteServer, scene: Scene
) -> None:
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES (?, 0)",
        (f"127.0.0.1:{remote.ports[0]}",),
    )
    services.blocked._read_at = None  # read the block list again now, not within 5 s
    assert (await send(app_client, scene.note, "Spam.", forward="yes"))[0] == 303
    rows = await services.db.fetchall("SELECT forward_consent, forwarded_at FROM reports")
    assert [tuple(r) for r in rows] == [(1, None), (1, None)]
    sent = await services.db.fetchall("SELECT type FROM outbox_activities")
    assert [r[0] for r in sent] == ["Create"]  # mo told; no Flag to the blocked server


async def test_a_newswire_item_is_reported_to_the_admins_who_edit_it(
    app_client: TestClient, services: Services, scene: Scene
) -> None:
    services.config = dataclasses.replace(services.config, newswire_review="none")
    item = await newswire.submit(services, read_form({"headline": "Free rent for all"}))
    page = await (await app_client.get(item_path(item.id), headers=HTML)).text()
    assert f"/report?about={do_urlencode(item.object_uri)}" in page
    status, form = await report_form(app_client, item.object_uri)
    assert status == 200 and "Free rent for all" in form
    assert (await send(app_client, item.object_uri, "A hoax."))[0] == 303
    scopes = await services.db.fetchall("SELECT hub_id FROM reports WHERE comment = 'A hoax.'")
    assert [r[0] for r in scopes] == [None]  # the instance's: its admins edit the newswire
