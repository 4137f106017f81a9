"""Actions on people that stick, on one real app with a loopback stand-in for another server:
a ban from the browser refuses a remote Follow and Join and tells their server; hostile and
careless attempts are refused (another hub's moderator, a non-admin suspending, banning the
organiser or oneself, no reason); a suspended account cannot sign in and its session ends;
a ban's expiry lifts it."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account, require_can_act_for
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.errors import Forbidden
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.moderation import log
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.sanctions import service as sanctions
from fedihub.moderation.sanctions.service import Sanction
from fedihub.reports import store as report_store
from fedihub.services import Services
from tests.http.test_run_hub import drain, flag, mention
from tests.support.remote import RemoteServer
from tests.support.web import HTML, csrf_of, sign_in

PERSON = "/hubs/climate/moderate/person"


@pytest.fixture
async def climate(services: Services) -> LocalActor:
    """climate (open), run by ana; housing, run by ben; root is an admin, bo a member."""
    for name, admin in (("ana", False), ("ben", False), ("root", True), ("bo", False)):
        await create_account(services.db, name, "correct horse", is_admin=admin)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    await create_hub(services.db, "housing", name="Housing",
                     organizer=await require_account(services.db, "ben"))  # fmt: skip
    return await require_hub(services.db, "climate")


def follow(actor, hub_uri: str, n: int) -> dict:  # type: ignore[no-untyped-def]
    return {"id": f"{actor.id}/follows/{n}", "type": "Follow", "actor": actor.id,
            "object": hub_uri}  # fmt: skip


async def page_of(client: TestClient, actor: str, report: int | None = None) -> str:
    query = f"?actor={quote(actor, safe='')}" + (f"&report={report}" if report else "")
    resp = await client.get(PERSON + query, headers=HTML)
    assert resp.status == 200
    return await resp.text()


def sent(remote: RemoteServer, kind: str) -> list[dict]:
    return [r.activity for r in remote.received if r.activity.get("type") == kind]


async def test_a_ban_from_the_browser_keeps_a_remote_member_out_and_tells_their_server(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia, mastodon = remote.add_actor("mia"), remote.add_actor("actor", actor_type="Application")
    hub_uri = climate.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", follow(mia, hub_uri, 1), mia)).status == 202
    flagged = flag(mastodon, 1, [hub_uri, mia.id], "Spam in the hub")
    assert (await remote.post(f"{services.config.base_url}/inbox", flagged, mastodon)).status == 202
    await drain(app_client)
    assert await membership.is_member(services, climate, mia.id)
    [report] = await report_store.open_reports(services.db, climate.id)
    remote.received.clear()

    assert await sign_in(app_client, "ana") == 303
    page = await page_of(app_client, mia.id, report.id)
    assert f'name="report" value="{report.id}"' in page and "Ban from this hub" in page
    banned = await app_client.post(PERSON, allow_redirects=False, data={
        "csrf": csrf_of(page), "actor": mia.id, "action": "ban", "report": str(report.id),
        "reason": "Spam, again", "days": "30"})  # fmt: skip
    assert banned.status == 303 and "done=ban" in banned.headers["Location"]
    await drain(app_client)
    [reject] = sent(remote, "Reject")
    assert reject["object"]["id"] == f"{mia.id}/follows/1" and reject["actor"] == hub_uri
    [block] = sent(remote, "Block")
    assert (block["actor"], block["object"], block["target"], block["summary"]) == (
        f"{services.config.base_url}/users/ana", mia.id, hub_uri, "Spam, again")  # fmt: skip
    assert "expires" in block
    [told] = sent(remote, "Create")
    assert told["object"]["to"] == [mia.id] and "Spam, again" in told["object"]["content"]
    assert not await membership.is_member(services, climate, mia.id)
    assert await report_store.open_reports(services.db, climate.id) == []  # answered by the ban
    [entry] = await log.recent(services.db, climate.id)
    assert (entry.action, entry.reason, entry.report_id) == ("ban", "Spam, again", report.id)

    # Back again: a Follow and a Join are refused at the inbox; a post is neither carried
    # nor held; a reply under the hub's post is not kept.
    for n, kind in ((2, "Follow"), (3, "Join")):
        again = {**follow(mia, hub_uri, n), "type": kind}
        assert (await remote.post(f"{hub_uri}/inbox", again, mia)).status == 403, kind
    post = mention(mia, hub_uri, "<p>Buy my bikes</p>")
    assert (await remote.post(f"{hub_uri}/inbox", post, mia)).status == 202
    await drain(app_client)
    assert sent(remote, "Announce") == []
    assert await groups.queued(services.db, climate.id) == []
    page = await page_of(app_client, mia.id)
    assert "Banned from this hub." in page and "Lift the ban" in page

    # A Follow stored before the ban (it arrived, then she was banned) is answered Reject.
    await sanctions.unban(services, await _by(services, "ana", climate), climate, mia.id,
                          Sanction("Apologised"))  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", follow(mia, hub_uri, 4), mia)).status == 202
    await sanctions.ban(services, await _by(services, "ana", climate), climate, mia.id,
                        Sanction("Again"))  # fmt: skip
    remote.received.clear()
    await drain(app_client)
    assert [r["object"]["id"] for r in sent(remote, "Reject")] == [f"{mia.id}/follows/4"]
    assert sent(remote, "Accept") == []


async def _by(services: Services, name: str, hub: LocalActor | None):  # type: ignore[no-untyped-def]
    return await local_moderator(services, await require_account(services.db, name), hub)


async def test_moderators_act_only_where_they_may(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia = remote.add_actor("mia")
    await membership.set_member(services, climate, mia.id)
    ana = f"{services.config.base_url}/users/ana"
    # ben runs housing, not climate: the page and the form are refused, with his own token.
    assert await sign_in(app_client, "ben") == 303
    token = csrf_of(await (await app_client.get("/hubs/housing/manage", headers=HTML)).text())
    assert (await app_client.get(f"{PERSON}?actor={quote(mia.id)}", headers=HTML)).status == 403
    refused = await app_client.post(PERSON, headers=HTML, data={
        "csrf": token, "actor": mia.id, "action": "ban", "reason": "Mine now"})  # fmt: skip
    assert refused.status == 403
    # A non-admin may not suspend.
    assert (await app_client.get(f"/admin/moderate/person?actor={quote(ana)}",
                                 headers=HTML)).status == 403  # fmt: skip
    suspend = await app_client.post("/admin/moderate/person", headers=HTML, data={
        "csrf": token, "actor": ana, "action": "suspend", "reason": "Coup"})  # fmt: skip
    assert suspend.status == 403
    assert (await require_account(services.db, "ana")).suspension is None
    # The same from the command line.
    cli = await asyncio.to_thread(_cli, services, "hub", "ban", "climate", mia.id, "--as", "ben",
                                  "--reason", "Mine now")  # fmt: skip
    assert cli == 1
    assert await asyncio.to_thread(_cli, services, "account", "suspend", "ana", "--as", "ben",
                                   "--reason", "Coup") == 1  # fmt: skip
    assert await membership.is_member(services, climate, mia.id)

    # ana may not ban herself (the organiser), nor may a moderator ban her.
    assert await sign_in(app_client, "ana") == 303
    page = await page_of(app_client, ana)
    for fields in ({"action": "ban"}, {"action": "warn"}, {"action": "remove"}):
        own = await app_client.post(PERSON, headers=HTML, data={
            "csrf": csrf_of(page), "actor": ana, "reason": "Test", **fields})  # fmt: skip
        assert own.status == 403, fields
    await membership.set_member(services, climate, f"{services.config.base_url}/users/bo",
                                role="moderator")  # fmt: skip
    bo = await _by(services, "bo", climate)
    with pytest.raises(Forbidden):
        await sanctions.ban(services, bo, climate, ana, Sanction("Take over"))

    # No reason: refused, what was typed stays, nothing sent or recorded.
    remote.received.clear()
    empty = await app_client.post(PERSON, headers=HTML, data={
        "csrf": csrf_of(page), "actor": mia.id, "action": "ban", "reason": "  ",
        "days": "7"})  # fmt: skip
    text = await empty.text()
    assert empty.status == 400 and "say why" in text and 'value="7"' in text
    for days in ("0", "-3", "9999", "x"):
        bad = await app_client.post(PERSON, headers=HTML, data={
            "csrf": csrf_of(page), "actor": mia.id, "action": "ban", "reason": "Spam",
            "days": days})  # fmt: skip
        assert bad.status == 400, days
    forged = await app_client.post(PERSON, headers=HTML, data={
        "actor": mia.id, "action": "ban", "reason": "Spam"})  # fmt: skip
    assert forged.status == 403  # no CSRF token
    await drain(app_client)
    assert remote.received == []
    assert await log.recent(services.db, climate.id) == [] or all(
        e.action != "ban" for e in await log.recent(services.db, climate.id))  # fmt: skip
    assert await membership.is_member(services, climate, mia.id)


def _cli(services: Services, *args: str) -> int:
    from fedihub.cli import main

    return main([*args, "--data", str(services.config.data_dir)])


async def test_a_suspended_account_cannot_sign_in_or_act_and_its_session_ends(
    app_client: TestClient, services: Services, climate: LocalActor
) -> None:
    assert await sign_in(app_client, "ana") == 303
    assert (await app_client.get("/hubs/climate/manage", headers=HTML)).status == 200
    root = await _by(services, "root", None)
    ana = await require_account(services.db, "ana")
    entry = await sanctions.suspend(services, root, ana, Sanction("Doxxing a member"))
    # The session she had no longer works; nor does signing in again.
    assert (await app_client.get("/hubs/climate/manage", headers=HTML,
                                 allow_redirects=False)).status == 302  # fmt: skip
    page = await app_client.get("/signin", headers=HTML)
    resp = await app_client.post("/signin", headers=HTML, allow_redirects=False, data={
        "csrf": csrf_of(await page.text()), "username": "ana",
        "password": "correct horse"})  # fmt: skip
    text = await resp.text()
    assert resp.status == 403 and "Doxxing a member" in text
    assert f'href="/moderation/{entry}/appeal"' in text and "Set-Cookie" not in resp.headers
    with pytest.raises(Forbidden):  # posting as any hub (web, CLI) goes through this
        await require_can_act_for(services.db, await require_account(services.db, "ana"), climate)
    assert (await app_client.get("/users/ana", headers={"Accept": "application/activity+json"})
            ).status == 200  # fmt: skip
    with pytest.raises(Forbidden):  # an admin cannot suspend themself
        await sanctions.suspend(services, root, await require_account(services.db, "root"),
                                Sanction("Oops"))  # fmt: skip

    # From the admin's page: unsuspended, and she signs in again.
    assert await sign_in(app_client, "root") == 303
    admin_page = await (await app_client.get(
        f"/admin/moderate/person?actor={quote(ana.actor.uri(services.config.base_url))}",
        headers=HTML)).text()  # fmt: skip
    assert "Lift the suspension" in admin_page
    lifted = await app_client.post("/admin/moderate/person", allow_redirects=False, data={
        "csrf": csrf_of(admin_page), "actor": ana.actor.uri(services.config.base_url),
        "action": "unsuspend", "reason": "Appeal upheld"})  # fmt: skip
    assert lifted.status == 303
    assert await sign_in(app_client, "ana") == 303
    assert [e.action for e in await log.recent(services.db, None)] == ["unsuspend", "suspend"]


async def test_a_ban_expires(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia = remote.add_actor("mia")
    await membership.set_member(services, climate, mia.id)
    services.clock = clock = FixedClock(time.time())
    await sanctions.ban(services, await _by(services, "ana", climate), climate, mia.id,
                        Sanction("Cool off"), days=1)  # fmt: skip
    assert await membership.join_received(services, climate, mia.id, f"{mia.id}/j/1") == "refused"
    clock.advance(86_401)
    assert not await sanctions.banned(services, climate, mia.id)
    assert await membership.join_received(services, climate, mia.id, f"{mia.id}/j/2") == "member"


async def test_removing_tells_the_server_roles_are_logged_and_a_banned_account_cannot_join(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia = remote.add_actor("mia")
    hub_uri = climate.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", follow(mia, hub_uri, 1), mia)).status == 202
    await drain(app_client)
    remote.received.clear()
    assert await sign_in(app_client, "ana") == 303
    token = csrf_of(await (await app_client.get("/hubs/climate/manage", headers=HTML)).text())
    bo = f"{services.config.base_url}/users/bo"
    role = await app_client.post("/hubs/climate/manage/member", allow_redirects=False, data={
        "csrf": token, "actor": bo, "action": "role", "role": "moderator"})  # fmt: skip
    assert role.status == 303
    removed = await app_client.post("/hubs/climate/manage/member", allow_redirects=False, data={
        "csrf": token, "actor": mia.id, "action": "remove", "confirm": "yes",
        "reason": "Asked to leave"})  # fmt: skip
    assert removed.status == 303
    await drain(app_client)
    [reject] = sent(remote, "Reject")
    assert reject["object"]["id"] == f"{mia.id}/follows/1"
    assert sent(remote, "Block") == []  # removed, not banned: she may come back
    entries = await log.recent(services.db, climate.id)
    assert [(e.action, e.reason) for e in entries] == [
        ("remove_member", "Asked to leave"), ("role_change", "")]  # fmt: skip
    assert entries[1].target_label.endswith("none → moderator")
    assert (await remote.post(f"{hub_uri}/inbox", follow(mia, hub_uri, 2), mia)).status == 202
    page = await page_of(app_client, mia.id)
    warned = await app_client.post(PERSON, allow_redirects=False, data={
        "csrf": csrf_of(page), "actor": mia.id, "action": "warn",
        "reason": "Keep it on topic <b>please</b>"})  # fmt: skip
    assert warned.status == 303
    remote.received.clear()
    await drain(app_client)
    [told] = [c for c in sent(remote, "Create") if c["object"]["to"] == [mia.id]]
    assert "Keep it on topic &lt;b&gt;please&lt;/b&gt;" in told["object"]["content"]
    assert (await log.recent(services.db, climate.id))[0].action == "warn"

    # An account here, banned, is told so when it tries to join or follow from the hub's page.
    await sanctions.ban(services, await _by(services, "ana", climate), climate, bo,
                        Sanction("Harassment"))  # fmt: skip
    assert await sign_in(app_client, "bo") == 303
    page = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    for path in ("join", "follow"):
        refused = await app_client.post(f"/hubs/climate/{path}", headers=HTML,
                                         data={"csrf": csrf_of(page)})  # fmt: skip
        assert refused.status == 403 and "have banned you" in await refused.text(), path
    assert await membership.role_of(services, climate, bo) is None


async def test_a_ban_holds_when_a_followed_account_boosts_the_banned_persons_post(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    """The hub passes on what the accounts it follows boost (reshare: all); a banned person's
    post boosted by one of them is not carried, while another person's is."""
    await groups.set_hub_settings(services.db, climate.id, reshare_policy="all")
    relay = remote.add_actor("relay", actor_type="Group")
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, 'f', 'accepted', 0)", (climate.id, relay.id)
    )
    zed, amy = remote.add_actor("zed", host_index=1), remote.add_actor("amy", host_index=1)
    ana = await local_moderator(services, await require_account(services.db, "ana"), climate)
    await sanctions.ban(services, ana, climate, zed.id, Sanction("Harassment."))
    public = ["https://www.w3.org/ns/activitystreams#Public"]
    for n, who in enumerate((zed, amy)):
        note = f"{who.id}/notes/{n}"
        remote.publish({"id": note, "type": "Note", "attributedTo": who.id, "content": "<p>hi</p>",
                        "to": public})  # fmt: skip
        boost = {"id": f"{relay.id}/boosts/{n}", "type": "Announce", "actor": relay.id,
                 "object": note, "to": public}  # fmt: skip
        assert (await remote.post(f"{services.config.base_url}/inbox", boost, relay)).ok
    await drain(app_client)
    carried = await services.db.fetchall(
        "SELECT object_uri FROM reshares WHERE hub_id = ?", (climate.id,)
    )
    assert [row[0] for row in carried] == [f"{amy.id}/notes/1"]


async def test_a_moderator_does_not_act_on_another_and_a_suspended_one_not_at_all(
    services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    base = services.config.base_url
    zed, max_ = remote.add_actor("zed"), remote.add_actor("max")
    await membership.set_member(services, climate, f"{base}/users/bo", role="moderator")
    await membership.set_member(services, climate, max_.id, role="moderator")
    bo = await require_account(services.db, "bo")
    as_bo = await local_moderator(services, bo, climate)
    with pytest.raises(Forbidden, match="only the organisers"):
        await sanctions.ban(services, as_bo, climate, max_.id, Sanction("Rival."))
    await sanctions.warn(services, as_bo, climate, zed.id, Sanction("Off topic."))  # a member: yes
    ana = await local_moderator(services, await require_account(services.db, "ana"), climate)
    await sanctions.remove_member(services, ana, climate, max_.id, Sanction("Stepped down."))
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    await sanctions.suspend(services, root, bo, Sanction("Threats."))
    with pytest.raises(Forbidden, match="suspended"):
        await local_moderator(services, await require_account(services.db, "bo"), climate)
