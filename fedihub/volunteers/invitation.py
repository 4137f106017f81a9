"""What an assignment tells the volunteer, in their language: the shift's time in the hub's
zone, the site's name and address, what to bring, and the two links (confirm, decline) to the
answer page. Pure: the e-mail (volunteers/mail.py) and the direct message (assignments.py)
are both written from it, and neither names anyone but the site and the hub.

The links are the secret: they go to this volunteer only (their e-mail, or a direct message
addressed to their actor alone)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from fedihub.events.render import when_line
from fedihub.words import Words


@dataclass(frozen=True)
class Invitation:
    """Everything the message says, gathered by the capability (no I/O here)."""

    hub_name: str
    timezone: str
    title: str  # the shift post's title, or "" (the site's name is said anyway)
    starts_at: float
    ends_at: float
    site_name: str
    address: str
    needs: str
    answer_url: str  # https://…/hubs/SLUG/volunteer/answer/TOKEN

    @property
    def confirm_url(self) -> str:
        return self.answer_url + "?choice=confirm"

    @property
    def decline_url(self) -> str:
        return self.answer_url + "?choice=decline"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # a zone this system does not know: UTC rather than nothing
        return ZoneInfo("UTC")


def when(invitation: Invitation, words: Words) -> str:
    """'lunes, 7 de diciembre de 2026, 08:00–12:00 (America/New_York)', as events say it."""
    return when_line(invitation.starts_at, invitation.ends_at, _zone(invitation.timezone), words)


def subject(invitation: Invitation, words: Words) -> str:
    return words("%(hub)s: can you come to %(site)s?", hub=invitation.hub_name,
                 site=invitation.site_name)  # fmt: skip


def lines(invitation: Invitation, words: Words) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order the message gives them; empty values left out."""
    found = [
        (words("Shift"), invitation.title),
        (words("When"), when(invitation, words)),
        (words("Where"), invitation.site_name),
        (words("Address"), invitation.address),
        (words("What to bring, what is needed"), invitation.needs),
    ]
    return [(label, value) for label, value in found if value.strip()]


def asked(invitation: Invitation, words: Words) -> str:
    return words("%(hub)s asks you to come to a volunteer shift.", hub=invitation.hub_name)


def please_answer(words: Words) -> str:
    return words("Please tell us whether you can come. These links are for you only: do not"
                 " share them.")  # fmt: skip


def note_html(invitation: Invitation, words: Words) -> str:
    """The direct message's paragraphs (the mention that addresses it is added by `tell`)."""
    details = "<br>".join(f"{escape(label)}: {escape(value)}"
                          for label, value in lines(invitation, words))  # fmt: skip
    return (
        f"<p>{escape(asked(invitation, words))}</p><p>{details}</p>"
        f"<p>{escape(please_answer(words))}</p>"
        f'<p>{escape(words("I can come"))}: <a href="{escape(invitation.confirm_url)}">'
        f"{escape(invitation.confirm_url)}</a><br>"
        f'{escape(words("I cannot come"))}: <a href="{escape(invitation.decline_url)}">'
        f"{escape(invitation.decline_url)}</a></p>"
    )


def text(invitation: Invitation, words: Words, greeting: str = "") -> str:
    """The plain-text form (the e-mail's text part)."""
    parts = [greeting, asked(invitation, words), ""] if greeting else [asked(invitation, words), ""]
    parts += [f"{label}: {value}" for label, value in lines(invitation, words)]
    parts += ["", please_answer(words), "",
              f"{words('I can come')}: {invitation.confirm_url}",
              f"{words('I cannot come')}: {invitation.decline_url}", ""]  # fmt: skip
    return "\n".join(parts)
