"""Recurring call schedules: an iCalendar RRULE read with dateutil, expanded in wall-clock time.
Pure.

"Every Monday 20:00 America/New_York" stays 20:00 in New York across daylight-saving changes, so
occurrences are computed from a zone-aware start and converted to UTC one by one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

from dateutil.rrule import rrule, rrulestr

from fedihub.errors import BadRequest

TOO_FREQUENT = ("SECONDLY", "MINUTELY", "HOURLY")
MAX_OCCURRENCES = 500
ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT",
                 "UNTIL", "WKST"}  # fmt: skip
FIRST_WITHIN = dt.timedelta(days=731)


def parse_rule(rule: str, start: dt.datetime) -> rrule:
    """The schedule as a dateutil rule starting at `start` (an aware wall-clock time)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    upper = text.upper()
    if "FREQ=" not in upper or "DTSTART" in upper or "\n" in text:
        raise BadRequest("schedule: an iCalendar RRULE such as FREQ=WEEKLY;BYDAY=MO")
    parts = dict(p.split("=", 1) for p in upper.split(";") if "=" in p)
    unknown = set(parts) - ALLOWED_PARTS
    if unknown:
        raise BadRequest(
            "schedule: %(part)s is not supported in a call schedule", part=sorted(unknown)[0]
        )
    _check_month_days(parts)
    # BYHOUR and friends would make a "daily" rule fire every hour.
    if parts.get("FREQ") in TOO_FREQUENT or {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(parts):
        raise BadRequest("schedule: calls can repeat daily at most")
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and int(parts["INTERVAL"]) >= 1):
        raise BadRequest("schedule: INTERVAL must be a whole number, 1 or more")
    try:
        parsed = rrulestr(text, dtstart=start)
    except (ValueError, TypeError, KeyError) as e:
        raise BadRequest("schedule: not a valid RRULE (%(reason)s)", reason=str(e)) from e
    if not isinstance(parsed, rrule):
        raise BadRequest("schedule: one RRULE, not a set")
    # A rule can be valid and never fire (30 February): dateutil would search for ever.
    if _bounded(parsed, start + FIRST_WITHIN).after(start, inc=True) is None:
        raise BadRequest("schedule: the rule has no date in the next two years")
    return parsed


def check_rule(rule: str, start: dt.datetime) -> None:
    """`parse_rule`'s refusals alone, remembered for a rule that passed: pages describe the same
    stored rules on every request, and dateutil takes longer to read one than a page to list it."""
    _checked(rule, start, start.tzinfo)


@functools.lru_cache(maxsize=1024)
def _checked(rule: str, start: dt.datetime, zone: dt.tzinfo | None) -> None:
    # `zone` is only in the key: the same instant in two zones compares equal as a datetime.
    parse_rule(rule, start)


def _bounded(parsed: rrule, until: dt.datetime) -> rrule:
    """The rule stopped at `until`. A rule with COUNT is bounded already, and dateutil refuses
    COUNT with UNTIL (RFC 5545 forbids both), so it is kept as it is."""
    if getattr(parsed, "_count", None) is not None:  # dateutil has no public accessor
        return parsed
    return parsed.replace(until=until)


def _check_month_days(parts: dict[str, str]) -> None:
    """dateutil searches for ever for a date that cannot exist (30 February), so such rules are
    refused before it is asked; with these parts allowed, every other rule fires within years."""
    try:
        days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
        months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m] or list(range(1, 13))
        positions = [int(p) for p in parts.get("BYSETPOS", "").split(",") if p]
    except ValueError as e:
        raise BadRequest("schedule: BYMONTHDAY, BYMONTH and BYSETPOS take numbers") from e
    if any(not 1 <= abs(p) <= 5 for p in positions):
        raise BadRequest("schedule: BYSETPOS picks the 1st to 5th (or -1st to -5th) day")
    if any(not 1 <= m <= 12 for m in months):
        raise BadRequest("schedule: BYMONTH takes months 1 to 12")
    longest = max(calendar.monthrange(2028, m)[1] for m in months)  # 2028: a leap year
    if days and not any(1 <= abs(d) <= longest for d in days):
        raise BadRequest("schedule: no month of the rule has that day")


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
    bounded = _bounded(parsed, window_end)  # never iterates past the window
    found = []
    for moment in bounded.xafter(window_start - dt.timedelta(seconds=1), count=MAX_OCCURRENCES):
        if moment >= window_end:
            break
        begins = moment.timestamp()
        if begins >= after:
            found.append((begins, begins + duration.total_seconds()))
    return found
