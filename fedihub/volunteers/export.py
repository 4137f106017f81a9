"""An effort's volunteers as CSV, for coordinators who take them into a spreadsheet. Pure: the
rows in, the text out (coordination.export reads, audits and calls it).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some take a
leading tab or carriage return the same way), so a volunteer who typed `=HYPERLINK(…)` as their
name would run it on a coordinator's machine: such a cell gets a leading apostrophe, which
spreadsheets show as text and do not keep (OWASP's advice for CSV injection)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from fedihub.activitystreams import iso
from fedihub.volunteers.model import DAYS, PARTS, SKILLS, TRANSPORTS, Volunteer, slot

Translate = Callable[[str], str]
COLUMNS = (
    "id", "name", "email", "phone", "handle", "languages", "skills", "other skills",
    "availability", "area", "transport", "notes", "consent until", "signed up", "updated",
)  # fmt: skip
# What a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AFTER_A_SEPARATOR = re.compile(r"([,;])(\s*)([=+\-@])")


def _same(text: str) -> str:
    return text


def safe_cell(value: object) -> str:
    """A cell as written: text that could start a formula gets an apostrophe first, and so does
    any part after a `,` or `;` inside it, which a spreadsheet splitting on that separator (as
    Spanish, French or German ones split on `;`) would read as a cell of its own."""
    text = "" if value is None else str(value)
    text = AFTER_A_SEPARATOR.sub(r"\1\2'\3", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def availability_text(bits: int, words: Translate = _same) -> str:
    """'Monday: Morning (6–12), Evening (18–24); Saturday: Night (0–6)' (in `words`)."""
    days = []
    for d, (_, day) in enumerate(DAYS):
        parts = [words(label) for p, (_, label, _) in enumerate(PARTS) if bits & slot(d, p)]
        if parts:
            days.append(f"{words(day)}: {', '.join(parts)}")
    return "; ".join(days)


def skills_text(bits: int, words: Translate = _same) -> str:
    return "; ".join(words(label) for n, (_, label) in enumerate(SKILLS) if bits >> n & 1)


def transport_text(key: str, words: Translate = _same) -> str:
    return next((words(label) for k, label in TRANSPORTS if k == key), key)


def row_of(v: Volunteer, words: Translate = _same) -> list[str]:
    consent = datetime.fromtimestamp(v.consent_until, UTC).date().isoformat()
    values: tuple[object, ...] = (
        v.id, v.name, v.email, v.phone, v.handle, " ".join(v.languages),
        skills_text(v.skills, words), v.other_skills, availability_text(v.availability, words),
        v.area, transport_text(v.transport, words), v.notes, consent, iso(v.created_at),
        iso(v.updated_at),
    )  # fmt: skip
    return [safe_cell(value) for value in values]


def csv_text(volunteers: Iterable[Volunteer], words: Translate = _same) -> str:
    """A header line and one line per volunteer (RFC 4180: CRLF, quoted where needed)."""
    out = io.StringIO()
    # Every cell quoted: a spreadsheet that splits on ";" (as Spanish, French or German ones do)
    # would otherwise start a new cell, perhaps a formula, inside an unquoted one.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    writer.writerows(row_of(v, words) for v in volunteers)
    return out.getvalue()
