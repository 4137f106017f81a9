"""The .ics and Atom feeds, read back by real parsers (icalendar, dateutil, feedparser)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from fedihub.kinds import registry
from fedihub.posts.render import display_title
from fedihub.posts.store import Post
from fedihub.web.feeds import (
    ATOM,
    CACHED_ENTRY_CHARS,
    CalendarEntry,
    FeedEntry,
    atom_entry,
    atom_head,
    build_atom,
    build_calendar,
)

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC).timestamp()
HUB = "https://hub.example/hubs/tenants"


def at(year: int, month: int, day: int, hour: int, zone: ZoneInfo = NY) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=zone).timestamp()


def make_post(post_id: int = 1, **changes: Any) -> Post:
    values: dict[str, Any] = {
        "id": post_id, "actor_id": 1, "author_id": None, "kind": "event", "title": "Assembly",
        "source_markdown": "", "content_html": "<p>Bring food &amp; friends.</p>",
        "fields": {"timezone": "America/New_York"}, "starts_at": None, "ends_at": None,
        "status": "confirmed", "series_id": None, "published_at": NOW - 86400,
        "updated_at": None, "deleted_at": None,
    }  # fmt: skip
    values.update(changes)
    return Post(**values)


def entry(post: Post, **changes: Any) -> CalendarEntry:
    uid = f"{HUB}/posts/{post.id}"
    title = display_title(changes.get("series") or post, registry().of(post))
    return CalendarEntry(post=post, uid=uid, url=uid, hub_name="Tenants", title=title, **changes)


def read(entries: list[CalendarEntry], name: str = "Tenants") -> Calendar:
    return Calendar.from_ical(build_calendar(entries, name=name, now=NOW))


def test_events_keep_local_wall_time_across_the_dst_change() -> None:
    before = make_post(1, starts_at=at(2026, 10, 31, 19), ends_at=at(2026, 10, 31, 21))
    after = make_post(
        2, title="Potluck", starts_at=at(2026, 11, 2, 19), ends_at=at(2026, 11, 2, 21)
    )
    cal = read([entry(before), entry(after)])
    assert str(cal["PRODID"]) == "-//fedihub//fedihub//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    first, second = cal.events
    for event in (first, second):
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert event["DTSTART"].dt.hour == 19
        assert event["DTEND"].dt.hour == 21
    assert first["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)
    assert second["DTSTART"].dt.astimezone(dt.UTC) == dt.datetime(2026, 11, 3, 0, tzinfo=dt.UTC)
    assert str(first["UID"]) == f"{HUB}/posts/1"
    assert str(second["URL"]) == f"{HUB}/posts/2"
    assert str(second["SUMMARY"]) == "Potluck"
    assert str(first["STATUS"]) == "CONFIRMED"
    assert first["DTSTAMP"].dt.timestamp() == NOW
    assert first["CREATED"].dt.timestamp() == NOW - 86400
    assert "Saturday, October 31, 2026, 19:00–21:00" in str(first["DESCRIPTION"])
    assert "Bring food & friends." in str(first["DESCRIPTION"])
    assert [tz.tz_name for tz in cal.timezones] == ["America/New_York"]


def test_weekly_call_series_stays_at_20_local_and_shows_a_cancelled_date() -> None:
    fields = {
        "timezone": "America/New_York", "schedule": "FREQ=WEEKLY;BYDAY=MO",
        "dial_in": "+1 555 0100", "access_code": "4321", "online_url": "https://meet.example/r",
    }  # fmt: skip
    series = make_post(
        7, kind="call", title="Weekly call", fields=fields,
        starts_at=at(2026, 10, 19, 20), ends_at=at(2026, 10, 19, 21),
    )  # fmt: skip
    cal = read([entry(series, cancelled_starts=(at(2026, 11, 9, 20),))])
    master, cancelled = cal.events
    start = master["DTSTART"].dt
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
    dates = list(rule[:4])
    assert [d.strftime("%Y-%m-%d %H:%M") for d in dates] == [
        "2026-10-19 20:00", "2026-10-26 20:00", "2026-11-02 20:00", "2026-11-09 20:00",
    ]  # fmt: skip
    assert [d.astimezone(dt.UTC).hour for d in dates] == [0, 0, 1, 1]
    assert str(master["STATUS"]) == "CONFIRMED"
    description = str(master["DESCRIPTION"])
    for text in ("+1 555 0100", "4321", "https://meet.example/r", "Repeats weekly on Monday"):
        assert text in description
    assert str(cancelled["UID"]) == str(master["UID"])
    assert cancelled["RECURRENCE-ID"].params["TZID"] == "America/New_York"
    assert cancelled["RECURRENCE-ID"].dt == dates[3]
    assert cancelled["DTSTART"].dt == dates[3]
    assert cancelled["DTEND"].dt.astimezone(dt.UTC) == dt.datetime(2026, 11, 10, 2, tzinfo=dt.UTC)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "RRULE" not in cancelled


def test_cancelled_event_and_series_are_marked_cancelled() -> None:
    event = make_post(
        1, status="cancelled", starts_at=at(2026, 12, 1, 18), ends_at=at(2026, 12, 1, 19)
    )
    series = make_post(
        2, kind="call", status="cancelled", fields={"timezone": "UTC", "schedule": "FREQ=DAILY"},
        starts_at=at(2026, 12, 1, 9, dt.UTC), ends_at=at(2026, 12, 1, 10, dt.UTC),
    )  # fmt: skip
    tentative = make_post(
        3, status="tentative", starts_at=at(2026, 12, 2, 9), ends_at=at(2026, 12, 2, 10)
    )
    cal = read([entry(event), entry(series), entry(tentative)])
    assert [str(e["STATUS"]) for e in cal.events] == ["CANCELLED", "CANCELLED", "TENTATIVE"]
    assert str(cal.events[1]["RRULE"].to_ical().decode()) == "FREQ=DAILY"
    assert cal.events[0]["DESCRIPTION"].startswith("Cancelled.")


CAKE = "<p>Tea &amp; cake</p><script>alert(1)</script><ul><li>one</li><li>two</li></ul>"


def test_hostile_text_round_trips_and_every_zone_has_a_vtimezone() -> None:
    title = 'Line one\nline two, with; semis <script>alert("x")</script> Zürich ☃ \\ end'
    location = {"name": 'Café; "Back room"', "street": "1 Main St, Unit 2", "country": "CH"}
    zurich = make_post(
        1, title=title, fields={"timezone": "Europe/Zurich", "location": location},
        content_html=CAKE,
        starts_at=at(2026, 10, 24, 18, ZoneInfo("Europe/Zurich")),
        ends_at=at(2026, 10, 24, 20, ZoneInfo("Europe/Zurich")),
    )  # fmt: skip
    tokyo = make_post(
        2, fields={"timezone": "Asia/Tokyo"}, starts_at=at(2026, 10, 24, 9, ZoneInfo("Asia/Tokyo")),
        ends_at=at(2026, 10, 24, 10, ZoneInfo("Asia/Tokyo")),
    )  # fmt: skip
    name = 'Tenants, East; "North"\nSide'
    data = build_calendar([entry(zurich), entry(tokyo)], name=name, now=NOW)
    cal = Calendar.from_ical(data)
    first = cal.events[0]
    assert str(first["SUMMARY"]) == title
    assert str(first["LOCATION"]) == 'Café; "Back room", 1 Main St, Unit 2, CH'
    description = str(first["DESCRIPTION"])
    assert "Tea & cake\n\n- one\n- two" in description
    assert "alert(1)" not in description
    assert description.endswith(f"Tenants: {HUB}/posts/1")
    # icalendar reads X- properties raw; RFC 5545 TEXT escaping is what calendar apps undo.
    assert str(cal["X-WR-CALNAME"]) == 'Tenants\\, East\\; "North" Side'
    used = {e["DTSTART"].params["TZID"] for e in cal.events}
    assert used == {"Europe/Zurich", "Asia/Tokyo"}
    assert {tz.tz_name for tz in cal.timezones} == used
    assert cal.events[1]["DTSTART"].dt.hour == 9


def test_occurrence_takes_zone_and_place_from_its_series() -> None:
    fields = {"timezone": "America/New_York", "schedule": "FREQ=WEEKLY", "dial_in": "+1 555 0199"}
    series = make_post(7, kind="call", title="Call", fields=fields,
                       starts_at=at(2026, 11, 2, 20), ends_at=at(2026, 11, 2, 21))  # fmt: skip
    occurrence = make_post(8, kind="call", title="Call", fields={}, series_id=7, content_html="",
                           starts_at=at(2026, 11, 9, 20), ends_at=at(2026, 11, 9, 21))  # fmt: skip
    update = make_post(9, kind="update", title=None)  # no times: not a calendar entry
    cal = read([entry(occurrence, series=series), entry(update)])
    (event,) = cal.events
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt.hour == 20
    assert str(event["LOCATION"]) == "dial in +1 555 0199"
    assert "RRULE" not in event


def test_display_title_falls_back_for_untitled_posts() -> None:
    minutes = make_post(kind="minutes", title=None, fields={"meeting_date": "2026-10-05"})
    assert (
        display_title(minutes, registry().get("minutes")) == "Minutes of the meeting of 2026-10-05"
    )
    update = registry().get("update")
    words = "<p>" + " ".join(["word"] * 40) + "</p>"
    title = display_title(make_post(kind="update", title=None, content_html=words), update)
    assert title == " ".join(["word"] * 16) + "…"
    assert (
        display_title(make_post(kind="update", title=None, content_html=""), update) == "Untitled"
    )


def atom(entries: list[FeedEntry]) -> bytes:
    return build_atom(
        entries, feed_id=HUB, title="Tenants & Co", self_url=f"{HUB}/feed.atom",
        html_url=HUB, updated=NOW, subtitle="News <from> the union",
    )  # fmt: skip


def test_atom_reads_back_in_feedparser() -> None:
    html = '<p>Tea &amp; cake <a href="https://x.example/?a=1&amp;b=2">here</a></p><script>alert(1)</script>'
    first = FeedEntry(
        id=f"{HUB}/posts/1", url=f"{HUB}/posts/1", title="Fish & <chips>\x00 ünïcode",
        content_html=html, published=NOW - 3600, updated=NOW, author_name="Ana",
        categories=("minutes", "rent strike"),
    )  # fmt: skip
    second = FeedEntry(
        id=f"{HUB}/posts/2", url=f"{HUB}/posts/2", title="",
        content_html="<p>" + "Rent is due " * 20 + "</p>", published=NOW - 7200, updated=None,
        author_name="",
    )  # fmt: skip
    data = atom([first, second])
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Tenants & Co"
    assert parsed.feed.subtitle == "News <from> the union"
    assert parsed.feed.id == HUB
    assert parsed.feed.updated == "2026-10-01T12:00:00Z"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": f"{HUB}/feed.atom", "alternate": HUB}
    one, two = parsed.entries
    assert one.title == "Fish & <chips> ünïcode"
    assert one.link == f"{HUB}/posts/1"
    assert one.id == f"{HUB}/posts/1"
    assert one.published == "2026-10-01T11:00:00Z"
    assert one.updated == "2026-10-01T12:00:00Z"
    assert one.author == "Ana"
    assert [tag.term for tag in one.tags] == ["minutes", "rent strike"]
    assert one.content[0].type == "text/html"
    assert "Tea &amp; cake" in one.content[0].value
    assert 'href="https://x.example/?a=1&amp;b=2"' in one.content[0].value
    assert "alert" not in one.content[0].value  # feedparser's sanitiser, not ours
    assert two.title == "Rent is due " * 6 + "Rent is…"
    assert two.updated == two.published == "2026-10-01T10:00:00Z"
    assert "author" not in two  # the feed's own author stands in, as RFC 4287 allows
    assert parsed.feed.author == "Tenants & Co"
    # The HTML itself travels intact as escaped text, for readers that sanitise it their own way.
    tree = ET.fromstring(data)
    content = tree.find(f"{{{ATOM}}}entry/{{{ATOM}}}content")
    assert content is not None and content.text == html
    assert b"<script>" not in data


# Text with what XML forbids or escapes, in every field: control characters, lone surrogates,
# quotes, CR/LF/tab (escaped in attributes, not in text), and characters UTF-8 spells long.
HOSTILE = st.text(st.sampled_from(list("ab <>&\"'\n\r\t\x00\x01\x0b\ud800\udfff\ufffeé€😀]]>")))
ENTRIES = st.builds(
    FeedEntry, id=HOSTILE, url=HOSTILE, title=HOSTILE, content_html=HOSTILE,
    published=st.floats(0, 2e9), updated=st.none() | st.floats(0, 2e9), author_name=HOSTILE,
    categories=st.lists(HOSTILE, max_size=3).map(tuple),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(ENTRIES, max_size=4), title=HOSTILE, subtitle=HOSTILE, long=st.booleans())
def test_atom_is_byte_for_byte_what_elementtree_writes_for_the_whole_feed(
    entries: list[FeedEntry], title: str, subtitle: str, long: bool
) -> None:
    """build_atom writes each entry alone (and keeps a short one's text) and encodes once: the
    bytes must be those of the whole tree written by ElementTree, as feeds were first written,
    for entries seen before, new ones and ones too long to keep."""
    if long:
        entries = [
            replace(e, content_html=e.content_html + "x" * CACHED_ENTRY_CHARS) for e in entries
        ]
    head = dict(feed_id=title, title=title, self_url=subtitle, html_url=title, updated=NOW,
                subtitle=subtitle)  # fmt: skip
    feed = atom_head(**head)
    feed.extend(atom_entry(e) for e in entries)
    whole = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    assert build_atom(entries, **head) == whole
    assert build_atom(entries, **head) == whole  # the second time from what was kept
