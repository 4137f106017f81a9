"""What a relief effort holds: volunteers, sites, shifts, assignments and coordinators' roles,
as typed values, and the pure arithmetic dispatch runs on (skills and availability as bits,
places compared by a normalised key). No I/O here.

Skills and availability are stored as integers of bits so that the dispatch board can filter
50,000 volunteers in one indexed-free scan with `&` (SQLite and PostgreSQL alike): a skill's bit
is its position in SKILLS, and a slot's is day * 4 + part of the day. Bits are stored, so both
lists only ever grow at their end.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

# The shared list of skills a sign-up offers (free text covers the rest). Append only.
SKILLS: tuple[tuple[str, str], ...] = (
    ("first_aid", "First aid"),
    ("medical", "Medical (nurse, doctor, paramedic)"),
    ("mental_health", "Emotional support"),
    ("driving", "Driving"),
    ("heavy_lifting", "Heavy lifting"),
    ("cleanup", "Clean-up and mucking out"),
    ("construction", "Building and carpentry"),
    ("electrical", "Electrical work"),
    ("plumbing", "Plumbing"),
    ("cooking", "Cooking and food handling"),
    ("distribution", "Sorting and handing out supplies"),
    ("childcare", "Childcare"),
    ("elder_care", "Care for older people"),
    ("translation", "Interpreting and translation"),
    ("legal", "Legal help"),
    ("outreach", "Door-to-door outreach"),
    ("admin", "Admin and data entry"),
    ("tech", "Computers and phones"),
)
SKILL_KEYS = tuple(key for key, _ in SKILLS)

DAYS: tuple[tuple[str, str], ...] = (
    ("mo", "Monday"), ("tu", "Tuesday"), ("we", "Wednesday"), ("th", "Thursday"),
    ("fr", "Friday"), ("sa", "Saturday"), ("su", "Sunday"),
)  # fmt: skip
# Parts of a day, by the hour each starts (local time); night runs to the morning.
PARTS: tuple[tuple[str, str, int], ...] = (
    ("morning", "Morning (6–12)", 6),
    ("afternoon", "Afternoon (12–18)", 12),
    ("evening", "Evening (18–24)", 18),
    ("night", "Night (0–6)", 0),
)
PART_KEYS = tuple(key for key, _, _ in PARTS)
ALL_SLOTS = (1 << (len(DAYS) * len(PARTS))) - 1

Transport = Literal["none", "bike", "car", "van", "public"]
TRANSPORTS: tuple[tuple[Transport, str], ...] = (
    ("none", "On foot / none"),
    ("public", "Public transport"),
    ("bike", "Bicycle"),
    ("car", "Car"),
    ("van", "Van or truck"),
)
# How long a volunteer lets the effort keep and use their details, in months (of 30 days).
CONSENT_MONTHS = (1, 3, 6, 12)
MONTH_S = 30 * 86_400.0

AssignmentState = Literal["invited", "confirmed", "declined", "cancelled", "checked_in"]
# Who is expected at a shift: asked and not said no, or there already.
COMING: tuple[AssignmentState, ...] = ("invited", "confirmed", "checked_in")
ShiftState = Literal["open", "cancelled"]
# A hub's organisers lead its effort (everything); the others hold a role per effort.
Role = Literal["lead", "dispatcher", "site"]
AuditAction = Literal[
    "list", "view", "board", "site", "export", "assign", "check_in", "grant", "revoke",
    "delete", "expire",
]  # fmt: skip


def skill_bits(keys: Iterable[str]) -> int:
    """The bits of the known skills among `keys` (unknown ones are the caller's to refuse)."""
    return sum(1 << SKILL_KEYS.index(k) for k in set(keys) if k in SKILL_KEYS)


def skills_of(bits: int) -> tuple[str, ...]:
    return tuple(key for n, key in enumerate(SKILL_KEYS) if bits >> n & 1)


def slot(day: int, part: int) -> int:
    """The bit of a day (0 = Monday) and part of the day (an index into PARTS)."""
    return 1 << (day * len(PARTS) + part)


def slot_keys(bits: int) -> tuple[tuple[str, str], ...]:
    """(day, part) keys of the slots set in `bits`, Monday morning first."""
    return tuple(
        (day, part)
        for d, (day, _) in enumerate(DAYS)
        for p, part in enumerate(PART_KEYS)
        if bits & slot(d, p)
    )


def part_of_hour(hour: int) -> int:
    for index, (_, _, starts) in enumerate(PARTS):
        if starts <= hour < starts + 6:
            return index
    raise ValueError(hour)


def shift_slots(starts_at: float, ends_at: float, zone: ZoneInfo) -> int:
    """The availability bits a shift falls in, in the zone of its hub: every part of a day that
    one of its hours touches."""
    bits = 0
    hour = datetime.fromtimestamp(starts_at, zone).replace(minute=0, second=0, microsecond=0)
    end = datetime.fromtimestamp(ends_at, zone)
    while hour < end:
        bits |= slot(hour.weekday(), part_of_hour(hour.hour))
        hour = (hour + timedelta(hours=1)).astimezone(zone)
    return bits


def area_key(area: str) -> str:
    """A place's name as compared: case, accents, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", area.casefold())
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split())


def language_list(codes: Iterable[str]) -> str:
    """Codes as stored, each between spaces (' en es '), so `LIKE '% es %'` finds one."""
    unique = sorted({c.strip().lower() for c in codes if c.strip()})
    return f" {' '.join(unique)} " if unique else ""


def languages_of(stored: str) -> tuple[str, ...]:
    return tuple(stored.split())


@dataclass(frozen=True)
class Effort:
    hub_id: int
    signup_open: bool = True
    intro: str = ""


@dataclass(frozen=True)
class SignUp:
    """A sign-up form as read and checked (volunteers/signup.py): what is stored."""

    name: str
    email: str | None
    phone: str | None
    phone_key: str | None
    handle: str | None
    languages: tuple[str, ...]
    skills: int
    other_skills: str
    availability: int
    area: str
    transport: Transport
    notes: str
    consent_months: int
    language: str = "en"


@dataclass(frozen=True)
class Volunteer:
    id: int
    hub_id: int
    name: str
    email: str | None
    phone: str | None
    handle: str | None
    languages: tuple[str, ...]
    skills: int
    other_skills: str
    availability: int
    area: str
    transport: Transport
    notes: str
    language: str
    consent_until: float
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Site:
    id: int
    hub_id: int
    name: str
    area: str
    address: str
    needs: str


@dataclass(frozen=True)
class Shift:
    post_id: int
    hub_id: int
    site_id: int
    starts_at: float
    ends_at: float
    needed: int
    skills: int
    languages: tuple[str, ...]
    slots: int
    state: ShiftState
    timezone: str = "UTC"  # its post's: slots and the times its invitations give


@dataclass(frozen=True)
class Places:
    """A shift's places as anyone may see them: counts, never names."""

    needed: int
    invited: int  # asked, no answer yet
    confirmed: int  # confirmed or checked in

    @property
    def open(self) -> int:
        """Places nobody has confirmed yet."""
        return max(self.needed - self.confirmed, 0)


@dataclass(frozen=True)
class Assignment:
    id: int
    shift_id: int
    volunteer_id: int
    state: AssignmentState
    assigned_at: float
    answered_at: float | None
    checked_in_at: float | None
