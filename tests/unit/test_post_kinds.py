"""Hub post kinds, pure: front matter checked into drafts, call schedules, the AS objects we send,
and how received events are presented. No I/O."""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fedihub.errors import BadRequest
from fedihub.events.render import schedule_text as describe
from fedihub.events.schedule import occurrences
from fedihub.events.store import Attendance
from fedihub.kinds import parse_draft, post_object, registry
from fedihub.network.present import present
from fedihub.posts.render import tombstone
from fedihub.posts.store import Post

HUB = "https://hub.example/actors/tenants"
NY = ZoneInfo("America/New_York")
FIXTURE = Path("/work/shared/fixtures/mobilizon-event.json")
FEP = "https://w3id.org/fep/8a8e/"
MONDAYS = dt.datetime(2026, 10, 26, 20, tzinfo=NY)


def utc(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def fm(**meta: str) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in meta.items()) + "---\n"


EVENT = """---
title: Tenant assembly
start: 2026-11-02 19:00
end: 2026-11-02 21:00
location: {name: Community hall, street: 12 Main St, locality: Springfield, region: NY,
  country: US, latitude: 40.7, longitude: -73.9}
online_url: https://meet.example/assembly
capacity: 50
category: community
---
Bring your lease.
"""
CALL = fm(
    title="Weekly organisers call",
    start="2026-10-26 20:00",
    end="2026-10-26 21:00",
    timezone="America/New_York",
    schedule="FREQ=WEEKLY;BYDAY=MO",
    dial_in='"+1 555 0100"',
    access_code="4321",
)
MINUTES = """---
meeting_date: 2026-10-20
attendees: Ana, Bo, Cy
decisions:
  - Rent strike starts <script>alert(1)</script> on the 1st
actions:
  - {task: Print flyers, owner: Bo, due: 2026-10-25}
  - Call the lawyer
---
Notes follow.
"""


def as_post(d, post_id: int = 7, **changes) -> Post:
    published = utc("2026-10-01T12:00")
    post = Post(post_id, 1, 2, d.kind, d.title, d.source_markdown, d.content_html, d.fields,
                d.starts_at, d.ends_at, d.status, None, published, None, None)  # fmt: skip
    return replace(post, **changes)


def event_draft(**changes: str):
    text = EVENT
    for key, value in changes.items():
        text = text.replace("---\nBring", f"{key}: {value}\n---\nBring")
    return parse_draft("event", text, "America/New_York")


# 1. parse_draft, each kind


def test_update_heading_is_title_unless_front_matter_has_one():
    draft = parse_draft("update", "# Repairs done\n\nThe **boiler** works.", "UTC")
    assert (draft.kind, draft.title, draft.fields) == ("update", "Repairs done", {})
    assert draft.content_html == "<p>The <strong>boiler</strong> works.</p>"
    draft = parse_draft("update", fm(title="From YAML") + "# From heading\n\nbody", "UTC")
    assert draft.title == "From YAML"


def test_event_fields_and_hub_zone_to_utc():
    draft = event_draft()
    assert (draft.title, draft.status) == ("Tenant assembly", "confirmed")
    assert (draft.starts_at, draft.ends_at) == (utc("2026-11-03T00:00"), utc("2026-11-03T02:00"))
    f = draft.fields
    assert f["timezone"] == "America/New_York"
    assert f["location"] == {
        "name": "Community hall", "street": "12 Main St", "locality": "Springfield",
        "region": "NY", "country": "US", "latitude": 40.7, "longitude": -73.9,
    }  # fmt: skip
    assert (f["capacity"], f["category"], f["waitlist"]) == (50, "COMMUNITY", True)
    assert f["online_url"] == "https://meet.example/assembly"


@pytest.mark.parametrize(
    ("old", "new", "hub", "expected"),
    [
        ("2026-11-02", "2026-10-31", "America/New_York", "2026-10-31T23:00"),
        ("capacity", "timezone: Europe/Paris\ncapacity", "UTC", "2026-11-02T18:00"),
    ],
)
def test_event_zone_before_dst_and_front_matter_zone(old, new, hub, expected):
    assert parse_draft("event", EVENT.replace(old, new), hub).starts_at == utc(expected)


def test_minutes_default_title_and_fields():
    draft = parse_draft("minutes", MINUTES, "UTC")
    assert draft.title == "Minutes of 2026-10-20"
    assert draft.fields["meeting_date"] == "2026-10-20"
    assert draft.fields["attendees"] == ["Ana", "Bo", "Cy"]
    assert draft.fields["actions"] == [
        {"task": "Print flyers", "owner": "Bo", "due": "2026-10-25"},
        {"task": "Call the lawyer", "owner": None, "due": None},
    ]


def test_call_needs_dial_in_or_online_url():
    text = CALL.replace('dial_in: "+1 555 0100"\n', "")
    with pytest.raises(BadRequest, match=r"dial_in .* or online_url"):
        parse_draft("call", text, "UTC")


# 2. Hostile or bad input

BAD_EVENT = [
    ({"end": "2026-11-02 18:00"}, "end: the event ends before"),
    ({"end": "2026-11-02 19:00"}, "end: the event ends before"),
    ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
    ({"start": "2026-03-08 02:30", "end": "2026-03-08 04:00"}, "start: .* does not exist"),
    ({"capacity": "0"}, "capacity"),
    ({"capacity": "-5"}, "capacity"),
    ({"capacity": "true"}, "capacity"),
    ({"capacity": "lots"}, "capacity"),
    ({"status": "postponed"}, "status: one of confirmed, tentative, cancelled"),
    ({"online_url": "javascript:alert(1)"}, "online_url: expected an http"),
    ({"online_url": "javascript://x.example/%0Aalert(1)"}, "online_url: expected an http"),
    ({"location": "{name: Hall, latitude: 40.7}"}, "latitude and longitude together"),
    ({"location": "{name: Hall, latitude: 200, longitude: 0}"}, "location.latitude: out of range"),
    ({"organiser": "me"}, "organiser: not a field of a event"),
]


@pytest.mark.parametrize(("meta", "message"), BAD_EVENT)
def test_bad_event_refused(meta, message):
    base = {"title": "T", "start": "2026-11-02 19:00", "end": "2026-11-02 21:00"}
    with pytest.raises(BadRequest, match=message):
        parse_draft("event", fm(**{**base, **meta}), "America/New_York")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "not valid YAML on line 3"),
        ("---\n- a\n- b\n---\nbody", "must be 'key: value' lines"),
        ("---\ntitle: x\nbody with no closing fence", "never closed"),
        ("---\ntitle: !!python/object/apply:os.system ['true']\n---\nx", "not valid YAML"),
        ("---\ntitle: Only a title\n---\n\n", "the post is empty"),
        ("---\nstatus: cancelled\n---\nbody", "status: not a field of a update"),
        ("x" * 100_001, "at most 100000 bytes"),
        ("é" * 50_001, "at most 100000 bytes"),
    ],
)
def test_bad_update_refused(text, message):
    with pytest.raises(BadRequest, match=message):
        parse_draft("update", text, "UTC")


def test_actions_item_with_unknown_key():
    text = MINUTES.replace("owner: Bo,", "owner: Bo, priority: high,")
    with pytest.raises(BadRequest, match="actions: each item has task, owner and due"):
        parse_draft("minutes", text, "UTC")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("WEEKLY on mondays", "an iCalendar RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=MINUTELY", "daily at most"),
        ("DTSTART:20200101T000000;FREQ=WEEKLY", "an iCalendar RRULE"),
    ],
)
def test_bad_schedule_refused(rule, message):
    with pytest.raises(BadRequest, match=f"schedule: .*{message}"):
        parse_draft("call", CALL.replace("FREQ=WEEKLY;BYDAY=MO", f'"{rule}"'), "UTC")


def test_billion_laughs_in_a_field_is_refused_quickly():
    rows = ["&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"&{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    text = MINUTES.replace("decisions:", "agenda: [" + ", ".join(rows) + "]\ndecisions:")
    began = time.monotonic()
    with pytest.raises(BadRequest, match="agenda: each entry must be text"):
        parse_draft("minutes", text, "UTC")
    assert time.monotonic() - began < 1


HOURLY = ",".join(str(h) for h in range(24))
ONCE_CRASHED = [
    pytest.param("minutes", MINUTES.replace("2026-10-20", "2026-02-30"),
                 "meeting_date: .2026-02-30. is not a date",
                 id="bad-date"),
    pytest.param("update", fm(title="[" * 1100 + "]" * 1100) + "x", "nested too deeply",
                 id="deep"),
    pytest.param("event", EVENT.replace("country: US", "country: US, 1: x, floor: 2"),
                 "unknown field", id="keys"),
    pytest.param("call", CALL.replace("BYDAY=MO", f"BYHOUR={HOURLY}"),
                 "BYHOUR is not supported", id="hourly"),
    pytest.param("call", CALL.replace("BYDAY=MO", "BYMONTH=2;BYMONTHDAY=30"),
                 "no month of the rule has that day", id="never"),
    pytest.param("call", CALL.replace("BYDAY=MO", "BYDAY=MO;BYSETPOS=9"), "BYSETPOS",
                 id="ninth-monday"),
    pytest.param("event", EVENT.replace("2026-", "9999-"), "a year between", id="far-future"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "text", "message"), ONCE_CRASHED)
def test_input_that_once_crashed_is_a_bad_request(kind, text, message):
    with pytest.raises(BadRequest, match=message):
        parse_draft(kind, text, "America/New_York")


def test_interval_zero_is_refused():
    with pytest.raises(BadRequest, match="schedule"):
        occurrences("FREQ=WEEKLY;INTERVAL=0", MONDAYS, dt.timedelta(hours=1), 0, 2e9)


# 3. Schedules


def mondays(after: str, until: str, rule: str = "FREQ=WEEKLY;BYDAY=MO") -> list:
    return occurrences(rule, MONDAYS, dt.timedelta(hours=1), utc(after), utc(until))


def test_weekly_rule_keeps_local_time_across_dst_change():
    assert mondays("2026-10-20T00:00", "2026-11-12T00:00") == [
        (utc("2026-10-27T00:00"), utc("2026-10-27T01:00")),
        (utc("2026-11-03T01:00"), utc("2026-11-03T02:00")),
        (utc("2026-11-10T01:00"), utc("2026-11-10T02:00")),
    ]


@pytest.mark.parametrize(
    ("after", "until", "starts"),
    [
        ("2026-10-27T00:00", "2026-11-10T01:00", ["2026-10-27T00:00", "2026-11-03T01:00"]),
        (
            "2026-10-27T00:00:00.5",
            "2026-11-10T01:00:00.5",
            ["2026-11-03T01:00", "2026-11-10T01:00"],
        ),
        ("2026-01-01T00:00", "2026-10-26T00:00", []),
        ("2026-10-28T00:00", "2026-11-02T00:00", []),
    ],
)
def test_window_is_half_open(after, until, starts):
    found = mondays(after, until, rule="RRULE:FREQ=WEEKLY;BYDAY=MO")
    assert [s for s, _ in found] == [utc(t) for t in starts]


def test_describe():
    weekly = describe("FREQ=WEEKLY;BYDAY=MO", MONDAYS)
    assert weekly == "weekly on Monday at 20:00 (America/New_York)"
    every_two = describe("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", MONDAYS)
    assert every_two == "every other week on Tuesday, Thursday at 20:00 (America/New_York)"
    assert describe("FREQ=DAILY;BYDAY=MO", MONDAYS) == "daily at 20:00 (America/New_York)"
    assert describe("FREQ=MONTHLY;BYDAY=1MO", MONDAYS) == (
        "monthly on the first Monday at 20:00 (America/New_York)"
    )
    assert describe("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", MONDAYS).startswith(
        "monthly on the last Friday"
    )
    assert describe("FREQ=WEEKLY;INTERVAL=3;BYDAY=MO", MONDAYS).startswith("every 3 weeks on Mon")


def test_describe_writes_the_same_instant_in_each_zone_as_its_own() -> None:
    """Lines are remembered; the same instant in two zones compares equal as a datetime, and
    each must still read in its own zone."""
    rule = "FREQ=WEEKLY;BYDAY=MO"
    assert describe(rule, MONDAYS) == "weekly on Monday at 20:00 (America/New_York)"
    in_utc = MONDAYS.astimezone(ZoneInfo("UTC"))
    assert in_utc == MONDAYS
    assert describe(rule, in_utc) == "weekly on Monday at 00:00 (UTC)"
    assert describe(rule, MONDAYS) == "weekly on Monday at 20:00 (America/New_York)"


def test_describe_refuses_a_bad_rule_every_time_it_is_asked() -> None:
    for _ in range(2):  # what passed the check is remembered; what failed is checked again
        with pytest.raises(BadRequest):
            describe("FREQ=HOURLY", MONDAYS)


# 4. Rendering our posts


def test_event_object():
    obj = post_object(HUB, as_post(event_draft()), loaded=Attendance(going=12, waitlisted=3))
    assert (obj["type"], obj["id"], obj["name"]) == ("Event", f"{HUB}/posts/7", "Tenant assembly")
    assert (obj["startTime"], obj["timezone"]) == ("2026-11-02T19:00:00-05:00", "America/New_York")
    assert obj["endTime"] == "2026-11-02T21:00:00-05:00"
    assert obj["summary"] == (
        "Monday, November 2, 2026, 19:00–21:00 (America/New_York) · Community hall, 12 Main St,"
        " Springfield, NY, US · online: https://meet.example/assembly"
    )
    place, virtual = obj["location"]
    assert place["address"] == {
        "type": "PostalAddress", "streetAddress": "12 Main St", "addressLocality": "Springfield",
        "addressRegion": "NY", "addressCountry": "US",
    }  # fmt: skip
    assert (place["type"], place["name"], place["latitude"]) == ("Place", "Community hall", 40.7)
    assert virtual == {"type": "VirtualLocation", "url": "https://meet.example/assembly"}
    assert (obj["maximumAttendeeCapacity"], obj["remainingAttendeeCapacity"]) == (50, 38)
    assert (obj["participantCount"], obj["isOnline"], obj["category"]) == (12, False, "COMMUNITY")
    assert (obj["ical:status"], obj["eventStatus"]) == ("CONFIRMED", f"{FEP}EventScheduled")


def test_event_in_person_only_has_single_place_and_full_capacity_floors_at_zero():
    text = EVENT.replace("online_url: https://meet.example/assembly\n", "")
    draft = parse_draft("event", text, "America/New_York")
    obj = post_object(HUB, as_post(draft), loaded=Attendance(going=60))
    assert obj["location"]["type"] == "Place"
    assert obj["remainingAttendeeCapacity"] == 0
    assert "attachment" not in obj


def test_cancelled_event():
    draft = event_draft(status="Canceled")
    assert draft.status == "cancelled"
    obj = post_object(HUB, as_post(draft))
    assert (obj["ical:status"], obj["eventStatus"]) == ("CANCELLED", f"{FEP}EventCancelled")
    assert obj["summary"].startswith("CANCELLED: Monday, November 2, 2026")
    assert obj["content"].startswith("<p><strong>Cancelled.</strong></p>")


def test_minutes_object_escapes_decisions():
    obj = post_object(HUB, as_post(parse_draft("minutes", MINUTES, "UTC")))
    assert obj["type"] == "Article"
    assert obj["tag"] == [{"type": "Hashtag", "name": "#minutes", "href": f"{HUB}#minutes"}]
    assert obj["summary"] == "Minutes of the meeting of 2026-10-20"
    assert "<script>" not in obj["content"]
    assert (
        "<li>Rent strike starts &lt;script&gt;alert(1)&lt;/script&gt; on the 1st</li>"
        in (obj["content"])
    )
    assert "<li>Print flyers — Bo, due 2026-10-25</li>" in obj["content"]
    assert "Attendees: Ana, Bo, Cy" in obj["content"]


def test_call_series_is_an_article_with_repeat_summary():
    draft = parse_draft("call", CALL, "UTC")
    assert (draft.starts_at, draft.fields["schedule"]) == (
        utc("2026-10-27T00:00"),
        "FREQ=WEEKLY;BYDAY=MO",
    )
    assert (draft.fields["dial_in"], draft.fields["access_code"]) == ("+1 555 0100", "4321")
    obj = post_object(HUB, as_post(draft))
    assert obj["type"] == "Article"
    assert "startTime" not in obj
    assert obj["summary"] == (
        "Repeats weekly on Monday at 20:00 (America/New_York)"
        " · dial in +1 555 0100, access code 4321"
    )


def test_occurrence_takes_fields_from_series():
    series = as_post(parse_draft("call", CALL, "UTC"), post_id=3)
    occurrence = as_post(
        parse_draft("call", CALL, "UTC"), post_id=9, series_id=3, fields={}, source_markdown="",
        content_html="", starts_at=utc("2026-11-03T01:00:00"), ends_at=utc("2026-11-03T02:00:00"),
    )  # fmt: skip
    obj = post_object(HUB, occurrence, series=series)
    assert (obj["type"], obj["name"]) == ("Event", "Weekly organisers call")
    assert (obj["context"], obj["isOnline"]) == (f"{HUB}/posts/3", True)
    assert (obj["startTime"], obj["timezone"]) == ("2026-11-02T20:00:00-05:00", "America/New_York")
    assert "Dial in: +1 555 0100 (access code 4321)" in obj["content"]
    assert (
        tombstone(HUB, occurrence, registry().get("call"), utc("2026-11-04T00:00:00"))["formerType"]
        == "Event"
    )


def test_tombstones():
    gone = utc("2026-12-01T00:00")
    event = tombstone(HUB, as_post(event_draft()), registry().get("event"), gone)
    assert event == {"id": f"{HUB}/posts/7", "type": "Tombstone", "formerType": "Event",
                     "deleted": "2026-12-01T00:00:00Z"}  # fmt: skip
    note = as_post(parse_draft("update", "just a note", "UTC"))
    minutes = as_post(parse_draft("minutes", MINUTES, "UTC"))
    assert [
        tombstone(HUB, p, registry().get(p.kind), gone)["formerType"] for p in (note, minutes)
    ] == ["Note", "Article"]


# 5. Presenting received events


def test_present_mobilizon_fixture():
    item = present(json.loads(FIXTURE.read_text()))
    assert (item.type, item.title) == ("Event", "Community kitchen for storm relief")
    assert item.starts_at == dt.datetime(2031, 3, 29, 14, tzinfo=dt.UTC)
    assert item.starts_at.utcoffset() == dt.timedelta(hours=-4)
    assert item.timezone == "America/New_York"
    assert item.place == "Community hall, 123 Beach St, Rockaway, NY, US"
    assert (item.participants, item.capacity, item.status) == (28, 40, "CONFIRMED")
    assert (item.author, item.online_url) == ("https://mobilizon.example/@relief_nyc", None)


def test_present_gancio_hybrid_cancelled():
    item = present({
        "id": "https://gancio.example/federation/m/42", "type": "Event", "name": "Bike repair",
        "startTime": "2026-06-01T18:00:00+02:00", "endTime": "2026-06-01T20:00:00+02:00",
        "location": [
            {"type": "VirtualLocation", "url": "https://jitsi.example/bikes"},
            {"type": "Place", "name": "Ciclofficina", "address": "Via Roma 1, Torino"},
        ],
        "eventStatus": "https://w3id.org/fep/8a8e/EventCancelled",
    })  # fmt: skip
    assert item.status == "CANCELLED"
    assert item.place == "Ciclofficina, Via Roma 1, Torino"
    assert item.online_url == "https://jitsi.example/bikes"
    assert item.url == "https://gancio.example/federation/m/42"


def test_present_garbage_does_not_raise():
    item = present({
        "id": "https://bad.example/e/1", "type": ["Event"], "name": 5, "url": "ftp://x",
        "location": "somewhere", "startTime": "next tuesday", "endTime": "2026-06-01T20:00:00",
        "participantCount": "12", "maximumAttendeeCapacity": True, "eventStatus": 3,
    })  # fmt: skip
    assert (item.type, item.title, item.url) == ("Object", None, "https://bad.example/e/1")
    assert (item.place, item.starts_at, item.ends_at) == (None, None, None)
    assert (item.participants, item.capacity, item.status) == (None, None, None)


def test_present_non_list_attachment_does_not_raise():
    assert present({"id": "https://bad.example/e/2", "attachment": 5}).online_url is None


def test_a_schedule_with_a_count_is_expanded_without_adding_an_until() -> None:
    """dateutil deprecates COUNT with UNTIL (RFC 5545 forbids both; a later version raises):
    a rule with COUNT is bounded by its count, found by the front-matter properties."""
    start = dt.datetime(2026, 1, 1, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = occurrences("FREQ=DAILY;COUNT=3", start, dt.timedelta(hours=1),
                            start.timestamp() - 1, start.timestamp() + 30 * 86400)  # fmt: skip
    assert [b - start.timestamp() for b, _ in found] == [0, 86400, 2 * 86400]
