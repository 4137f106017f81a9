"""A hub's calendar (iCalendar, RFC 5545) and its Atom feed (RFC 4287), built in memory. Pure.

Times go out in the post's own zone with a TZID and a matching VTIMEZONE, so "19:00 in New York"
stays 19:00 in calendar apps across daylight-saving changes. A call series is one VEVENT with its
RRULE; each cancelled occurrence is an override with the same UID and a RECURRENCE-ID, which is
how calendar apps learn that one date is off without losing the rest of the series.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fedihub.content import html_text
from fedihub.events.fields import scheduled_fields
from fedihub.events.render import ICAL_STATUS, local_time, place_line, scheduled_html, zone_of
from fedihub.events.schedule import rule_text
from fedihub.posts.render import fallback_title
from fedihub.posts.store import Post
from fedihub.words import words_for

if TYPE_CHECKING:  # icalendar (3 MB) loads with the first calendar asked for
    from icalendar import Event

PRODID = "-//fedihub//fedihub//EN"
ATOM = "http://www.w3.org/2005/Atom"
# XML 1.0 forbids these; ElementTree would write them anyway and every reader would reject the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class CalendarEntry:
    post: Post
    uid: str
    url: str
    hub_name: str
    title: str  # display_title's
    cancelled_starts: tuple[float, ...] = ()
    # An occurrence keeps no fields of its own: its zone, place and description are its series'.
    series: Post | None = None
    language: str = "en"  # of the words written into its description ("Where: …")


@dataclass(frozen=True)
class FeedEntry:
    id: str
    url: str
    title: str
    content_html: str
    published: float
    updated: float | None
    author_name: str
    categories: tuple[str, ...] = ()


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def _vevent(entry: CalendarEntry, stamp: dt.datetime, starts_at: float, ends_at: float) -> Event:
    from icalendar import Event

    zone = zone_of(entry.post, entry.series)
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", local_time(starts_at, zone))
    event.add("dtend", local_time(ends_at, zone))
    event.add("summary", entry.title)
    event.add("url", entry.url)
    return event


def _vevents(entry: CalendarEntry, stamp: dt.datetime) -> list[Event]:
    post, series = entry.post, entry.series
    assert post.starts_at is not None and post.ends_at is not None
    event = _vevent(entry, stamp, post.starts_at, post.ends_at)
    # Many calendar apps never show URL, so the link back also ends the description.
    words = words_for(entry.language)
    body = html_text(scheduled_html(post, series, words))
    event.add("description", f"{body}\n\n{entry.hub_name}: {entry.url}")
    place = place_line(scheduled_fields(post, series), words)
    if place:
        event.add("location", place)
    event.add("status", ICAL_STATUS[post.status])
    event.add("created", _utc(post.published_at))
    # Subscribed calendars refresh an event only when LAST-MODIFIED moves.
    event.add("last-modified", _utc(post.updated_at or post.published_at))
    # Only a call series has a schedule; its occurrences borrow its fields, never its rule.
    schedule = scheduled_fields(post).schedule if series is None else None
    if not schedule:
        return [event]
    from icalendar import vRecur

    # RRULE parts are case-insensitive but icalendar's parser only knows the upper-case names.
    event.add("rrule", vRecur.from_ical(rule_text(schedule).upper()))
    found = [event]
    for begins in sorted(set(entry.cancelled_starts)):
        cancelled = _vevent(entry, stamp, begins, begins + post.ends_at - post.starts_at)
        cancelled.add("recurrence-id", cancelled.decoded("DTSTART"))
        cancelled.add("description", f"{words('Cancelled.')}\n\n{entry.hub_name}: {entry.url}")
        cancelled.add("status", "CANCELLED")
        found.append(cancelled)
    return found


def build_calendar(entries: list[CalendarEntry], *, name: str, now: float) -> bytes:
    """An .ics of the hub's events and call series; entries without times are left out."""
    from icalendar import Calendar, vText

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # icalendar writes an X- property raw unless it is a vText: commas and newlines would leak.
    calendar.add("x-wr-calname", vText(" ".join(name.split())))
    calendar.add("method", "PUBLISH")
    dated = [e for e in entries if e.post.starts_at is not None and e.post.ends_at is not None]
    stamp = _utc(now)
    for entry in dated:
        for event in _vevents(entry, stamp):
            calendar.add_component(event)
    if dated:
        # VTIMEZONE rules are spelled out date by date: cover the events, and a decade of
        # any series, rather than icalendar's default 1970-2038.
        times = [t for e in dated for t in (e.post.starts_at, e.post.ends_at) if t is not None]
        first = _utc(min(times)).date() - dt.timedelta(days=366)
        last = _utc(max(times)).date() + dt.timedelta(days=3660)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    body: bytes = calendar.to_ical()
    return body


def _rfc3339(timestamp: float) -> str:
    return _utc(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def build_atom(
    entries: list[FeedEntry],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    html_url: str,
    updated: float,
    subtitle: str = "",
) -> bytes:
    """An Atom 1.0 feed; ElementTree does the escaping, so post HTML travels as escaped text.
    The bytes are those of ET.tostring(feed with its entries, encoding="utf-8",
    xml_declaration=True), written faster: each entry alone (their names carry no namespace
    prefix, so alone they come out as among the feed's children), a short one's text kept, and
    the whole encoded once (with the error handler ElementTree uses) rather than piece by piece
    through an encoding wrapper."""
    feed = atom_head(feed_id=feed_id, title=title, self_url=self_url, html_url=html_url,
                     updated=updated, subtitle=subtitle)  # fmt: skip
    head = ET.tostring(feed, encoding="unicode")  # it has children: it ends in </feed>
    text = head[: -len("</feed>")] + "".join(map(_entry_xml, entries)) + "</feed>"
    return f"<?xml version='1.0' encoding='utf-8'?>\n{text}".encode("utf-8", "xmlcharrefreplace")


def atom_head(
    *, feed_id: str, title: str, self_url: str, html_url: str, updated: float, subtitle: str
) -> ET.Element:
    """The feed element with what it says of itself; its entries follow (atom_entry)."""
    # A literal xmlns keeps every name unprefixed; ElementTree's default_namespace option
    # refuses the plain attribute names (rel, href, term) that Atom uses.
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    _add(feed, "updated", _rfc3339(updated))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=html_url)
    # RFC 4287 needs an author for every entry; the hub stands in when a post names nobody.
    _add(_add(feed, "author"), "name", title)
    _add(feed, "generator", "fedihub")
    return feed


def atom_entry(item: FeedEntry) -> ET.Element:
    entry = ET.Element("entry")
    _add(entry, "id", item.id)
    _add(entry, "title", item.title or fallback_title(item.content_html))
    changed = item.published if item.updated is None else item.updated
    _add(entry, "updated", _rfc3339(changed))
    _add(entry, "published", _rfc3339(item.published))
    _add(entry, "link", rel="alternate", type="text/html", href=item.url)
    if item.author_name:
        _add(_add(entry, "author"), "name", item.author_name)
    for term in item.categories:
        if term:
            _add(entry, "category", term=term)
    _add(entry, "content", item.content_html, type="html")
    return entry


# Feeds are fetched again and again with the same entries: a short entry's text is kept.
CACHED_ENTRY_CHARS = 8_000


def _entry_xml(item: FeedEntry) -> str:
    if len(item.content_html) <= CACHED_ENTRY_CHARS:
        return _cached_entry_xml(item)
    return ET.tostring(atom_entry(item), encoding="unicode")


@functools.lru_cache(maxsize=1024)
def _cached_entry_xml(item: FeedEntry) -> str:
    return ET.tostring(atom_entry(item), encoding="unicode")
