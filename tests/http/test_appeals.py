"""Appeals through real HTTP: a person on another server answers a moderation notice and that
reply is their one appeal; an account here appeals on its page (with its password when it may
not sign in); another moderator of the same scope upholds or overturns, on the record, and the
person is told."""

from __future__ import annotations

import asyncio
import re

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.cli import main
from fedihub.groups import membership
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation import log, notices
from fedihub.moderation.appeals import service as appeals
from fedihub.moderation.appeals import store as appeal_store
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.blocking import service as blocking
from fedihub.moderation.sanctions import service as sanctions
from fedihub.moderation.sanctions.service import Sanction
from fedihub.services import Services
from tests.support.remote import RemoteActor, RemoteServer
from tests.support.web import HTML, csrf_of, form_token, sign_in

AS = "https://www.w3.org/ns/activitystreams"


async def handle(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass


async def people(services: Services) -> None:
    for name, admin in (("ana", False), ("root", True), ("rita", True), ("dee", False),
                        ("lo", False), ("mo", False)):  # fmt: skip
        await create_account(services.db, name, "correct horse", is_admin=admin)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    await create_hub(services.db, "housing", name="Housing",
                     organizer=await require_account(services.db, "dee"))  # fmt: skip


async def warn(services: Services, by: str, hub: str | None, target: str, action: str = "warn",
               person: RemoteActor | None = None) -> tuple[int, str | None]:  # fmt: skip
    """`by` takes `action` on `target` (telling them, if `person`): the log entry and notice."""
    where = await require_hub(services.db, hub) if hub else None
    moderator = await local_moderator(services, await require_account(services.db, by), where)
    told = await services.resolver.actor(person.id) if person else None
    sender = where
    async with services.db.transaction() as tx:
        entry = await log.record(tx, moderator, action, target_uri=target,  # type: ignore[arg-type]
                                 target_label="them", reason="Spam, three times.",
                                 now=services.clock.now())  # fmt: skip
        note = None
        if told is not None and sender is not None:
            note = await notices.tell(tx, services, sender, told, "<p>Please stop.</p>",
                                      about_entry=entry)  # fmt: skip
    return entry, note


def reply(actor: RemoteActor, n: int, in_reply_to: str, text: str, to: str) -> dict:  # type: ignore[type-arg]
    note = {"id": f"{actor.id}/statuses/{n}", "type": "Note", "attributedTo": actor.id,
            "inReplyTo": in_reply_to, "to": [to], "cc": [],
            "content": f"<p><span class=\"h-card\">@climate</span> {text}</p>"}  # fmt: skip
    return {"@context": AS, "id": f"{note['id']}/activity", "type": "Create", "actor": actor.id,
            "to": [to], "cc": [], "object": note}  # fmt: skip


async def decide(app_client: TestClient, path: str, token: str | None, appeal: int,
                 decision: str, note: str) -> tuple[int, str]:  # fmt: skip
    form = {"appeal": str(appeal), "decision": decision, "note": note}
    if token is not None:
        form["csrf"] = token
    resp = await app_client.post(path, data=form, headers=HTML, allow_redirects=False)
    return resp.status, await resp.text()


async def test_a_reply_to_the_notice_is_the_one_appeal_and_another_moderator_overturns_it(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await people(services)
    base = services.config.base_url
    zed, eve = remote.add_actor("zed"), remote.add_actor("eve")
    hub_uri = f"{base}/hubs/climate"
    entry, note = await warn(services, "ana", "climate", zed.id, person=zed)
    assert note is not None
    # Someone else answering zed's notice files nothing.
    inbox = f"{base}/inbox"
    assert (await remote.post(inbox, reply(eve, 1, note, "Me too", hub_uri), eve)).status == 202
    await handle(app_client)
    assert await appeal_store.of_entry(services.db, entry) is None
    huge = "I only posted the meeting time. " * 400  # 12,800 characters: kept to the bound
    assert (await remote.post(inbox, reply(zed, 1, note, huge, hub_uri), zed)).status == 202
    await handle(app_client)
    appeal = await appeal_store.of_entry(services.db, entry)
    assert appeal is not None and appeal.appellant_uri == zed.id
    assert appeal.text.startswith("@climate I only posted") and "<" not in appeal.text
    assert len(appeal.text) <= appeals.MAX_APPEAL_CHARS
    assert appeal.note_uri == f"{zed.id}/statuses/1"
    # A second reply is no second appeal; the result says why.
    again = reply(zed, 2, note, "Please!", hub_uri)["object"]
    said = await appeals.answer_to_notice(services, zed.id, again)
    assert said is not None and said.startswith("ignored") and "appealed already" in said
    elsewhere = "ignored: a reply to a moderation notice sent to someone else"
    assert await appeals.answer_to_notice(services, eve.id, again) == elsewhere
    forged = {**again, "attributedTo": eve.id}  # zed passing on eve's words
    assert await appeals.answer_to_notice(services, zed.id, forged) == elsewhere
    assert await appeals.answer_to_notice(services, zed.id, {**again, "inReplyTo": hub_uri}) is None
    assert (await appeal_store.of_entry(services.db, entry)) == appeal

    # Reviewing: not the moderator who warned, not another hub's, not without the form's token.
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/appeals", headers=HTML)).text()
    assert "I only posted the meeting time." in page and "You took this decision" in page
    token = csrf_of(page)
    path, other = "/hubs/climate/appeals", "/hubs/housing/appeals"
    status, text = await decide(app_client, path, token, appeal.id, "overturn", "x")
    assert status == 403 and "another moderator reviews" in text
    assert await sign_in(app_client, "dee") == 303
    assert (await app_client.get(path, headers=HTML)).status == 403
    token = await form_token(app_client, other)
    assert (await decide(app_client, path, token, appeal.id, "overturn", "x"))[0] == 403
    assert (await decide(app_client, other, token, appeal.id, "overturn", "x"))[0] == 404
    assert await sign_in(app_client, "root") == 303
    page = await (await app_client.get(path, headers=HTML)).text()
    token = csrf_of(page)
    assert 'name="note"' in page
    assert (await decide(app_client, path, None, appeal.id, "overturn", "Fine."))[0] == 403
    assert (await decide(app_client, path, token, appeal.id, "overturn", " "))[0] == 400
    assert (await decide(app_client, path, token, appeal.id, "maybe", "Fine."))[0] == 400
    assert (await decide(app_client, path, token, 99999, "overturn", "Fine."))[0] == 404
    status, text = await decide(app_client, path, token, appeal.id, "overturn", "x" * 1501)
    assert status == 400 and "x" * 1501 in text  # what was typed comes back
    status, _ = await decide(app_client, path, token, appeal.id, "overturn",
                             "It was the meeting time, not spam.")  # fmt: skip
    assert status == 303
    assert (await decide(app_client, path, token, appeal.id, "uphold", "No."))[0] == 409
    climate = await require_hub(services.db, "climate")
    logged = (await log.recent(services.db, climate.id))[0]
    assert (logged.action, logged.by_label) == ("appeal_overturned", "root")
    assert logged.target_uri == zed.id
    assert f"entry {entry}" in logged.reason and "meeting time, not spam" in logged.reason
    assert "No appeals are waiting." in await (await app_client.get(path, headers=HTML)).text()
    # zed is told, in reply to their appeal.
    while await app_client.app[delivery_worker_key].run_once():
        pass
    warned, told = [r.activity for r in remote.received_by("/users/zed")
                    if r.activity.get("type") == "Create"]  # fmt: skip
    assert warned["object"]["id"] == note
    assert told["actor"] == hub_uri and told["object"]["to"] == [zed.id]
    assert told["object"]["inReplyTo"] == f"{zed.id}/statuses/1"
    assert "overturned" in told["object"]["content"] and "not spam" in told["object"]["content"]
    assert not remote.received_by("/users/eve")


async def appeal_form(app_client: TestClient, entry: int, **fields: str) -> tuple[int, str]:
    path = f"/moderation/{entry}/appeal"
    token = await form_token(app_client, path)
    resp = await app_client.post(path, data={"csrf": token, **fields}, headers=HTML,
                                 allow_redirects=False)  # fmt: skip
    return resp.status, await resp.text()


async def test_an_account_here_appeals_on_its_page_once_even_when_it_cannot_sign_in(
    app_client: TestClient, services: Services
) -> None:
    await people(services)
    lo = f"{services.config.base_url}/users/lo"
    entry, _ = await warn(services, "root", None, lo, action="suspend")
    path = f"/moderation/{entry}/appeal"
    page = await (await app_client.get(path, headers=HTML)).text()
    assert 'name="password"' in page and "Only the person this decision is about" in page
    # A passer-by learns nothing of whom it is about, nor why: that is for the person alone.
    assert "The suspension of an account" not in page and "Spam, three times." not in page
    data = {"text": "x", "username": "lo", "password": "correct horse"}
    resp = await app_client.post(path, data=data, headers=HTML)
    assert resp.status == 403  # no CSRF token
    status, text = await appeal_form(app_client, entry, text="I was hacked.", username="lo",
                                     password="wrong")  # fmt: skip
    assert status == 403 and "do not match" in text and "I was hacked." in text
    assert "wrong" not in text.split("<main", 1)[-1]  # the password never comes back
    status, text = await appeal_form(app_client, entry, text="Me!", username="mo",
                                     password="correct horse")  # fmt: skip
    assert status == 403 and "only the person" in text
    status, _ = await appeal_form(app_client, entry, text=" ", username="lo",
                                  password="correct horse")  # fmt: skip
    assert status == 400
    status, _ = await appeal_form(app_client, entry, text="y" * (appeals.MAX_APPEAL_CHARS + 1),
                                  username="lo", password="correct horse")  # fmt: skip
    assert status == 400
    assert await appeal_store.of_entry(services.db, entry) is None
    status, text = await appeal_form(app_client, entry, text="I was hacked.", username="lo",
                                     password="correct horse")  # fmt: skip
    assert status == 200 and "Waiting for another moderator" in text
    assert "I was hacked." in text and 'name="text"' not in text
    # No session was started for lo.
    assert (await app_client.get("/settings/password", allow_redirects=False)).status == 302
    status, text = await appeal_form(app_client, entry, text="Again!", username="lo",
                                     password="correct horse")  # fmt: skip
    assert status == 200 and "I was hacked." in text and "Again!" not in text
    [appeal] = await appeal_store.open_appeals(services.db, None, 10)
    assert appeal.text == "I was hacked." and appeal.appellant_uri == lo

    # Someone else signed in may not see it; an unknown entry is not found.
    assert await sign_in(app_client, "mo") == 303
    assert (await app_client.get(path, headers=HTML)).status == 403
    assert (await app_client.get("/moderation/99999/appeal", headers=HTML)).status == 404
    assert (await app_client.get("/moderation/1x/appeal", headers=HTML)).status == 404
    # root suspended lo: another admin reviews.
    assert await sign_in(app_client, "root") == 303
    token = await form_token(app_client, "/admin/appeals")
    status, text = await decide(app_client, "/admin/appeals", token, appeal.id, "uphold", "No.")
    assert status == 403 and "another moderator reviews" in text
    assert await sign_in(app_client, "ana") == 303  # a hub's organiser is no admin
    assert (await app_client.get("/admin/appeals", headers=HTML)).status == 403
    assert await sign_in(app_client, "rita") == 303
    page = await (await app_client.get("/admin/appeals", headers=HTML)).text()
    assert "I was hacked." in page
    status, _ = await decide(app_client, "/admin/appeals", csrf_of(page), appeal.id, "uphold",
                             "The logins came from your own address.")  # fmt: skip
    assert status == 303
    assert (await log.recent(services.db, None))[0].action == "appeal_upheld"
    assert await sign_in(app_client, "lo") == 303  # (suspension itself is another module's)
    page = await (await app_client.get(path, headers=HTML)).text()
    assert "the decision stands" in page and "The logins came from your own address." in page


async def test_only_actions_on_people_standing_can_be_appealed(
    app_client: TestClient, services: Services
) -> None:
    await people(services)
    base = services.config.base_url
    lo = f"{base}/users/lo"
    # A report about lo resolved: about them, yet no action on them.
    change, _ = await warn(services, "ana", "climate", lo, "resolve_report")
    banned, _ = await warn(services, "ana", "climate", lo, "ban")
    await warn(services, "ana", "climate", lo, "unban")
    assert await sign_in(app_client, "lo") == 303
    for entry, words in ((banned, "undone since"), (change, "on a person or their post")):
        page = await (await app_client.get(f"/moderation/{entry}/appeal", headers=HTML)).text()
        assert words in page and 'name="text"' not in page
        status, _ = await appeal_form(app_client, entry, text="Why?")
        assert status == (400 if entry == change else 409)
    assert await appeal_store.open_appeals(services.db, None, 10) == []


async def test_appeals_from_the_command_line(app_client: TestClient, services: Services) -> None:
    await people(services)
    hub = await require_hub(services.db, "climate")
    mo = f"{services.config.base_url}/users/mo"
    await membership.set_member(services, hub, mo, role="member")
    await membership.set_member(services, hub, f"{services.config.base_url}/users/lo",
                                role="moderator")  # fmt: skip
    entry, _ = await warn(services, "ana", "climate", mo)
    await appeals.appeal_from_account(services, await require_account(services.db, "mo"), entry,
                                      "It was a joke.")  # fmt: skip
    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["appeals", *args, "--data", data_dir])

    assert await cli("list", "--hub", "climate") == 0
    assert await cli("decide", "1", "--overturn", "--note", "ok", "--as", "ana") == 1  # own action
    assert await cli("decide", "1", "--overturn", "--note", "ok", "--as", "dee") == 1  # other hub
    assert await cli("decide", "7", "--overturn", "--note", "ok", "--as", "lo") == 1  # no appeal 7
    assert await cli("decide", "1", "--overturn", "--note", "In context.", "--as", "lo") == 0
    decided = await appeal_store.by_id(services.db, 1)
    assert decided is not None and decided.decision == "overturned"
    assert decided.decided_by_label == "lo" and re.search("context", decided.decision_note)

    # Two moderators deciding the same appeal at once: one decision, one log entry.
    entry, _ = await warn(services, "ana", "climate", mo)
    mo_account = await require_account(services.db, "mo")
    raced = await appeals.appeal_from_account(services, mo_account, entry, "Again a joke.")
    hub = await require_hub(services.db, "climate")
    root, rita = [await require_account(services.db, n) for n in ("root", "rita")]
    both = await asyncio.gather(
        appeals.decide(services, root, hub, raced.id, "uphold", "Decided."),
        appeals.decide(services, rita, hub, raced.id, "overturn", "Decided."),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in both) == ["Conflict", "tuple"]
    decisions = [e for e in await log.recent(services.db, hub.id) if e.action.startswith("appeal")]
    assert len(decisions) == 2  # the CLI's, and one of the two raced


async def test_overturning_a_ban_a_suspension_or_a_block_lifts_it_and_says_so(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    """The actions with a known way back are lifted by it (and logged as such); one lifted by
    hand meanwhile is not lifted twice, and the decision says it was not undone."""
    await people(services)
    base = services.config.base_url
    hub = await require_hub(services.db, "climate")
    zed, yan = remote.add_actor("zed"), remote.add_actor("yan")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    banned = await sanctions.ban(services, ana, hub, zed.id, Sanction("Spam, three times."))
    suspended = await sanctions.suspend(services, root, await require_account(services.db, "mo"),
                                        Sanction("Threats."))  # fmt: skip
    await blocking.block_actor(services, root, yan.id, "block", reason="Abuse.")
    blocked = (await log.recent(services.db, None))[0].id
    for entry, appellant in ((banned, zed.id), (suspended, f"{base}/users/mo"),
                             (blocked, yan.id)):  # fmt: skip
        async with services.db.transaction() as tx:
            await appeal_store.add(tx, entry, appellant, "It was a misunderstanding.",
                                   f"{appellant}/statuses/9", 1.0)  # fmt: skip
    rita = await require_account(services.db, "rita")  # an admin who took none of them
    lo = await require_account(services.db, "lo")
    await membership.set_member(services, hub, f"{base}/users/lo", role="moderator")

    appeal = await appeal_store.of_entry(services.db, banned)
    assert appeal is not None
    _, undone = await appeals.decide(services, lo, hub, appeal.id, "overturn", "Not spam.")
    assert undone and not await sanctions.banned(services, hub, zed.id)
    for entry in (suspended, blocked):
        appeal = await appeal_store.of_entry(services.db, entry)
        assert appeal is not None
        _, undone = await appeals.decide(services, rita, None, appeal.id, "overturn", "Sorry.")
        assert undone
    assert (await require_account(services.db, "mo")).suspension is None
    assert not await services.blocked.refuses(yan.id)
    actions = [e.action for e in await log.recent(services.db, None, everywhere=True)]
    for lifted in ("unban", "unsuspend", "unblock_actor"):
        assert actions.count(lifted) == 1, lifted

    # A ban lifted by hand before the review: overturned, but not undone twice.
    again = await sanctions.ban(services, ana, hub, zed.id, Sanction("Spam again."))
    await sanctions.unban(services, ana, hub, zed.id, Sanction("Changed my mind."))
    async with services.db.transaction() as tx:
        await appeal_store.add(tx, again, zed.id, "Thanks.", f"{zed.id}/statuses/10", 2.0)
    appeal = await appeal_store.of_entry(services.db, again)
    assert appeal is not None
    _, undone = await appeals.decide(services, lo, hub, appeal.id, "overturn", "Already done.")
    assert not undone
