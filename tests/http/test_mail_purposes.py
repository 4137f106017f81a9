"""The mail queue serves several capabilities: each purpose of mail is composed and settled by
its own mailer, beside the newsletter's, through a real SMTP server (aiosmtpd) and the real
worker; a row whose purpose has no mailer in the process is failed with a readable reason and
the worker goes on with the next."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.jobs import JobState
from fedihub.mail import message as mails
from fedihub.mail import store as mail_queue
from fedihub.mail.smtp import Sent
from fedihub.mail.store import MailJob, Purpose
from fedihub.mail.worker import Mailer, MailWorker, combined, unregistered
from fedihub.newswire.newsletter import service as newsletter
from fedihub.newswire.newsletter import subscribers
from fedihub.services import Services
from tests.support.mailing import instance_config, smtp  # fixtures: mail goes to smtp
from tests.support.smtp import SmtpServer

__all__ = ["instance_config", "smtp"]  # fixtures this module takes from elsewhere

T0 = 1_796_731_200.0  # Tuesday 8 December 2026, 12:00 UTC


@pytest.fixture
def clock(services: Services) -> FixedClock:
    services.clock = clock = FixedClock(T0)
    return clock


@dataclass
class RegistrationMailer:
    """A second capability's mailer, as the volunteers' will be: it reads the row its mail is
    about (here a dict standing for its table) when the mail is sent, and hears the result."""

    services: Services
    registrations: dict[int, str]  # ref_id -> the name in the mail
    settled: list[tuple[int | None, str, JobState]] = field(default_factory=list)

    async def compose(self, job: MailJob) -> EmailMessage | None:
        name = self.registrations.get(job.ref_id or 0)
        if name is None:
            return None  # the registration was deleted meanwhile
        link = f"{self.services.config.base_url}/volunteer/{job.token}"
        content = mails.Mail(job.recipient, f"Your registration, {name}", f"Your link: {link}\n")
        config = self.services.config
        return mails.build(content, sender=config.mail_from, sender_name=config.instance_name,
                           domain=config.host, now=self.services.clock.now())  # fmt: skip

    async def settle(self, job: MailJob, sent: Sent, state: JobState) -> None:
        self.settled.append((job.ref_id, sent.result, state))

    def mailers(self) -> dict[Purpose, Mailer]:
        return {"volunteer": Mailer(self.compose, self.settle)}


async def queue(services: Services, *queued: mail_queue.Queued) -> None:
    async with services.db.transaction() as tx:
        await mail_queue.enqueue(tx, queued, services.clock.now())


async def rows(services: Services) -> list[tuple[str, int | None, str, str | None]]:
    found = await services.db.fetchall(
        "SELECT purpose, ref_id, state, last_error FROM mail_queue ORDER BY id"
    )
    return [(r[0], r[1], r[2], r[3]) for r in found]


async def test_a_second_purpose_is_composed_by_its_own_mailer_beside_the_newsletters(
    services: Services, clock: FixedClock, smtp: SmtpServer
) -> None:
    registrations = RegistrationMailer(services, {41: "Ana", 42: "Bo"})
    worker = MailWorker(
        services.db, services.config,
        combined(newsletter.mailers(services), registrations.mailers()), clock=clock,
    )  # fmt: skip
    assert await subscribers.subscribe(services, "reader@news.example", "en")
    await queue(
        services,
        mail_queue.Queued("volunteer", "ana@help.example", token="ana-link", ref_id=41),
        mail_queue.Queued("volunteer", "gone@help.example", token="x", ref_id=43),
    )

    assert await worker.run_once() == 3

    (confirmation,) = smtp.to("reader@news.example")
    assert "Confirm your subscription" in confirmation.message["Subject"]
    (registration,) = smtp.to("ana@help.example")
    assert registration.message["Subject"] == "Your registration, Ana"
    assert f"{services.config.base_url}/volunteer/ana-link" in registration.part("plain")
    assert smtp.to("gone@help.example") == []  # its row is gone: composed to nothing
    # Each mailer settles its own mail only: the newsletter's confirmation is not heard here.
    assert registrations.settled == [(41, "sent", "done"), (43, "skipped", "failed")]
    assert await rows(services) == [
        ("confirm", None, "done", None),
        ("volunteer", 41, "done", None),
        ("volunteer", 43, "failed", "not to be sent"),
    ]
    # A finished row forgets its link's token, whatever its purpose.
    assert await services.db.fetchval("SELECT count(*) FROM mail_queue WHERE token <> ''") == 0


async def test_a_purpose_without_a_mailer_fails_readably_and_the_next_mail_goes_out(
    services: Services, clock: FixedClock, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    registrations = RegistrationMailer(services, {42: "Bo"})
    # This process knows the newsletter and the registrations, not the assignments.
    worker = MailWorker(
        services.db, services.config,
        combined(newsletter.mailers(services), registrations.mailers()), clock=clock,
    )  # fmt: skip
    await queue(
        services,
        mail_queue.Queued("assignment", "bo@help.example", token="a1", ref_id=7),
        mail_queue.Queued("assignment", "bo@help.example", token="a2", ref_id=8),
        mail_queue.Queued("volunteer", "bo@help.example", token="bo-link", ref_id=42),
    )

    with caplog.at_level(logging.INFO, logger="fedihub.mail.worker"):
        assert await worker.run_once() == 3

    (sent,) = smtp.received
    assert sent.message["Subject"] == "Your registration, Bo"
    reason = "no mailer for the purpose 'assignment' in this process: not sent"
    assert unregistered("assignment") == reason
    assert await rows(services) == [
        ("assignment", 7, "failed", reason),
        ("assignment", 8, "failed", reason),
        ("volunteer", 42, "done", None),
    ]
    attempts = await services.db.fetchall("SELECT attempts FROM mail_queue ORDER BY id")
    assert [r[0] for r in attempts] == [1, 1, 1]
    # Failed for good: a later pass does not pick them up again.
    clock.advance(86_400)
    assert await worker.run_once() == 0
    # Said once in the log, not once a row, and without the address.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [f"mail 1: {reason}"]
    assert "bo@help.example" not in caplog.text


def test_two_capabilities_cannot_claim_one_purpose(services: Services) -> None:
    with pytest.raises(ValueError, match="two mailers for the mail purpose 'confirm'"):
        combined(newsletter.mailers(services), newsletter.mailers(services))
    assert set(mailers(services)) == {"confirm", "issue", "assignment", "volunteer"}
