"""A mail as it goes out: plain text and HTML alternatives, a Message-ID of our domain, and,
for a list, RFC 2369's List-Unsubscribe with RFC 8058's one-click List-Unsubscribe-Post. Pure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from fedihub.errors import BadRequest

# Header values never hold a line end: an address or subject with one is refused, not folded.
_LINE_ENDS = ("\r", "\n", "\x00")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""  # https://…/newswire/unsubscribe/TOKEN: one-click headers
    list_id: str = ""  # "Newsletter <newsletter.example.org>"


def one_header(value: str, name: str) -> str:
    if any(c in value for c in _LINE_ENDS):
        raise BadRequest("%(name)s: a line break has no place in a mail header", name=name)
    return value


def build(mail: Mail, *, sender: str, sender_name: str, domain: str, now: float) -> EmailMessage:
    """The message, with a fresh Message-ID; BadRequest if a header value holds a line end."""
    message = EmailMessage()
    host = domain.split(":", 1)[0]
    message["From"] = formataddr((one_header(sender_name, "From"), one_header(sender, "From")))
    message["To"] = Address(addr_spec=one_header(mail.to, "To"))
    message["Subject"] = one_header(mail.subject, "Subject")
    message["Date"] = format_datetime(datetime.fromtimestamp(now, UTC))
    message["Message-ID"] = f"<{secrets.token_hex(16)}@{host}>"
    if mail.list_id:
        message["List-Id"] = one_header(mail.list_id, "List-Id")
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{one_header(mail.unsubscribe_url, 'List-Unsubscribe')}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message
