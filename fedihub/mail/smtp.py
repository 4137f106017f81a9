"""Sending through the configured SMTP server with aiosmtplib: one connection kept open for
many messages, and each result classified (pure) as sent, refused for good (a 5xx on RCPT or
DATA: the address bounces) or worth another try (4xx, a refused or dropped connection)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from fedihub.config import Config

log = logging.getLogger(__name__)

# skipped: composed to nobody (unsubscribed or bounced meanwhile), so not sent at all.
Result = Literal["sent", "bounced", "retry", "skipped"]


@dataclass(frozen=True)
class Sent:
    result: Result
    reason: str = ""


def classify(error: BaseException) -> Sent:
    """What an aiosmtplib error means for this message. Pure."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
        return Sent("bounced" if permanent else "retry", detail)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        permanent = 500 <= error.code < 600
        return Sent("bounced" if permanent else "retry", f"{error.code} {error.message}")
    if isinstance(error, ValueError):  # aiosmtplib cannot write the address: it never will
        return Sent("bounced", f"unsendable address: {error}")
    # The sender refused, authentication, a 4xx anywhere, a dropped connection, a timeout:
    # nothing about this address; try again later.
    return Sent("retry", f"{type(error).__name__}: {error}")


class Sender:
    """One SMTP connection, opened when first needed and reused for the messages after it;
    closed after an error that may have left it in an unknown state."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._smtp: aiosmtplib.SMTP | None = None

    def _client(self) -> aiosmtplib.SMTP:
        c = self._config
        return aiosmtplib.SMTP(
            hostname=c.smtp_host, port=c.smtp_port, username=c.smtp_username or None,
            password=c.smtp_password or None, use_tls=c.smtp_security == "tls",
            start_tls=c.smtp_security == "starttls",
            timeout=c.fetch_timeout_s,
        )  # fmt: skip

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> Sent:
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = self._client()
                await self._smtp.connect()
            await self._smtp.send_message(message, sender=sender, recipients=[recipient])
        except (aiosmtplib.SMTPException, OSError, ValueError) as e:
            outcome = classify(e)
            if not isinstance(e, aiosmtplib.SMTPRecipientsRefused):
                await self.close()  # a refused recipient leaves the session usable; else not
            return outcome
        return Sent("sent")

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()
