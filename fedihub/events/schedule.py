"""Recurring call schedules: an iCalendar RRULE read with dateutil, expanded in wall-clock time.
Pure.

"Every Monday 20:00 America/New_York" stays 20:00 in New York across daylight-saving changes, so
occurrences are computed from a zone-aware start and converted to UTC one by one.
"""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrule, rrulestr

from fedihub.errors import BadRequest

TOO_FREQUENT = ("SECONDLY", "MINUTELY", "HOURLY")
MAX_OCCURRENCES = 500


def parse_rule(rule: str, start: dt.datetime) -> rrule:
    """The schedule as a dateutil rule starting at `start` (an aware wall-clock time)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    upper = text.upper()
    if "FREQ=" not in upper or "DTSTART" in upper or "\n" in text:
        raise BadRequest("schedule: an iCalendar RRULE such as FREQ=WEEKLY;BYDAY=MO")
    parts = dict(p.split("=", 1) for p in upper.split(";") if "=" in p)
    # BYHOUR and friends would make a "daily" rule fire every hour.
    if parts.get("FREQ") in TOO_FREQUENT or {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(parts):
        raise BadRequest("schedule: calls can repeat daily at most")
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and int(parts["INTERVAL"]) >= 1):
        raise BadRequest("schedule: INTERVAL must be a whole number, 1 or more")
    try:
        parsed = rrulestr(text, dtstart=start)
    except (ValueError, TypeError, KeyError) as e:
        raise BadRequest(f"schedule: not a valid RRULE ({e})") from e
    if not isinstance(parsed, rrule):
        raise BadRequest("schedule: one RRULE, not a set")
    return parsed


def rule_text(rule: str) -> str:
    """The rule as iCalendar writes it after `RRULE:`."""
    text = rule.strip()
    return text[6:] if text.upper().startswith("RRULE:") else text


def occurrences(
    rule: str, start: dt.datetime, duration: dt.timedelta, after: float, until: float
) -> list[tuple[float, float]]:
    """(starts_at, ends_at) UTC timestamps of occurrences starting in [after, until)."""
    parsed = parse_rule(rule, start)
    zone = start.tzinfo
    window_start = dt.datetime.fromtimestamp(after, dt.UTC).astimezone(zone)
    window_end = dt.datetime.fromtimestamp(until, dt.UTC).astimezone(zone)
    found = []
    for moment in parsed.xafter(window_start - dt.timedelta(seconds=1), count=MAX_OCCURRENCES):
        if moment >= window_end:
            break
        begins = moment.timestamp()
        if begins >= after:
            found.append((begins, begins + duration.total_seconds()))
    return found


DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
             "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}  # fmt: skip
FREQ_WORDS = {"YEARLY": ("yearly", "years"), "MONTHLY": ("monthly", "months"),
              "WEEKLY": ("weekly", "weeks"), "DAILY": ("daily", "days")}  # fmt: skip


def describe(rule: str, start: dt.datetime) -> str:
    """A short English line for people: 'weekly on Monday at 20:00 (America/New_York)'."""
    parse_rule(rule, start)
    parts = dict(p.split("=", 1) for p in rule_text(rule).upper().split(";") if "=" in p)
    word, unit = FREQ_WORDS.get(parts.get("FREQ", ""), ("repeating", "times"))
    interval = parts.get("INTERVAL", "1")
    text = f"every {interval} {unit}" if interval.isdigit() and int(interval) > 1 else word
    days = [DAY_NAMES[d[-2:]] for d in parts.get("BYDAY", "").split(",") if d[-2:] in DAY_NAMES]
    if days and word != "daily":
        text += " on " + ", ".join(days)
    zone = getattr(start.tzinfo, "key", str(start.tzinfo))
    return f"{text} at {start:%H:%M} ({zone})"
