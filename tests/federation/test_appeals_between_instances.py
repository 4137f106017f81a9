"""An appeal across two real fedihub instances: a hub's organiser on A warns a person on B (a
direct message B receives), the person answers it (a reply signed with their own key, which A
verifies against B), A files that answer as their one appeal, another moderator of A overturns
it in the browser, and B receives the decision in reply to the appeal."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from bovine.crypto.types import CryptographicSecret

from fedihub.accounts.service import require_account
from fedihub.hubs.service import require_hub
from fedihub.kinds import registry
from fedihub.moderation import log, notices
from fedihub.moderation.authority import local_moderator
from fedihub.services import services_for
from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.remote import sign_cavage_post
from tests.support.web import csrf_of, signed_in

pytestmark = pytest.mark.federation
AS = "https://www.w3.org/ns/activitystreams"


async def warn(a: FedihubInstance, person_uri: str) -> str:
    """maria warns the person for the climate hub, as a moderation action does: logged, and the
    notice sent in the same transaction. Returns the notice's id."""
    async with services_for(a.data, registry()) as svc:
        hub = await require_hub(svc.db, "climate")
        maria = await local_moderator(svc, await require_account(svc.db, "maria"), hub)
        person = await svc.resolver.actor(person_uri)
        async with svc.db.transaction() as tx:
            entry = await log.record(tx, maria, "warn", target_uri=person_uri, reason="Spam.",
                                     target_label="ana", now=svc.clock.now())  # fmt: skip
            return await notices.tell(tx, svc, hub, person, "<p>Please stop posting ads.</p>",
                                      about_entry=entry)  # fmt: skip


async def reply_as(b: FedihubInstance, who: str, n: int, to: str, in_reply_to: str,
                   text: str, inbox: str) -> int:  # fmt: skip
    """`who` on B answers, signed with their own key (B's server has no form for replies)."""
    actor = json.loads(await b.http_get(f"/users/{who}", accept="application/activity+json"))
    [(pem,)] = b.query("SELECT private_key_pem FROM local_actors WHERE username = ?", (who,))
    note = {"id": f"{actor['id']}/replies/{n}", "type": "Note", "attributedTo": actor["id"],
            "inReplyTo": in_reply_to, "to": [to], "cc": [],
            "content": f"<p>{text}</p>"}  # fmt: skip
    activity = {"@context": AS, "id": f"{note['id']}/create", "type": "Create",
                "actor": actor["id"], "to": [to], "cc": [], "object": note}  # fmt: skip
    body = json.dumps(activity).encode()
    secret = CryptographicSecret.from_pem(actor["publicKey"]["id"], pem)
    headers = sign_cavage_post(secret, inbox, body)
    async with aiohttp.ClientSession() as session:
        resp = await session.post(inbox, data=body, headers=headers)
        resp.release()
        return resp.status


async def test_a_warned_person_on_another_server_appeals_once_and_hears_the_decision(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIHUB_WORKER_IDLE_POLL_S", "0.2")  # A's workers see the notice soon
    a, b = new_instance("a"), new_instance("b")
    for name, admin in (("maria", ()), ("rosa", ("--admin",))):
        await a.acli("account", "create", "--data", a.data, name, "--password-file",
                     password_file, *admin)  # fmt: skip
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "maria")  # fmt: skip
    await b.acli("account", "create", "--data", b.data, "ana", "--password-file", password_file)
    await a.start()
    await b.start()
    hub_uri, ana = f"{a.base_url}/hubs/climate", f"{b.base_url}/users/ana"

    notice = await warn(a, ana)

    def creates_from_hub() -> list[dict]:  # type: ignore[type-arg]
        """What B received and verified from the hub (B keeps no document once handled: it is
        read from A's outbox)."""
        rows = b.query("SELECT activity_uri FROM inbox_items WHERE type = 'Create'"
                       " AND actor_uri = ? ORDER BY id", (hub_uri,))  # fmt: skip
        sql = "SELECT document FROM outbox_activities WHERE uri = ?"
        return [json.loads(a.query(sql, (uri,))[0][0])["object"] for (uri,) in rows]

    async def told(count: int) -> bool:
        return len(creates_from_hub()) == count

    await eventually(lambda: told(1), what="B to receive the warning")
    assert creates_from_hub()[0]["id"] == notice
    assert "Please stop posting ads." in creates_from_hub()[0]["content"]

    inbox = f"{a.base_url}/inbox"
    assert await reply_as(b, "ana", 1, hub_uri, notice, "They were the strike dates.", inbox) == 202

    def appeals() -> list[tuple[str, str]]:
        return a.query("SELECT appellant_uri, text FROM appeals")

    async def filed() -> bool:
        return appeals() == [(ana, "They were the strike dates.")]

    await eventually(filed, what="A to file ana's appeal")
    assert await reply_as(b, "ana", 2, hub_uri, notice, "Hello?", inbox) == 202

    async def handled() -> bool:
        rows = a.query("SELECT state FROM inbox_items WHERE activity_uri LIKE ?", ("%/2/create",))
        return rows == [("done",)]

    await eventually(handled, what="A to handle ana's second reply")
    assert appeals() == [(ana, "They were the strike dates.")]  # one appeal per action

    path = f"{a.base_url}/hubs/climate/appeals"
    async with aiohttp.ClientSession() as session:
        await signed_in(session, a.base_url, "maria")
        async with session.get(path) as resp:
            page = await resp.text()
        assert "They were the strike dates." in page and "You took this decision" in page
    async with aiohttp.ClientSession() as session:
        await signed_in(session, a.base_url, "rosa")
        async with session.get(path) as resp:
            token = csrf_of(await resp.text())
        [(appeal_id,)] = a.query("SELECT id FROM appeals")
        form = {"csrf": token, "appeal": str(appeal_id), "decision": "overturn",
                "note": "Strike dates are what this hub is for."}  # fmt: skip
        async with session.post(path, data=form, allow_redirects=False) as resp:
            assert resp.status == 303

    await eventually(lambda: told(2), what="B to receive the decision")
    decision = creates_from_hub()[1]
    assert decision["inReplyTo"] == f"{ana}/replies/1" and decision["to"] == [ana]
    assert "overturned" in decision["content"] and "what this hub is for" in decision["content"]
    assert a.query("SELECT action, by_label FROM moderation_log ORDER BY id") == [
        ("warn", "maria"), ("appeal_overturned", "rosa")
    ]  # fmt: skip
