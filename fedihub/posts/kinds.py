"""What each kind of hub post holds, checked from what a person wrote. Pure: no I/O.

A post is Markdown with optional YAML front matter. `parse_draft` turns it into a PostDraft whose
`fields` are plain JSON (stored as they are) and whose times are UTC timestamps; anything wrong is
a BadRequest that names the field, so nothing half-checked is ever stored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedihub.content import render_markdown
from fedihub.errors import BadRequest
from fedihub.events.schedule import parse_rule
from fedihub.posts.frontmatter import split_front_matter

Kind = Literal["update", "minutes", "event", "call", "poll", "proposal"]
KINDS: tuple[str, ...] = get_args(Kind)
Status = Literal["confirmed", "tentative", "cancelled"]
STATUSES: tuple[str, ...] = get_args(Status)
MAX_POST_BYTES = 100_000
MAX_LIST_ITEMS = 200
MAX_TEXT = 2_000
MAX_EVENT_DAYS = 60
MAX_OPTIONS = 10
MAX_OPTION_CHARS = 50  # Mastodon's limit for an option's text
STRAW_POLL = ("Agree", "Disagree", "I have questions")  # press 2, 3 or 5 on the call
QUESTIONS_OPTION = "I have questions"
CONSENSUS = ("Agree", "Abstain", "Disagree", "Block")


@dataclass(frozen=True)
class PostDraft:
    kind: Kind
    title: str | None
    source_markdown: str
    content_html: str
    fields: dict[str, Any] = field(default_factory=dict)
    starts_at: float | None = None
    ends_at: float | None = None
    status: Status = "confirmed"


def parse_timezone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("timezone: give an IANA zone name such as America/New_York")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise BadRequest(f"timezone: unknown time zone {name!r}") from e


def _text(meta: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            raise BadRequest(f"{key}: required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRequest(f"{key}: expected text")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"{key}: at most {MAX_TEXT} characters")
    return text


def _url(meta: dict[str, Any], key: str) -> str | None:
    url = _text(meta, key)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise BadRequest(f"{key}: expected an http(s) link, not {url!r}")
    return url


def _text_list(meta: dict[str, Any], key: str) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):  # "a, b, c" or one line
        value = (
            [part for part in value.split(",") if part.strip()] if key == "attendees" else [value]
        )
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise BadRequest(f"{key}: expected a list of at most {MAX_LIST_ITEMS} lines")
    items = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise BadRequest(f"{key}: each entry must be text")
        items.append(str(item).strip()[:MAX_TEXT])
    return [i for i in items if i]


def _date(meta: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = meta.get(key)
    if value is None:
        if required:
            raise BadRequest(f"{key}: required (YYYY-MM-DD)")
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as e:
        raise BadRequest(f"{key}: {value!r} is not a date (YYYY-MM-DD)") from e


def parse_local_time(value: Any, zone: ZoneInfo, key: str) -> dt.datetime:
    """A wall-clock time in `zone` ("2026-03-08 19:00"), or an explicit offset, as an aware time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date) or value is None:
        raise BadRequest(f"{key}: give a date and a time, like 2026-12-01 19:00")
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError as e:
            raise BadRequest(f"{key}: {value!r} is not a date and time (2026-12-01 19:00)") from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
        # A wall-clock time skipped by a DST change does not exist; say so instead of guessing.
        round_trip = moment.astimezone(dt.UTC).astimezone(zone)
        if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
            raise BadRequest(f"{key}: {value} does not exist in {zone.key} (clocks change then)")
    return moment


def _times(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    if meta.get("start") is None:
        raise BadRequest("start: required (2026-12-01 19:00)")
    start = parse_local_time(meta["start"], zone, "start")
    end = parse_local_time(meta["end"], zone, "end") if meta.get("end") is not None else None
    if end is None:
        raise BadRequest("end: required (2026-12-01 21:00)")
    if end <= start:
        raise BadRequest("end: the event ends before it starts")
    if end - start > dt.timedelta(days=MAX_EVENT_DAYS):
        raise BadRequest(f"end: an event may last at most {MAX_EVENT_DAYS} days")
    return start, end


def _status(meta: dict[str, Any]) -> Status:
    status = str(meta.get("status", "confirmed")).strip().lower()
    if status == "canceled":
        status = "cancelled"
    if status not in STATUSES:
        raise BadRequest(f"status: one of {', '.join(STATUSES)}")
    return status  # type: ignore[return-value]


def _capacity(meta: dict[str, Any]) -> int | None:
    value = meta.get("capacity")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1_000_000:
        raise BadRequest("capacity: a whole number of places, 1 or more")
    return value


def _coordinate(value: Any, key: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"location.{key}: expected a number")
    if not math.isfinite(value) or abs(value) > limit:
        raise BadRequest(f"location.{key}: out of range")
    return float(value)


ADDRESS_KEYS = ("street", "locality", "region", "postal_code", "country")


def _location(meta: dict[str, Any]) -> dict[str, Any] | None:
    value = meta.get("location")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return {"name": _text(meta, "location")}
    if not isinstance(value, dict):
        raise BadRequest("location: a place name, or name/street/locality/… lines")
    unknown = sorted(map(str, set(value) - {"name", "latitude", "longitude", *ADDRESS_KEYS}))
    if unknown:
        raise BadRequest(f"location: unknown field {unknown[0]!r}")
    place: dict[str, Any] = {k: _text(value, k) for k in ("name", *ADDRESS_KEYS) if value.get(k)}
    if not place.get("name"):
        raise BadRequest("location.name: required")
    if ("latitude" in value) != ("longitude" in value):
        raise BadRequest("location: give latitude and longitude together")
    if "latitude" in value:
        place["latitude"] = _coordinate(value["latitude"], "latitude", 90)
        place["longitude"] = _coordinate(value["longitude"], "longitude", 180)
    return place


def _actions(meta: dict[str, Any]) -> list[dict[str, str | None]]:
    value = meta.get("actions")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise BadRequest(f"actions: a list of at most {MAX_LIST_ITEMS} items")
    actions = []
    for item in value:
        if isinstance(item, str):
            item = {"task": item}
        if not isinstance(item, dict) or set(item) - {"task", "owner", "due"}:
            raise BadRequest("actions: each item has task, owner and due")
        actions.append(
            {
                "task": _text(item, "task", required=True),
                "owner": _text(item, "owner"),
                "due": _date(item, "due"),
            }
        )
    return actions


def _update(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    return {}, None, None, "confirmed"


def _minutes(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    fields = {
        "meeting_date": _date(meta, "meeting_date", required=True),
        "attendees": _text_list(meta, "attendees"),
        "agenda": _text_list(meta, "agenda"),
        "decisions": _text_list(meta, "decisions"),
        "actions": _actions(meta),
        "records": _url(meta, "records"),
        "proposals": _post_ids(meta, "proposals"),
    }
    return fields, None, None, "confirmed"


def _event(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    start, end = _times(meta, zone)
    waitlist = meta.get("waitlist", True)
    if not isinstance(waitlist, bool):
        raise BadRequest("waitlist: true or false")
    fields = {
        "timezone": zone.key,
        "location": _location(meta),
        "online_url": _url(meta, "online_url"),
        "capacity": _capacity(meta),
        "waitlist": waitlist,
        "category": (_text(meta, "category") or "").upper() or None,
    }
    return fields, start.timestamp(), end.timestamp(), _status(meta)


def _call(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    start, end = _times(meta, zone)
    schedule = _text(meta, "schedule")
    if schedule is not None:
        parse_rule(schedule, start)  # refuses a malformed or too-frequent rule now, not later
    fields = {
        "timezone": zone.key,
        "schedule": schedule,
        "dial_in": _text(meta, "dial_in"),
        "access_code": _text(meta, "access_code"),
        "online_url": _url(meta, "online_url"),
        "facilitator": _text(meta, "facilitator"),
        "agenda": _text_list(meta, "agenda"),
    }
    if not (fields["dial_in"] or fields["online_url"]):
        raise BadRequest("a call needs dial_in (a phone number) or online_url (a video link)")
    return fields, start.timestamp(), end.timestamp(), _status(meta)


def _flag(meta: dict[str, Any], key: str, default: bool = False) -> bool:
    value = meta.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"{key}: true or false")
    return value


def _closes(meta: dict[str, Any], zone: ZoneInfo) -> float:
    if meta.get("closes") is None:
        raise BadRequest("closes: required, when voting ends (2026-12-01 21:00)")
    return parse_local_time(meta["closes"], zone, "closes").timestamp()


def _options(meta: dict[str, Any]) -> list[str]:
    if meta.get("options") is None:
        return list(STRAW_POLL)
    options = _text_list(meta, "options")
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise BadRequest(f"options: between 2 and {MAX_OPTIONS} options")
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        raise BadRequest(f"options: at most {MAX_OPTION_CHARS} characters each")
    if len({o.casefold() for o in options}) != len(options):
        raise BadRequest("options: each option must differ from the others")
    return options


def _quorum(meta: dict[str, Any]) -> int | None:
    value = meta.get("quorum")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest("quorum: a whole number of voters, 1 or more")
    return value


def _poll(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    options = _options(meta)
    fields = {
        "options": options,
        "multiple": _flag(meta, "multiple"),
        "members_only": _flag(meta, "members_only"),
        "quorum": _quorum(meta),
        "questions_choice": options.index(QUESTIONS_OPTION)
        if QUESTIONS_OPTION in options
        else None,
    }
    return fields, None, _closes(meta, zone), "confirmed"


def _proposal(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    who = str(meta.get("who", "members")).strip().lower()
    if who not in ("members", "anyone"):
        raise BadRequest("who: members or anyone")
    fields = {
        "options": list(CONSENSUS),
        "multiple": False,
        "members_only": who == "members",
        "quorum": _quorum(meta),
        "questions_choice": None,
        "outcome": None,
    }
    return fields, None, _closes(meta, zone), "confirmed"


def _post_ids(meta: dict[str, Any], key: str) -> list[int]:
    value = meta.get(key) or []
    value = value if isinstance(value, list) else [value]
    if len(value) > MAX_LIST_ITEMS or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise BadRequest(f"{key}: a list of post numbers")
    return value


Parser = Callable[[dict[str, Any], ZoneInfo], tuple[dict[str, Any], Any, Any, Status]]
PARSERS: dict[str, tuple[Parser, frozenset[str]]] = {
    "update": (_update, frozenset({"title"})),
    "minutes": (
        _minutes,
        frozenset(
            {
                "title",
                "meeting_date",
                "attendees",
                "agenda",
                "decisions",
                "actions",
                "records",
                "proposals",
            }
        ),
    ),
    "event": (
        _event,
        frozenset(
            {
                "title",
                "start",
                "end",
                "timezone",
                "location",
                "online_url",
                "capacity",
                "status",
                "category",
                "waitlist",
            }
        ),
    ),
    "call": (
        _call,
        frozenset(
            {
                "title",
                "start",
                "end",
                "timezone",
                "schedule",
                "dial_in",
                "access_code",
                "online_url",
                "facilitator",
                "agenda",
                "status",
            }
        ),
    ),
    "poll": (
        _poll,
        frozenset({"title", "options", "multiple", "closes", "timezone", "members_only", "quorum"}),
    ),
    "proposal": (_proposal, frozenset({"title", "closes", "timezone", "who", "quorum"})),
}


def parse_draft(kind: str, text: str, hub_timezone: str) -> PostDraft:
    """Checks a whole post of `kind`; times without an offset are in `timezone:` or the hub's."""
    if kind not in PARSERS:
        raise BadRequest(f"unknown kind of post {kind!r}: one of {', '.join(KINDS)}")
    if len(text.encode()) > MAX_POST_BYTES:
        raise BadRequest(f"a post may be at most {MAX_POST_BYTES} bytes")
    meta, body = split_front_matter(text)
    parser, allowed = PARSERS[kind]
    unknown = sorted(set(meta) - allowed)
    if unknown:
        raise BadRequest(
            f"{unknown[0]}: not a field of a {kind} (fields: {', '.join(sorted(allowed))})"
        )
    heading, html = render_markdown(body)
    title = _text(meta, "title") or heading
    if kind in ("event", "call", "proposal") and not title:
        raise BadRequest(f"title: a {kind} needs a title")
    zone = parse_timezone(meta.get("timezone") or hub_timezone)
    fields, starts_at, ends_at, status = parser(meta, zone)
    if kind == "minutes" and not title:
        title = f"Minutes of {fields['meeting_date']}"
    if kind in ("update", "poll", "proposal") and not html.strip():
        raise BadRequest("the post is empty: write the text below the front matter")
    # The whole text is kept, front matter included, so an edit starts from what was written.
    return PostDraft(kind, title, text.strip(), html, fields, starts_at, ends_at, status)  # type: ignore[arg-type]
