"""A volunteer's private link by mail, through a real SMTP server on loopback (aiosmtpd): a new
sign-up with an e-mail address is mailed its link and the page says only that, new or not;
signing up again mails the address on file a new link (the old one stops working), at most once
an hour, and changes what they offer but never who they are or how to reach them; a stranger's
address given with a volunteer's phone number is neither stored nor mailed."""

from __future__ import annotations

import re
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.mail.worker import MailWorker
from fedihub.services import Services
from tests.http.test_volunteer_signup import GOOD, post_signup, sandy
from tests.support.mailing import instance_config, smtp  # fixtures: mail goes to smtp
from tests.support.smtp import SmtpServer
from tests.support.web import HTML

__all__ = ["instance_config", "sandy", "smtp"]  # fixtures this module takes from elsewhere
LINK = re.compile(r"http://\S+(/hubs/sandy/volunteer/me/[A-Za-z0-9_-]+)")


@pytest.fixture
def worker(services: Services) -> MailWorker:
    services.clock = clock = FixedClock(time.time())
    return MailWorker(services.db, services.config, mailers(services), clock=clock)


def link_in(smtp: SmtpServer, n: int) -> str:
    text = smtp.received[n].part("plain")
    found = LINK.search(text)
    assert found, text
    return found.group(1)


@pytest.mark.usefixtures("sandy")
async def test_a_sign_up_is_mailed_its_link_and_a_repeat_a_new_one(
    app_client: TestClient, services: Services, smtp: SmtpServer, worker: MailWorker
) -> None:
    first = await post_signup(app_client, GOOD)
    # Where mail is sent, a sign-up with an address is answered the same, new or not.
    assert first.headers["Location"] == "/hubs/sandy/volunteer?done=mailed"
    page = await (await app_client.get(first.headers["Location"], headers=HTML)).text()
    assert "We have sent your private link to your e-mail address" in page
    assert await worker.run_once() == 1
    (mail,) = smtp.received
    assert mail.recipients == ["ana@example.org"]
    assert mail.message["Subject"] == "Your registration as a volunteer with Sandy"
    assert "Hello Ana Torres," in mail.part("plain") and 'href="http://' in mail.part("html")
    sent = link_in(smtp, 0)
    assert "Red Hook" in await (await app_client.get(sent, headers=HTML)).text()

    worker_clock = services.clock
    assert isinstance(worker_clock, FixedClock)
    worker_clock.advance(3601)  # past the hour between two link mails
    again = await post_signup(app_client, {**GOOD, "area": "Gowanus", "name": "Mallory",
                                           "handle": "@mallory@evil.example",
                                           "phone": "+1 555 666 7777"})  # fmt: skip
    assert again.headers["Location"] == first.headers["Location"]  # nothing told
    assert await worker.run_once() == 1
    renewed = link_in(smtp, 1)
    assert smtp.received[1].recipients == ["ana@example.org"]
    assert renewed != sent and (await app_client.get(sent, headers=HTML)).status == 404
    mine = await (await app_client.get(renewed, headers=HTML)).text()
    # What they offer is updated; who they are and how to reach them is not.
    assert "Gowanus" in mine and "Ana Torres" in mine
    assert "Mallory" not in mine and "mallory" not in mine and "666 7777" not in mine
    assert await services.db.fetchval("SELECT count(*) FROM volunteers") == 1
    # The queue forgot both links once they were sent.
    assert await services.db.fetchval("SELECT count(*) FROM mail_queue WHERE token <> ''") == 0


@pytest.mark.usefixtures("sandy")
async def test_a_phone_alone_is_never_mailed_and_repeats_mail_at_most_once_an_hour(
    app_client: TestClient, services: Services, smtp: SmtpServer, worker: MailWorker
) -> None:
    by_phone = {**GOOD, "email": "", "phone": "+1 555 0100", "name": "Bo"}
    first = await post_signup(app_client, by_phone)
    assert first.headers["Location"].endswith("?new=1")  # no address: the link on screen
    again = await post_signup(app_client, {**by_phone, "email": "mallory@evil.example"})
    # A stranger's address is never added to a record found by its phone, nor mailed.
    assert again.headers["Location"] == "/hubs/sandy/volunteer?done=mailed"
    bo = await app_client.get(first.headers["Location"].removesuffix("?new=1"), headers=HTML)
    assert bo.status == 200 and "mallory" not in await bo.text()
    for _ in range(5):  # a flood of repeats within the hour: one mail
        await post_signup(app_client, GOOD)
    assert await worker.run_once() == 1
    assert [m.recipients for m in smtp.received] == [["ana@example.org"]]
