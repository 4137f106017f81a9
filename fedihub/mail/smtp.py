"""Sending through the configured SMTP server with aiosmtplib: one connection kept open for
many messages, and each result classified (pure) as sent, refused for good (a 5xx on RCPT that
says the address is wrong: it bounces) or worth another try (4xx, a refused or dropped
connection, and a refusal that is about the sender or the message rather than the address:
a relay's policy, 5.7.x, or anything at DATA, which would otherwise mark a whole list)."""

from __future__ import annotations

import logging
import re
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


def address_refused(code: int, message: str) -> bool:
    """A 5xx reply to RCPT that is about the address: an enhanced status 5.1.x (bad address)
    or 5.2.x (mailbox), or none given. 5.7.x is the relay's policy about us (relaying denied,
    authentication, quotas): not the subscriber's fault, and it would hit every address."""
    if not 500 <= code < 600:
        return False
    enhanced = re.match(r"\s*(\d)\.(\d{1,3})\.\d{1,3}\b", message)
    return enhanced is None or enhanced.group(2) in ("1", "2")


def classify(error: BaseException) -> Sent:
    """What an aiosmtplib error means for this message. Pure."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        replies = [(r.code, r.message) for r in error.recipients]
        detail = "; ".join(f"{code} {message}" for code, message in replies)
        bounced = bool(replies) and all(address_refused(c, m) for c, m in replies)
        return Sent("bounced" if bounced else "retry", detail)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        bounced = address_refused(error.code, error.message)
        return Sent("bounced" if bounced else "retry", f"{error.code} {error.message}")
    if isinstance(error, aiosmtplib.SMTPDataError):  # the message or the sender, not the address
        return Sent("retry", f"{error.code} {error.message}")
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
