"""When the weekly issue is due: the week's sending moment in `newsletter_timezone`, and the
week an issue belongs to. Pure: times come in as arguments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fedihub.config import WEEKDAYS, Config

WEEK_S = 7 * 86_400.0
# A scheduled issue missed while the server was down is still made this long after its time;
# later than that it would be old news, and the next week's carries the items instead.
CATCH_UP_S = 2 * 86_400.0


@dataclass(frozen=True)
class Week:
    key: str  # the ISO week of the sending moment, in the newsletter's zone: "2026-W49"
    moment: float  # when this week's issue is due


def week_key(moment: float, zone: ZoneInfo) -> str:
    year, week, _ = dt.datetime.fromtimestamp(moment, zone).isocalendar()
    return f"{year}-W{week:02d}"


def _moment_in_week(day: dt.date, config: Config, zone: ZoneInfo) -> float:
    """The sending moment of the ISO week `day` is in."""
    monday = day - dt.timedelta(days=day.isoweekday() - 1)
    date = monday + dt.timedelta(days=WEEKDAYS.index(config.newsletter_day))
    hour, minute = (int(x) for x in config.newsletter_time.split(":"))
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone).timestamp()


def latest_due(config: Config, now: float) -> Week:
    """The most recent sending moment at or before `now`, and its week."""
    zone = ZoneInfo(config.newsletter_timezone)
    today = dt.datetime.fromtimestamp(now, zone).date()
    moment = _moment_in_week(today, config, zone)
    if moment > now:
        moment = _moment_in_week(today - dt.timedelta(days=7), config, zone)
    return Week(week_key(moment, zone), moment)


def current_week(config: Config, now: float) -> Week:
    """This week (in the newsletter's zone), made at once: `send-now`."""
    zone = ZoneInfo(config.newsletter_timezone)
    return Week(week_key(now, zone), now)
