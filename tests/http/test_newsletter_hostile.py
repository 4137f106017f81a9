"""Hostile input to the newsletter's pages: a subscribe flood from one address, the same address
asked for again and again, malformed and over-long addresses, header injection (CR/LF in the
address), forged tokens, and subscribers who never confirm."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from fedihub.clock import FixedClock
from fedihub.mail import store as mail_queue
from fedihub.newswire.newsletter import service as newsletter
from fedihub.newswire.newsletter import store, subscribers
from fedihub.newswire.newsletter.subscribers import UNCONFIRMED_KEPT_S
from fedihub.services import Services
from tests.http import test_newsletter_mail as mail_tests
from tests.http.test_newsletter_mail import T0, confirm_link, mailer, publish, subscribe
from tests.support.smtp import SmtpServer
from tests.support.web import HTML

# The SMTP server on loopback, the instance sending through it, and a clock the test sets.
smtp = mail_tests.smtp
instance_config = mail_tests.instance_config
clock = mail_tests.clock


async def queued(services: Services) -> int:
    count: int = await services.db.fetchval("SELECT count(*) FROM mail_queue")
    return count


async def test_a_subscribe_flood_from_one_address_is_limited(
    app_client: TestClient, services: Services
) -> None:
    for n in range(5):
        resp = await subscribe(app_client, f"person{n}@example.org")
        assert resp.status == 200, n
    resp = await subscribe(app_client, "person5@example.org")
    assert resp.status == 429 and "please wait" in await resp.text()
    assert await store.subscriber_by_email(services.db, "person5@example.org") is None
    assert await queued(services) == 5


async def test_one_address_gets_one_confirmation_a_day(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    for _ in range(3):  # the same page for each: nothing tells whether it is subscribed
        await subscribers.subscribe(services, "ana@example.org", "en")
    await mailer(services, clock).run_once()
    assert len(smtp.to("ana@example.org")) == 1
    clock.advance(86_401)
    assert await subscribers.subscribe(services, "ana@example.org", "en")
    await mailer(services, clock).run_once()
    first, second = smtp.to("ana@example.org")
    assert confirm_link(first) != confirm_link(second)
    # Only the newest link confirms.
    resp = await app_client.post(confirm_link(first).removeprefix(services.config.base_url))
    assert resp.status == 404


@pytest.mark.parametrize(
    "address, error",
    [
        ("ana@example.org\r\nBcc: everyone@example.org", "one line"),
        ("ana@example.org\nSubject: spam", "one line"),
        ("not an address", "is not an e-mail address"),
        ("<script>@example.org", "is not an e-mail address"),
        ("a" * 250 + "@example.org", "at most 254 characters"),
        ("", "required"),
    ],
)
async def test_malformed_addresses_and_header_injection_are_refused(
    app_client: TestClient, services: Services, address: str, error: str
) -> None:
    resp = await subscribe(app_client, address)
    page = await resp.text()
    assert resp.status == 400 and error in page, page[-500:]
    assert "<script>@" not in page
    assert await store.counts(services.db) == {"unconfirmed": 0, "confirmed": 0, "bounced": 0}
    assert await queued(services) == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "path",
    ["/newswire/subscribe/confirm/forged", "/newswire/unsubscribe/forged",
     "/newswire/unsubscribe/" + "x" * 5000, "/newswire/subscribe/confirm/%2e%2e"],
)  # fmt: skip
async def test_a_forged_token_is_not_found_and_changes_nothing(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock,
    method: str, path: str,
) -> None:  # fmt: skip
    async with services.db.transaction() as tx:
        await store.add_confirmed(tx, ["ana@example.org"], "en", T0)
    await subscribe(app_client, "bea@example.org")
    before = await store.counts(services.db)
    resp = await app_client.request(method, path, headers=HTML, data="List-Unsubscribe=One-Click")
    assert resp.status == 404
    assert await store.counts(services.db) == before == {
        "unconfirmed": 1, "confirmed": 1, "bounced": 0}  # fmt: skip


async def test_an_unconfirmed_subscriber_is_never_mailed_again_and_forgotten_after_a_week(
    app_client: TestClient, services: Services, smtp: SmtpServer, clock: FixedClock
) -> None:
    await subscribe(app_client, "ana@example.org")
    await mailer(services, clock).run_once()
    link = confirm_link(smtp.to("ana@example.org")[0])
    await newsletter.run_due(services, T0 + UNCONFIRMED_KEPT_S - 60)
    assert await store.subscriber_by_email(services.db, "ana@example.org") is not None
    await newsletter.run_due(services, T0 + UNCONFIRMED_KEPT_S + 60)
    assert await store.subscriber_by_email(services.db, "ana@example.org") is None
    resp = await app_client.post(link.removeprefix(services.config.base_url), headers=HTML)
    assert resp.status == 404
    assert len(smtp.received) == 1


async def test_the_issue_page_escapes_what_items_hold(
    app_client: TestClient, services: Services, clock: FixedClock
) -> None:
    await publish(services, '<img src=x onerror="alert(1)">', summary="<script>x</script>",
                  place="<b>Leeds</b>", link="https://news.example/a?b=<c>")  # fmt: skip
    issue, _ = await newsletter.send_now(services)
    assert issue is not None
    page = await (await app_client.get(f"/newswire/newsletters/{issue.id}", headers=HTML)).text()
    assert "<img src=x" not in page and "<script>x" not in page and "<b>Leeds" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page or "&lt;img" in page
    resp = await app_client.get("/newswire/newsletters/99999", headers=HTML)
    assert resp.status == 404
    resp = await app_client.get("/newswire/newsletters/not-a-number", headers=HTML)
    assert resp.status == 404


async def test_a_send_whose_lease_ran_out_is_recorded_by_the_process_that_took_it_over(
    services: Services,
) -> None:
    """Two processes on one queue: one's lease runs out mid-send and the other claims the row;
    the first's late result does not overwrite the second's (no double count, no lost state)."""
    async with services.db.transaction() as tx:
        await mail_queue.enqueue(tx, [mail_queue.Queued("confirm", "a@b.example", None, None,
                                                        "t")], T0)  # fmt: skip
    (first,) = await mail_queue.claim_due(services.db, now=T0, limit=5, owner="one", per_domain=4)
    later = T0 + mail_queue.MAIL.lease_s + 1  # one's lease has run out
    (second,) = await mail_queue.claim_due(services.db, now=later, limit=5, owner="two",
                                           per_domain=4)  # fmt: skip
    assert first.id == second.id
    assert not await mail_queue.record(services.db, first, "done", None, "", later, "one")
    assert await mail_queue.record(services.db, second, "done", None, "", later, "two")
    counts = await mail_queue.counts(services.db)
    assert counts["done"] == 1 and counts["running"] == 0 and counts["pending"] == 0
