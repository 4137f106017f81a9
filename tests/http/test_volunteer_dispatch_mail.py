"""An assignment by e-mail through a real SMTP server on loopback (aiosmtpd): the mail says the
shift's time in the hub's zone and the volunteer's language, the site's name and address, what
to bring, and carries their two links, which work; it names nobody else; a withdrawn invitation
is not mailed; the links of a mail asked again with a newer link are not sent twice."""

from __future__ import annotations

import re
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.mail.worker import MailWorker
from fedihub.services import Services
from fedihub.volunteers import assignments, assignments_store
from fedihub.volunteers.invitation import Invitation
from fedihub.volunteers.mail import assignment_mail
from fedihub.words import words_for
from tests.http.test_volunteer_dispatch import effort, volunteer
from tests.support.mailing import instance_config, smtp  # fixtures: mail goes to smtp
from tests.support.smtp import SmtpServer
from tests.support.web import HTML

__all__ = ["instance_config", "smtp"]  # fixtures this module takes from elsewhere

LINK = re.compile(r"(http://\S+/volunteer/answer/[A-Za-z0-9_-]+)\?choice=confirm")


@pytest.fixture
def clock(services: Services) -> FixedClock:
    services.clock = clock = FixedClock(time.time())
    return clock


def test_the_mail_is_written_in_the_volunteers_language() -> None:
    invitation = Invitation(
        hub_name="Sandy", timezone="America/New_York", title="Mucking out",
        starts_at=1_796_994_000.0, ends_at=1_797_008_400.0, site_name="Red Hook",
        address="196 Van Brunt St", needs="Boots", answer_url="https://x.example/a/T",
    )  # fmt: skip
    mail = assignment_mail("ana@example.org", "Ana", invitation, words_for("es"))
    assert mail.subject == "Sandy: ¿puedes venir a Red Hook?"
    # 1_796_994_000 is Friday 11 December 2026, 13:00 UTC: 08:00 in New York.
    assert "viernes, 11 de diciembre de 2026, 8:00–12:00 (America/New_York)" in mail.text
    assert "Dirección: 196 Van Brunt St" in mail.text and "Qué traer" in mail.text
    assert "Puedo ir: https://x.example/a/T?choice=confirm" in mail.text
    assert "No puedo ir: https://x.example/a/T?choice=decline" in mail.text
    assert 'href="https://x.example/a/T?choice=decline"' in mail.html
    english = assignment_mail("ana@example.org", "Ana", invitation, words_for("en"))
    assert "Friday, December 11, 2026, 08:00–12:00 (America/New_York)" in english.text


async def test_an_assignment_is_mailed_with_its_links_which_work(
    app_client: TestClient, services: Services, clock: FixedClock, smtp: SmtpServer
) -> None:
    sandy = await effort(services)
    ana = await volunteer(services, sandy.hub, "Ana Uno", email="ana@help.example")
    ben = await volunteer(services, sandy.hub, "Ben Dos", email="ben@help.example")
    asked = await assignments.assign(services, sandy.lead, sandy.shift, [ana, ben])
    await assignments.cancel(services, sandy.lead, asked[1].assignment_id)  # before it is sent
    worker = MailWorker(services.db, services.config, mailers(services), clock=clock)

    assert await worker.run_once() == 2

    (received,) = smtp.received
    assert received.recipients == ["ana@help.example"]
    text, html = received.part("plain"), received.part("html")
    assert received.message["Subject"] == "Sandy: ¿puedes venir a Red Hook?"
    assert "Hola, Ana Uno:" in text and "196 Van Brunt St" in text and "Boots and gloves" in text
    assert "(UTC)" in text and "Mucking out" in text
    assert "Ben" not in text + html and "ben@help.example" not in text + html
    link = LINK.search(text)
    assert link is not None
    assert link.group(1).endswith(asked[0].token)
    path = link.group(1).split(services.config.domain, 1)[1]
    assert (await app_client.get(path, headers=HTML)).status == 200
    resp = await app_client.post(path, data={"choice": "confirm"}, headers=HTML)
    assert resp.status == 200
    listed = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    states = {a.volunteer_id: a.state for a in listed}
    assert states == {ana: "confirmed", ben: "cancelled"}
    # The queue forgot both links once done with them.
    assert await services.db.fetchval("SELECT count(*) FROM mail_queue WHERE token <> ''") == 0
