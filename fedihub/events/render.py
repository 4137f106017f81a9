"""The ActivityStreams shape of events and calls, and the lines people read about them. Pure.

Mastodon shows an Event as its name, its summary and a link, so every event's `summary` states
date, time, zone and place; Mobilizon and Gancio read the event fields (Mobilizon's `mz:` terms
and FEP-8a8e's), so both are there. The kinds event and call (fedihub/kinds) render with these;
the calendar feed and the dashboard list with them.
"""

from __future__ import annotations

import datetime as dt
import functools
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.events.fields import ScheduledFields, scheduled_fields
from fedihub.events.schedule import check_rule, rule_text
from fedihub.events.store import Attendance
from fedihub.posts.render import link_html, list_html
from fedihub.posts.store import Post
from fedihub.words import ENGLISH, N_, Words

ICAL_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}
EVENT_STATUS = {
    "confirmed": "https://w3id.org/fep/8a8e/EventScheduled",
    "tentative": "https://w3id.org/fep/8a8e/EventTentative",
    "cancelled": "https://w3id.org/fep/8a8e/EventCancelled",
}


def zone_of(post: Post, series: Post | None) -> ZoneInfo:
    return ZoneInfo(scheduled_fields(post, series).timezone)


def local_time(timestamp: float, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).astimezone(zone)


def when_line(starts_at: float, ends_at: float, zone: ZoneInfo, words: Words = ENGLISH) -> str:
    """'Monday, December 7, 2026, 20:00–21:00 (America/New_York)', as `words` writes dates."""
    start, end = local_time(starts_at, zone), local_time(ends_at, zone)
    if start.date() == end.date():
        return words("%(day)s, %(start)s–%(end)s (%(zone)s)", day=words.date(start),
                     start=words.time(start), end=words.time(end), zone=zone.key)  # fmt: skip
    return words(
        "%(start_day)s %(start)s – %(end_day)s %(end)s (%(zone)s)", start_day=words.date(start),
        start=words.time(start), end_day=words.date(end), end=words.time(end), zone=zone.key,
    )  # fmt: skip


def address_line(location: dict[str, Any]) -> str:
    address = [location.get(k) for k in ("street", "locality", "region", "country")]
    return ", ".join(p for p in [location.get("name"), *address] if p)


def place_line(fields: ScheduledFields, words: Words = ENGLISH) -> str:
    parts = []
    if fields.location:
        parts.append(address_line(fields.location))
    if fields.dial_in and fields.access_code:
        parts.append(words("dial in %(number)s, access code %(code)s", number=fields.dial_in,
                           code=fields.access_code))  # fmt: skip
    elif fields.dial_in:
        parts.append(words("dial in %(number)s", number=fields.dial_in))
    if fields.online_url:
        parts.append(words("online: %(url)s", url=fields.online_url))
    return " · ".join(parts)


def summary_line(post: Post, series: Post | None = None, words: Words = ENGLISH) -> str:
    """Plain text for microblog readers: when, where, and whether it is off."""
    if post.starts_at is None or post.ends_at is None:
        return ""
    line = when_line(post.starts_at, post.ends_at, zone_of(post, series), words)
    place = place_line(scheduled_fields(post, series), words)
    if post.status == "cancelled":
        line = words("CANCELLED: %(when)s", when=line)
    elif post.status == "tentative":
        line = words("Tentative: %(when)s", when=line)
    return line + (f" · {place}" if place else "")


# Ordinals of BYDAY=1MO and BYSETPOS, and the weekdays of an RRULE as Babel numbers them.
ORDINALS = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), 5: N_("fifth"),
            -1: N_("last")}  # fmt: skip
WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _rule_parts(rule: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in rule_text(rule).upper().split(";") if "=" in p)


def _days(parts: dict[str, str], words: Words) -> tuple[list[str], int | None]:
    """The weekdays named, and the one ordinal they carry (1MO, -1FR or BYSETPOS), if any."""
    names, nth = [], None
    for day in filter(None, parts.get("BYDAY", "").split(",")):
        if day[-2:] in WEEKDAYS:
            names.append(words.weekday(WEEKDAYS[day[-2:]]))
            number = day[:-2].lstrip("+")
            if number.lstrip("-").isdigit():
                nth = int(number)
    position = parts.get("BYSETPOS", "")
    if nth is None and position.lstrip("-").isdigit():
        nth = int(position)
    return names, nth


def schedule_text(rule: str, start: dt.datetime, words: Words = ENGLISH) -> str:
    """'weekly on Tuesday at 20:00 (America/New_York)', 'every other week on Monday …', 'monthly
    on the first Monday …', in `words`' language."""
    check_rule(rule, start)  # a rule that fails raises each time: nothing of it is kept
    return _schedule_text(rule, start, start.tzinfo, words)


@functools.lru_cache(maxsize=1024)
def _schedule_text(
    rule: str, start: dt.datetime, start_zone: dt.tzinfo | None, words: Words
) -> str:
    # Pages describe the same call series on every request. `start_zone` is only in the key:
    # the same instant in two zones compares equal as a datetime.
    parts = _rule_parts(rule)
    freq = parts.get("FREQ", "")
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    days, nth = _days(parts, words)
    listed = ", ".join(days)
    if freq == "DAILY":
        text = words("daily") if interval == 1 else words.plural(
            "every %(count)s day", "every %(count)s days", interval)  # fmt: skip
    elif freq == "WEEKLY" and interval == 2:
        text = words("every other week on %(days)s", days=listed) if days else words(
            "every other week")  # fmt: skip
    elif freq == "WEEKLY" and interval > 2:
        text = words("every %(count)s weeks", count=interval)
        text += words(" on %(days)s", days=listed) if days else ""
    elif freq == "WEEKLY":
        text = words("weekly on %(days)s", days=listed) if days else words("weekly")
    elif freq == "MONTHLY" and days and nth in ORDINALS:
        text = words("monthly on the %(nth)s %(day)s", nth=words(ORDINALS[nth]), day=listed)
    elif freq == "MONTHLY" and parts.get("BYMONTHDAY"):
        text = words("monthly on day %(days)s", days=parts["BYMONTHDAY"].replace(",", ", "))
    elif freq == "MONTHLY":
        text = words("monthly") if interval == 1 else words.plural(
            "every %(count)s month", "every %(count)s months", interval)  # fmt: skip
    else:
        text = words("yearly")
    zone = getattr(start.tzinfo, "key", str(start.tzinfo))
    return words("%(rule)s at %(time)s (%(zone)s)", rule=text, time=words.time(start), zone=zone)


def series_line(series: Post, words: Words = ENGLISH) -> str:
    """A call series for microblog readers: its rule (or its one date) and how to join."""
    fields = scheduled_fields(series)
    if not fields.schedule or series.starts_at is None:
        return summary_line(series, None, words)
    start = local_time(series.starts_at, ZoneInfo(fields.timezone))  # zone_of's, read once
    place = place_line(fields, words)
    line = words("Repeats %(schedule)s", schedule=schedule_text(fields.schedule, start, words))
    return line + (f" · {place}" if place else "")


def _line(template: str, words: Words, **html: str) -> str:
    """A paragraph from a translated template whose parameters are HTML already."""
    return f"<p>{escape(words.gettext(template)) % html}</p>"


def scheduled_html(post: Post, series: Post | None, words: Words = ENGLISH) -> str:
    """The readable body of an event or call: when, where, how to join, then the description."""
    source = series or post
    f = scheduled_fields(source)
    parts = []
    if post.status == "cancelled":
        cancelled = words("Cancelled.")
        parts.append(f"<p><strong>{escape(cancelled)}</strong></p>")
    if post.starts_at is not None and post.ends_at is not None:
        when = when_line(post.starts_at, post.ends_at, zone_of(post, series), words)
        parts.append(f"<p>{escape(when)}</p>")
    if f.schedule and source.starts_at is not None:  # only call series have one
        start = local_time(source.starts_at, zone_of(source, None))
        rule = schedule_text(f.schedule, start, words)
        parts.append(f"<p>{escape(words('Repeats %(schedule)s', schedule=rule))}</p>")
    if f.location:
        parts.append(_line("Where: %(place)s", words, place=escape(address_line(f.location))))
    if f.dial_in and f.access_code:
        parts.append(_line("Dial in: %(number)s (access code %(code)s)", words,
                           number=escape(f.dial_in), code=escape(f.access_code)))  # fmt: skip
    elif f.dial_in:
        parts.append(_line("Dial in: %(number)s", words, number=escape(f.dial_in)))
    if f.online_url:
        parts.append(_line("Join online: %(link)s", words, link=link_html(f.online_url)))
    if f.facilitator:
        parts.append(_line("Facilitator: %(name)s", words, name=escape(f.facilitator)))
    if f.capacity:
        places = (
            words.plural("%(count)s place, then a waitlist", "%(count)s places, then a waitlist",
                         f.capacity) if f.waitlist
            else words.plural("%(count)s place", "%(count)s places", f.capacity)
        )  # fmt: skip
        parts.append(f"<p>{escape(places)}</p>")
    if f.agenda:
        agenda = escape(words("Agenda"))
        parts.append(f"<p><strong>{agenda}</strong></p>" + list_html(list(f.agenda)))
    parts.append(source.content_html)
    return "".join(parts)


def _place(fields: ScheduledFields) -> dict[str, Any] | list[dict[str, Any]] | None:
    """A Place, a VirtualLocation, or both for a hybrid event (FEP-8a8e)."""
    found: list[dict[str, Any]] = []
    location = fields.location
    if location:
        place: dict[str, Any] = {"type": "Place", "name": location["name"]}
        address = {
            "streetAddress": location.get("street"),
            "addressLocality": location.get("locality"),
            "addressRegion": location.get("region"),
            "postalCode": location.get("postal_code"),
            "addressCountry": location.get("country"),
        }
        address = {k: v for k, v in address.items() if v}
        if address:
            place["address"] = {"type": "PostalAddress", **address}
        if "latitude" in location:
            place["latitude"] = location["latitude"]
            place["longitude"] = location["longitude"]
        found.append(place)
    if fields.online_url:
        found.append({"type": "VirtualLocation", "url": fields.online_url})
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def event_fields(
    post: Post, series: Post | None, hub_uri: str, attendance: Attendance, words: Words = ENGLISH
) -> dict[str, Any]:
    """An event or a call occurrence as an Event: times, place, status and places left."""
    assert post.starts_at is not None and post.ends_at is not None
    fields = scheduled_fields(post, series)
    zone = zone_of(post, series)
    obj: dict[str, Any] = {
        "type": "Event",
        "startTime": local_time(post.starts_at, zone).isoformat(),
        "endTime": local_time(post.ends_at, zone).isoformat(),
        "timezone": zone.key,
        "organizers": [hub_uri],
        "eventStatus": EVENT_STATUS[post.status],
        "ical:status": ICAL_STATUS[post.status],
        "joinMode": "free",
        "participantCount": attendance.going,
        "isOnline": bool(fields.online_url or fields.dial_in) and not fields.location,
        "summary": summary_line(post, series, words),
        "content": scheduled_html(post, series, words),
    }
    location = _place(fields)
    if location is not None:
        obj["location"] = location
    if fields.capacity:
        obj["maximumAttendeeCapacity"] = fields.capacity
        obj["remainingAttendeeCapacity"] = max(fields.capacity - attendance.going, 0)
    if fields.category:
        obj["category"] = fields.category
    if fields.online_url:
        # Mobilizon shows the online room from a Link attachment.
        obj["attachment"] = [{"type": "Link", "name": "Website", "href": fields.online_url}]
    return obj
