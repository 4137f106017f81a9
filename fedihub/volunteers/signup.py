"""The public sign-up form, read and checked into a `model.SignUp` (pure: no I/O). The same
reading serves the sign-up page and a volunteer's own page (their private link), and
`form_values` turns a stored record back into the form's fields to prefill it.

Fields: name; email and/or phone; handle; languages (checkboxes) and other_languages (codes
typed); skills (checkboxes) and other_skills; one checkbox per day and part of the day, named
`avail.mo.morning`; area; transport; notes; consent (the box) and consent_months. Every
BadRequest names the first field that is wrong, as a template the page translates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fedihub.errors import BadRequest
from fedihub.newswire.fields import EMAIL, MAX_EMAIL, one_line, plain
from fedihub.posts.fieldreaders import LANGUAGE
from fedihub.volunteers.model import (
    CONSENT_MONTHS,
    DAYS,
    MONTH_S,
    PART_KEYS,
    SKILL_KEYS,
    TRANSPORTS,
    SignUp,
    Transport,
    Volunteer,
    skills_of,
    slot,
    slot_keys,
)

# What the browser sends: one text per field, or a list where several boxes share a name.
FormValues = Mapping[str, str | list[str]]

MAX_NAME = 120
MAX_AREA = 120
MAX_OTHER_SKILLS = 500
MAX_NOTES = 1_000
MAX_PHONE = 40  # as typed, with its spaces and brackets
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 6, 20
MAX_HANDLE = 320
MAX_LANGUAGES = 20
MAX_LANGUAGES_TYPED = 200
MULTIPLE = ("languages", "skills")  # the fields whose boxes share a name
AVAILABILITY = "avail."
TRANSPORT_KEYS: tuple[Transport, ...] = tuple(key for key, _ in TRANSPORTS)
DEFAULT_CONSENT_MONTHS = 3

# A number as people write it: digits, spaces, dots, dashes and brackets, a + only in front.
PHONE = re.compile(r"^\+?[0-9 ().-]+$")
# @name@host (the first @ may be left out); a host with a dot, or localhost, and maybe a port.
HANDLE = re.compile(
    r"^@?(?P<user>[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})@"
    # A domain, or an IPv4 address (RFC 7565's acct: host allows one; a test server has one).
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}|localhost"
    r"|(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))"
    r"(?P<port>:[0-9]{1,5})?$"
)


def availability_field(day: str, part: str) -> str:
    """The name of one box of the grid: `avail.mo.morning`."""
    return f"{AVAILABILITY}{day}.{part}"


def one_value(values: FormValues, name: str) -> str:
    """A single field's text; a field sent twice counts by its first value."""
    value = values.get(name, "")
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def all_values(values: FormValues, name: str) -> list[str]:
    value = values.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def read_email(value: str) -> str | None:
    """An e-mail address, lower-cased (what makes two sign-ups the same person), or None."""
    address = one_line(value, "email", MAX_EMAIL)
    if not address:
        return None
    if not EMAIL.match(address):
        raise BadRequest("email: %(address)r is not an e-mail address", address=address)
    return address.lower()


def phone_key(phone: str) -> str:
    """What makes two numbers the same: the digits, and a leading + if it has one."""
    digits = "".join(c for c in phone if c.isascii() and c.isdigit())
    return f"+{digits}" if phone.startswith("+") else digits


def read_phone(value: str) -> tuple[str | None, str | None]:
    """A phone number tidied (spaces collapsed) and its key, or (None, None)."""
    phone = one_line(value, "phone", MAX_PHONE)
    if not phone:
        return None, None
    if not PHONE.match(phone):
        raise BadRequest("phone: %(phone)r: only digits, spaces and + - ( ) . please", phone=phone)
    key = phone_key(phone)
    if not MIN_PHONE_DIGITS <= len(key.lstrip("+")) <= MAX_PHONE_DIGITS:
        raise BadRequest("phone: a number has %(min)s to %(max)s digits",
                         min=MIN_PHONE_DIGITS, max=MAX_PHONE_DIGITS)  # fmt: skip
    return phone, key


def read_handle(value: str) -> str | None:
    """A fediverse handle as @name@host (the host lower-cased), or None. A link is refused:
    assignments are sent to a handle, and a link to a profile is not one."""
    handle = one_line(value, "handle", MAX_HANDLE)
    if not handle:
        return None
    if "/" in handle or ":" in handle.split("@")[0]:
        raise BadRequest("handle: give your handle like @name@example.org, not a link")
    match = HANDLE.match(handle)
    if match is None:
        raise BadRequest(
            "handle: %(handle)r is not a fediverse handle like @name@example.org", handle=handle
        )
    return f"@{match['user']}@{match['host'].lower()}{match['port'] or ''}"


def read_languages(ticked: Sequence[str], typed: str) -> tuple[str, ...]:
    """The boxes ticked and the codes typed (separated by spaces or commas), each once."""
    typed = one_line(typed, "languages", MAX_LANGUAGES_TYPED)
    codes = [c.strip() for c in ticked if c.strip()] + [c for c in re.split(r"[\s,;]+", typed) if c]
    for code in codes:
        if not LANGUAGE.match(code):
            raise BadRequest(
                "languages: %(code)r is not a language code such as en, es or pt-BR",
                code=code[:40],
            )
    unique = tuple(dict.fromkeys(c.lower() for c in codes))
    if len(unique) > MAX_LANGUAGES:
        raise BadRequest("languages: at most %(max)s", max=MAX_LANGUAGES)
    return unique


def read_skills(keys: Sequence[str]) -> int:
    bits = 0
    for key in keys:
        if key not in SKILL_KEYS:
            raise BadRequest("skills: unknown skill %(skill)r", skill=key[:40])
        bits |= 1 << SKILL_KEYS.index(key)
    return bits


def read_availability(values: FormValues) -> int:
    """The grid's ticked boxes as bits (model.slot); a box the grid does not have is refused."""
    days = [key for key, _ in DAYS]
    bits = 0
    for name in values:
        if not name.startswith(AVAILABILITY):
            continue
        day, _, part = name[len(AVAILABILITY) :].partition(".")
        if day not in days or part not in PART_KEYS:
            raise BadRequest("availability: unknown time %(slot)r", slot=name[:40])
        if one_value(values, name):
            bits |= slot(days.index(day), PART_KEYS.index(part))
    if not bits:
        raise BadRequest("availability: tick at least one time when you could help")
    return bits


def read_transport(value: str) -> Transport:
    if not value:
        return "none"
    for key in TRANSPORT_KEYS:
        if key == value:
            return key
    raise BadRequest("transport: choose one of the list")


def read_consent(values: FormValues) -> int:
    """The months the volunteer lets the effort keep their details, once they agreed at all."""
    if not one_value(values, "consent"):
        raise BadRequest("consent: we can only take your details if you agree to be contacted")
    months = one_value(values, "consent_months")
    if months not in {str(m) for m in CONSENT_MONTHS}:  # only the choices offered, as written
        raise BadRequest("consent_months: choose how long we may keep your details")
    return int(months)


def read_form(values: FormValues, *, language: str = "en") -> SignUp:
    """The sign-up form, checked; `language` is the page's (the volunteer's mails')."""
    name = one_line(one_value(values, "name"), "name", MAX_NAME, required=True)
    email = read_email(one_value(values, "email"))
    phone, key = read_phone(one_value(values, "phone"))
    if email is None and phone is None:
        raise BadRequest("email: give an e-mail address or a phone number (or both)")
    return SignUp(
        name=name,
        email=email,
        phone=phone,
        phone_key=key,
        handle=read_handle(one_value(values, "handle")),
        languages=read_languages(
            all_values(values, "languages"), one_value(values, "other_languages")
        ),
        skills=read_skills(all_values(values, "skills")),
        other_skills=plain(one_value(values, "other_skills"), "other_skills", MAX_OTHER_SKILLS),
        availability=read_availability(values),
        area=one_line(one_value(values, "area"), "area", MAX_AREA, required=True),
        transport=read_transport(one_value(values, "transport")),
        notes=plain(one_value(values, "notes"), "notes", MAX_NOTES),
        consent_months=read_consent(values),
        language=language,
    )


def consent_left(consent_until: float, now: float) -> int:
    """The shortest choice that covers what is left of a consent (for prefilling the form)."""
    left = (consent_until - now) / MONTH_S
    return next((m for m in CONSENT_MONTHS if m >= left - 0.01), CONSENT_MONTHS[-1])


def form_values(
    volunteer: Volunteer, offered_languages: Sequence[str], now: float
) -> dict[str, str | list[str]]:
    """A stored record as the form's fields, so that saving it unchanged changes nothing:
    its languages among `offered_languages` as boxes, the others typed."""
    offered = {code.lower() for code in offered_languages}
    values: dict[str, str | list[str]] = {
        "name": volunteer.name,
        "email": volunteer.email or "",
        "phone": volunteer.phone or "",
        "handle": volunteer.handle or "",
        "languages": [c for c in offered_languages if c.lower() in volunteer.languages],
        "other_languages": " ".join(c for c in volunteer.languages if c not in offered),
        "skills": list(skills_of(volunteer.skills)),
        "other_skills": volunteer.other_skills,
        "area": volunteer.area,
        "transport": volunteer.transport,
        "notes": volunteer.notes,
        "consent": "yes",
        "consent_months": str(consent_left(volunteer.consent_until, now)),
    }
    for day, part in slot_keys(volunteer.availability):
        values[availability_field(day, part)] = "yes"
    return values
