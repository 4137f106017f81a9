"""A volunteer's private link by mail, through a real SMTP server on loopback (aiosmtpd): a new
sign-up with an e-mail address is mailed its link; signing up again with that address mails a
new link and the old one stops working; the page says so only when a mail was queued; a sign-up
by phone alone is never mailed; a link made newer before its mail went is not sent."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.config import Config, load_config
from fedihub.instance import init_instance
from fedihub.mail.worker import MailWorker
from fedihub.services import Services
from tests.http.test_volunteer_signup import GOOD, post_signup, sandy, token_of
from tests.support.network import free_port
from tests.support.postgres import Databases
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.web import HTML

__all__ = ["sandy"]  # the fixture, from the sign-up tests
LINK = re.compile(r"http://\S+(/hubs/sandy/volunteer/me/[A-Za-z0-9_-]+)")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def instance_config(tmp_path: Path, databases: Databases, smtp: SmtpServer) -> Config:
    """The suite's instance, sending mail through the test's SMTP server."""
    port = free_port()
    database = await databases.for_instance() or ""
    await init_instance(tmp_path / "data", f"localhost:{port}", insecure_http=True,
                        database=database)  # fmt: skip
    with (tmp_path / "data" / "config.toml").open("a") as f:
        f.write(smtp.settings())
    return load_config(tmp_path / "data")


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
    assert first.status == 303
    assert first.headers["Location"].endswith("?new=mailed")
    shown = f"/hubs/sandy/volunteer/me/{token_of(first.headers['Location'])}"
    welcome = await (await app_client.get(first.headers["Location"], headers=HTML)).text()
    assert "We have also sent it to your e-mail address." in welcome
    assert await worker.run_once() == 1
    (mail,) = smtp.received
    assert mail.recipients == ["ana@example.org"]
    assert mail.message["Subject"] == "Your registration as a volunteer with Sandy"
    assert link_in(smtp, 0) == shown
    assert "Hello Ana Torres," in mail.part("plain") and 'href="http://' in mail.part("html")

    again = await post_signup(app_client, {**GOOD, "area": "Gowanus"})
    assert again.status == 303
    assert again.headers["Location"] == "/hubs/sandy/volunteer?done=mailed"
    page = await (await app_client.get(again.headers["Location"], headers=HTML)).text()
    assert "We have sent your private link to your e-mail address" in page
    assert "Gowanus" not in page and "Ana Torres" not in page
    assert await worker.run_once() == 1
    renewed = link_in(smtp, 1)
    assert renewed != shown
    assert (await app_client.get(shown, headers=HTML)).status == 404
    mine = await app_client.get(renewed, headers=HTML)
    assert mine.status == 200 and "Gowanus" in await mine.text()
    assert await services.db.fetchval("SELECT count(*) FROM volunteers") == 1
    # The queue forgot both links once they were sent.
    assert await services.db.fetchval("SELECT count(*) FROM mail_queue WHERE token <> ''") == 0


@pytest.mark.usefixtures("sandy")
async def test_a_phone_alone_is_never_mailed_and_an_old_link_mail_is_not_sent(
    app_client: TestClient, services: Services, smtp: SmtpServer, worker: MailWorker
) -> None:
    by_phone = {**GOOD, "email": "", "phone": "+1 555 0100", "name": "Bo"}
    assert (await post_signup(app_client, by_phone)).status == 303
    again = await post_signup(app_client, by_phone)
    assert again.headers["Location"] == "/hubs/sandy/volunteer?done=updated"
    # Two sign-ups with an address before the worker runs: only the newest link goes.
    await post_signup(app_client, GOOD)
    await post_signup(app_client, GOOD)
    assert await worker.run_once() == 2
    (mail,) = smtp.received
    assert mail.recipients == ["ana@example.org"]
    assert (await app_client.get(link_in(smtp, 0), headers=HTML)).status == 200
    states = await services.db.fetchall("SELECT state FROM mail_queue ORDER BY id")
    assert [r[0] for r in states] == ["failed", "done"]  # the older one: not to be sent
