"""The newsletter by e-mail, through a real SMTP server on loopback (aiosmtpd) whose received
messages the tests read: double opt-in from the web form to the confirmation link, the weekly
issue mailed to confirmed subscribers only with both parts and the one-click unsubscribe
headers, unsubscribing by the mail client's POST without cookies, bounces marked and never
retried, temporary refusals retried and then given up, and the Article reaching a follower."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.mail.store import MAX_ATTEMPTS
from fedihub.mail.worker import MailWorker
from fedihub.newswire import service as newswire
from fedihub.newswire.fields import read_form
from fedihub.newswire.newsletter import service as newsletter
from fedihub.newswire.newsletter import store
from fedihub.services import Services
from tests.support.mailing import instance_config, smtp  # fixtures: mail goes to smtp
from tests.support.remote import RemoteServer
from tests.support.smtp import Received, SmtpServer
from tests.support.web import AP, HTML, form_token

__all__ = ["instance_config", "smtp"]  # fixtures this module takes from elsewhere

T0 = 1_796_731_200.0  # Tuesday 8 December 2026, 12:00 UTC
LINK = re.compile(r"(http://\S+/newswire/subscribe/confirm/[A-Za-z0-9_-]+)")


@pytest.fixture
def clock(services: Services) -> FixedClock:
    services.clock = clock = FixedClock(T0)
    return clock


def mailer(services: Services, clock: FixedClock) -> MailWorker:
    """The mail worker as `fedihub serve` builds it, on the test's clock."""
    return MailWorker(services.db, services.config, mailers(services), clock=clock)


async def subscribe(client: TestClient, address: str) -> aiohttp.ClientResponse:
    token = await form_token(client, "/newswire/subscribe")
    return await client.post("/newswire/subscribe", data={"csrf": token, "email": address},
                             headers=HTML)  # fmt: skip


async def publish(services: Services, headline: str, **fields: str) -> None:
    services.config = services.config.__class__(
        **{**services.config.__dict__, "newswire_review": "none"}
    )
    await newswire.submit(services, read_form({"headline": headline, **fields}))
    if isinstance(services.clock, FixedClock):
        services.clock.advance(1)  # an issue made now has it among the week's items


async def state_of(services: Services, address: str) -> str | None:
    found = await store.subscriber_by_email(services.db, address)
    return found.state if found else None


def confirm_link(received: Received) -> str:
    match = LINK.search(received.part("plain"))
    assert match, received.part("plain")
    return match.group(1)


async def confirmed_subscriber(
    client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock, address: str
) -> None:
    await subscribe(client, address)
    await mailer(services, clock).run_once()
    link = confirm_link(smtp.to(address)[-1])
    resp = await client.post(link.removeprefix(services.config.base_url))
    assert resp.status == 200, await resp.text()


async def test_double_opt_in_end_to_end(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    resp = await subscribe(app_client, "Ana@Example.ORG")
    assert resp.status == 200 and "Check your inbox" in await resp.text()
    assert await mailer(services, clock).run_once() == 1
    (mail,) = smtp.to("Ana@example.org")
    assert "Confirm" in mail.message["Subject"]
    assert mail.message["Message-ID"].endswith("@localhost>")
    link = confirm_link(mail)
    assert link in mail.part("html")
    subscriber = await store.subscriber_by_email(services.db, "Ana@example.org")
    assert subscriber is not None and subscriber.state == "unconfirmed"
    # Opening the link shows a button; a mail scanner's GET confirms nothing.
    page = await app_client.get(link.removeprefix(services.config.base_url), headers=HTML)
    assert page.status == 200 and "Confirm my subscription" in await page.text()
    assert (await state_of(services, "Ana@example.org")) == "unconfirmed"
    resp = await app_client.post(link.removeprefix(services.config.base_url), headers=HTML)
    assert resp.status == 200 and "You are subscribed" in await resp.text()
    assert (await state_of(services, "Ana@example.org")) == "confirmed"
    # Used once: the link is spent.
    again = await app_client.post(link.removeprefix(services.config.base_url), headers=HTML)
    assert again.status == 404


async def test_the_issue_goes_to_confirmed_subscribers_only_with_both_parts_and_list_headers(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    await confirmed_subscriber(app_client, services, smtp, clock, "ana@example.org")
    await subscribe(app_client, "never@example.org")  # never confirms
    await publish(services, "Rent strike <b>wins</b>", summary="<script>alert(1)</script>",
                  tags="housing", place="Leeds")  # fmt: skip
    issue, new = await newsletter.send_now(services)
    assert issue is not None and new
    await mailer(services, clock).run_once()
    assert len(smtp.to("never@example.org")) == 1  # the confirmation, and nothing else
    rows = await services.db.fetchall(
        "SELECT recipient FROM mail_queue WHERE purpose = 'issue'"
    )  # not even queued for them
    assert [r[0] for r in rows] == ["ana@example.org"]
    (mail,) = [m for m in smtp.to("ana@example.org") if "Confirm" not in m.message["Subject"]]
    base = services.config.base_url
    unsubscribe = mail.message["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(base)}/newswire/unsubscribe/[A-Za-z0-9_-]{{40,}}>",
                        unsubscribe)  # fmt: skip
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = mail.part("plain"), mail.part("html")
    assert "Rent strike <b>wins</b>" in text and "#housing" in text and "Leeds" in text
    assert "Rent strike &lt;b&gt;wins&lt;/b&gt;" in html and "<script>" not in html
    assert unsubscribe.strip("<>") in html and unsubscribe.strip("<>") in text
    # A second send-now the same week makes nothing and mails nobody again.
    again, new = await newsletter.send_now(services)
    assert again is not None and again.id == issue.id and not new
    assert await mailer(services, clock).run_once() == 0


async def test_one_click_unsubscribe_by_post_without_cookies(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    await confirmed_subscriber(app_client, services, smtp, clock, "ana@example.org")
    await publish(services, "Strike news")
    await newsletter.send_now(services)
    await mailer(services, clock).run_once()
    url = smtp.to("ana@example.org")[-1].message["List-Unsubscribe"].strip("<>")
    page = await app_client.get(url.removeprefix(services.config.base_url), headers=HTML)
    assert page.status == 200 and "Unsubscribe from the newsletter" in await page.text()
    # The mail client's POST (RFC 8058): no cookie, no CSRF token.
    async with aiohttp.ClientSession() as fresh:
        async with fresh.post(url, data="List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded"}) as resp:  # fmt: skip
            assert resp.status == 200, await resp.text()
        assert await store.subscriber_by_email(services.db, "ana@example.org") is None
        async with fresh.post(url, data="List-Unsubscribe=One-Click") as resp:
            assert resp.status == 404


async def test_a_bouncing_address_is_marked_and_never_retried(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    async with services.db.transaction() as tx:
        await store.add_confirmed(tx, ["gone@example.org", "ana@example.org"], "en", T0)
    smtp.refuse("gone@example.org", "550 5.1.1 No such user here")
    await publish(services, "Strike news")
    await newsletter.send_now(services)
    assert await mailer(services, clock).run_once() == 2
    assert [r.recipients for r in smtp.received] == [["ana@example.org"]]
    bounced = await store.subscriber_by_email(services.db, "gone@example.org")
    assert bounced is not None and bounced.state == "bounced"
    rows = await services.db.fetchall(
        "SELECT state, attempts FROM mail_queue WHERE recipient = 'gone@example.org'"
    )
    assert [tuple(r) for r in rows] == [("gave_up", 1)]
    clock.advance(7 * 86_400)  # a week on: nothing retried, the next issue not for them
    assert await mailer(services, clock).run_once() == 0
    await publish(services, "More news")
    issue, _ = await newsletter.send_now(services)
    assert issue is not None and issue.week != "" and await mailer(services, clock).run_once() == 1
    assert smtp.copies_by_recipient()["gone@example.org"] == 0


async def test_a_temporary_refusal_is_retried_then_given_up_and_three_in_a_row_bounce(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    async with services.db.transaction() as tx:
        await store.add_confirmed(tx, ["full@example.org"], "en", T0)
    smtp.refuse("full@example.org", "452 4.2.2 Mailbox full")
    worker = mailer(services, clock)
    for week in range(3):
        await publish(services, f"News of week {week}")
        issue, new = await newsletter.send_now(services)
        assert issue is not None and new
        for _ in range(MAX_ATTEMPTS):
            assert await worker.run_once() == 1
            clock.advance(3600)  # past any backoff
        assert await worker.run_once() == 0  # given up
        row = await services.db.fetchone(
            "SELECT state, attempts FROM mail_queue WHERE issue_id = ?", (issue.id,)
        )
        assert row is not None and tuple(row) == ("gave_up", MAX_ATTEMPTS)
        subscriber = await store.subscriber_by_email(services.db, "full@example.org")
        assert subscriber is not None
        assert subscriber.state == ("bounced" if week == 2 else "confirmed"), week
        clock.advance(7 * 86_400)
    assert smtp.received == []


async def test_the_issue_reaches_a_follower_as_an_article(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    newswire_uri = f"{services.config.base_url}/newswire"
    alice = remote.add_actor("alice")
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
              "id": f"{alice.id}#follow", "actor": alice.id, "object": newswire_uri}  # fmt: skip
    assert (await remote.post(f"{newswire_uri}/inbox", follow, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    await publish(services, "Port shutdown", place="Oakland", tags="labour")
    await app_client.app[delivery_worker_key].run_once()
    await asyncio.sleep(0.01)  # the real clock: the item is before the issue's moment
    issue, _ = await newsletter.send_now(services)
    assert issue is not None
    await app_client.app[delivery_worker_key].run_once()
    (create,) = [
        r.activity for r in remote.received
        if isinstance(r.activity.get("object"), dict) and r.activity["object"]["type"] == "Article"
    ]  # fmt: skip
    page = f"{services.config.base_url}/newswire/newsletters/{issue.id}"
    assert create["type"] == "Create" and create["actor"] == newswire_uri
    assert create["object"]["url"] == page and "Port shutdown" in create["object"]["content"]
    resp = await app_client.get(f"/newswire/newsletters/{issue.id}", headers=AP)
    assert (await resp.json(content_type=None))["id"] == page
    resp = await app_client.get(f"/newswire/newsletters/{issue.id}", headers=HTML)
    assert resp.status == 200 and "Port shutdown" in await resp.text()
    listing = await (await app_client.get("/newswire/newsletters", headers=HTML)).text()
    assert f"/newswire/newsletters/{issue.id}" in listing


async def test_the_scheduler_step_makes_one_issue_a_week_when_due(
    app_client: TestClient, services: Services, clock: FixedClock
) -> None:
    clock.at = T0 - 2 * 86_400  # Sunday: in the week before Monday's issue
    await publish(services, "Strike news")
    # Monday 09:00 UTC (the default) of T0's week has passed: T0 is the Tuesday after.
    assert await newsletter.run_due(services, T0) == 1
    assert await newsletter.run_due(services, T0 + 60) == 0  # once a week, however often asked
    (issue,) = await store.issues(services.db)
    assert issue.week == "2026-W50" and issue.items == 1
    # A week on with nothing new and nothing coming up: no issue that says nothing.
    assert await newsletter.run_due(services, T0 + 7 * 86_400) == 0
    # News published, but the server comes back four days after the issue's time: too late,
    # old news; the next week's issue carries it.
    clock.at = T0 + 5 * 86_400
    await publish(services, "Late news")
    assert await newsletter.run_due(services, T0 + 10 * 86_400) == 0
    assert await newsletter.run_due(services, T0 + 13 * 86_400) == 1
    latest = (await store.issues(services.db))[0]
    assert latest.week == "2026-W52" and latest.items == 1
