"""The ActivityStreams shape of events and calls, and the lines people read about them. Pure.

Mastodon shows an Event as its name, its summary and a link, so every event's `summary` states
date, time, zone and place; Mobilizon and Gancio read the event fields (Mobilizon's `mz:` terms
and FEP-8a8e's), so both are there. The kinds event and call (fedihub/kinds) render with these;
the calendar feed and the dashboard list with them.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.events.fields import ScheduledFields, scheduled_fields
from fedihub.events.schedule import describe
from fedihub.events.store import Attendance
from fedihub.posts.render import link_html, list_html
from fedihub.posts.store import Post

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


def when_line(starts_at: float, ends_at: float, zone: ZoneInfo) -> str:
    """'Monday 7 December 2026, 20:00–21:00 (America/New_York)'."""
    start, end = local_time(starts_at, zone), local_time(ends_at, zone)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({zone.key})"
    return f"{day} {start:%H:%M} – {end:%A} {end.day} {end:%B %Y} {end:%H:%M} ({zone.key})"


def address_line(location: dict[str, Any]) -> str:
    address = [location.get(k) for k in ("street", "locality", "region", "country")]
    return ", ".join(p for p in [location.get("name"), *address] if p)


def place_line(fields: ScheduledFields) -> str:
    parts = []
    if fields.location:
        parts.append(address_line(fields.location))
    if fields.dial_in:
        code = f", access code {fields.access_code}" if fields.access_code else ""
        parts.append(f"dial in {fields.dial_in}{code}")
    if fields.online_url:
        parts.append(f"online: {fields.online_url}")
    return " · ".join(parts)


def summary_line(post: Post, series: Post | None = None) -> str:
    """Plain text for microblog readers: when, where, and whether it is off."""
    if post.starts_at is None or post.ends_at is None:
        return ""
    line = when_line(post.starts_at, post.ends_at, zone_of(post, series))
    place = place_line(scheduled_fields(post, series))
    status = {"cancelled": "CANCELLED: ", "tentative": "Tentative: "}.get(post.status, "")
    return f"{status}{line}" + (f" · {place}" if place else "")


def series_line(series: Post) -> str:
    """A call series for microblog readers: its rule (or its one date) and how to join."""
    fields = scheduled_fields(series)
    if not fields.schedule or series.starts_at is None:
        return summary_line(series)
    start = local_time(series.starts_at, zone_of(series, None))
    place = place_line(fields)
    schedule = fields.schedule
    return f"Repeats {describe(schedule, start)}" + (f" · {place}" if place else "")


def scheduled_html(post: Post, series: Post | None) -> str:
    """The readable body of an event or call: when, where, how to join, then the description."""
    source = series or post
    f = scheduled_fields(source)
    parts = []
    if post.status == "cancelled":
        parts.append("<p><strong>Cancelled.</strong></p>")
    if post.starts_at is not None and post.ends_at is not None:
        parts.append(
            f"<p>{escape(when_line(post.starts_at, post.ends_at, zone_of(post, series)))}</p>"
        )
    if f.schedule and source.starts_at is not None:  # only call series have one
        start = local_time(source.starts_at, zone_of(source, None))
        parts.append(f"<p>Repeats {escape(describe(f.schedule, start))}</p>")
    if f.location:
        parts.append(f"<p>Where: {escape(address_line(f.location))}</p>")
    if f.dial_in:
        code = f" (access code {escape(f.access_code)})" if f.access_code else ""
        parts.append(f"<p>Dial in: {escape(f.dial_in)}{code}</p>")
    if f.online_url:
        parts.append(f"<p>Join online: {link_html(f.online_url)}</p>")
    if f.facilitator:
        parts.append(f"<p>Facilitator: {escape(f.facilitator)}</p>")
    if f.agenda:
        parts.append("<p><strong>Agenda</strong></p>" + list_html(list(f.agenda)))
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
    post: Post, series: Post | None, hub_uri: str, attendance: Attendance
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
        "summary": summary_line(post, series),
        "content": scheduled_html(post, series),
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
