"""A mail as it goes out: plain text and HTML alternatives, a Message-ID of our domain, and,
for a list, RFC 2369's List-Unsubscribe with RFC 8058's one-click List-Unsubscribe-Post. Pure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

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


def html_document(title: str, body: str, lang: str) -> str:
    """A mail's HTML part around `body` (already escaped): readable at a phone's width,
    without images or scripts; `.button` is a link people can tap."""
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>"
        "body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:0 auto;padding:1em;"
        "color:#1a1a1a;background:#fff}a{color:#0645ad}h1{font-size:1.4em}h2{font-size:1.2em}"
        "li{margin:.5em 0}.foot{margin-top:2em;border-top:1px solid #ccc;font-size:.9em}"
        ".button{display:inline-block;padding:.6em 1em;min-height:44px;box-sizing:border-box;"
        "background:#0645ad;color:#fff;text-decoration:none;border-radius:4px}"
        f"</style></head><body>{body}</body></html>"
    )
