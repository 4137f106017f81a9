"""Reading one field of a post's front matter: text, links, lists, dates and times, places,
numbers. Pure. Each reader names the field in its BadRequest, so a person knows what to fix.

Values come as text: the front matter is loaded with every scalar a string (frontmatter.py), and
a form's fields are strings too (posts/formfields.py). What must be a number, a date or a yes/no
is read here from that text, so `access_code: 0123` stays "0123" and a form and a file agree."""

from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedihub.errors import BadRequest

MAX_LIST_ITEMS = 200
MAX_TEXT = 2_000
MAX_EVENT_DAYS = 60
MIN_YEAR, MAX_YEAR = 1970, 2200  # calendars and timestamps break far beyond these
MAX_OPTIONS = 10
MAX_OPTION_CHARS = 50  # Mastodon's limit for an option's text
STRAW_POLL = ("Agree", "Disagree", "I have questions")  # press 2, 3 or 5 on the call
Status = Literal["confirmed", "tentative", "cancelled"]
STATUSES: tuple[str, ...] = get_args(Status)
_SHORT = reprlib.Repr()  # a glimpse of a list for an error message: two levels, a few items
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 2, 3, 3, 30


def parse_timezone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("timezone: give an IANA zone name such as America/New_York")
    try:
        return ZoneInfo(name.strip())
    # OSError too: with the tzdata package, "America" (a folder) raised IsADirectoryError and a
    # 300-character name "File name too long" (tests/unit/test_properties_frontmatter.py).
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise BadRequest("timezone: unknown time zone %(zone)r", zone=name) from e


def blank(value: Any) -> bool:
    """Nothing given: missing, or a key left empty (`capacity: `), or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def given(meta: dict[str, Any], key: str) -> bool:
    return not blank(meta.get(key))


def text(meta: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = meta.get(key)
    if blank(value):
        if required:
            raise BadRequest("%(field)s: required", field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRequest("%(field)s: expected text", field=key)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise BadRequest("%(field)s: at most %(max)s characters", field=key, max=MAX_TEXT)
    return text


def url(meta: dict[str, Any], key: str) -> str | None:
    url = text(meta, key)
    if url is not None:
        try:
            parts = urlsplit(url)
        except ValueError:  # "https://[::1" raised ValueError, not a BadRequest (property tests)
            parts = None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
            raise BadRequest("%(field)s: expected an http(s) link, not %(url)r", field=key, url=url)
    return url


def text_list(meta: dict[str, Any], key: str) -> list[str]:
    value = meta.get(key)
    if blank(value):
        return []
    if isinstance(value, str):  # "a, b, c" or one line
        value = (
            [part for part in value.split(",") if part.strip()] if key == "attendees" else [value]
        )
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise BadRequest(
            "%(field)s: expected a list of at most %(max)s lines", field=key, max=MAX_LIST_ITEMS
        )
    items = []
    for item in value:
        if isinstance(item, dict) and len(item) == 1:
            # "- Rent: freeze demands" is, to YAML, a mapping: to people, the line they wrote.
            ((key, said),) = item.items()
            if isinstance(key, str) and isinstance(said, str):
                item = f"{key}: {said}"
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise BadRequest("%(field)s: each entry must be text", field=key)
        items.append(str(item).strip()[:MAX_TEXT])
    return [i for i in items if i]


def date(meta: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = meta.get(key)
    if blank(value):
        if required:
            raise BadRequest("%(field)s: required (YYYY-MM-DD)", field=key)
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        # Never str() or repr() a list in full: YAML aliases nest one inside another, and 500
        # bytes of them ("billion laughs") are 10**9 items once walked. Found by property tests.
        value = _SHORT.repr(value)
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as e:
        raise BadRequest(
            "%(field)s: %(value)r is not a date (YYYY-MM-DD)", field=key, value=value
        ) from e


def parse_local_time(value: Any, zone: ZoneInfo, key: str) -> dt.datetime:
    """A wall-clock time in `zone` ("2026-03-08 19:00"), or an explicit offset, as an aware time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date | list | dict) or value is None:
        # A list is never str()-ed: see date() on YAML aliases.
        raise BadRequest("%(field)s: give a date and a time, like 2026-12-01 19:00", field=key)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError as e:
            raise BadRequest(
                "%(field)s: %(value)r is not a date and time (2026-12-01 19:00)",
                field=key,
                value=value,
            ) from e
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise BadRequest(
            "%(field)s: a year between %(first)s and %(last)s",
            field=key,
            first=MIN_YEAR,
            last=MAX_YEAR,
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
        # A wall-clock time skipped by a DST change does not exist; say so instead of guessing.
        round_trip = moment.astimezone(dt.UTC).astimezone(zone)
        if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
            raise BadRequest(
                "%(field)s: %(value)s does not exist in %(zone)s (clocks change then)",
                field=key,
                value=value,
                zone=zone.key,
            )
    return moment


def times(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    if not given(meta, "start"):
        raise BadRequest("start: required (2026-12-01 19:00)")
    start = parse_local_time(meta["start"], zone, "start")
    end = parse_local_time(meta["end"], zone, "end") if given(meta, "end") else None
    if end is None:
        raise BadRequest("end: required (2026-12-01 21:00)")
    if end <= start:
        raise BadRequest("end: the event ends before it starts")
    if end - start > dt.timedelta(days=MAX_EVENT_DAYS):
        raise BadRequest("end: an event may last at most %(days)s days", days=MAX_EVENT_DAYS)
    return start, end


def status(meta: dict[str, Any]) -> Status:
    value = (
        meta.get("status") if given(meta, "status") else "confirmed"
    )  # a list is never str()-ed: see date()
    status = value.strip().lower() if isinstance(value, str) else ""
    if status == "canceled":
        status = "cancelled"
    if status not in STATUSES:
        raise BadRequest("status: one of %(choices)s", choices=", ".join(STATUSES))
    return status  # type: ignore[return-value]


WHOLE = re.compile(r"[+]?[0-9]{1,9}")  # not int(): it takes "1_000", "٣" and 5,000 digits slowly


def whole_number(value: Any) -> int | None:
    """A whole number written as text (or given as one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def capacity(meta: dict[str, Any]) -> int | None:
    if not given(meta, "capacity"):
        return None
    value = whole_number(meta["capacity"])
    if value is None or not 0 < value <= 1_000_000:
        raise BadRequest("capacity: a whole number of places, 1 or more")
    return value


DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")


def _coordinate(value: Any, key: str, limit: float, field: str = "location") -> float:
    if isinstance(value, str) and DECIMAL.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest("%(field)s: expected a number", field=f"{field}.{key}")
    if not math.isfinite(value) or abs(value) > limit:
        raise BadRequest("%(field)s: out of range", field=f"{field}.{key}")
    return float(value)


ADDRESS_KEYS = ("street", "locality", "region", "postal_code", "country")


def location(meta: dict[str, Any], key: str = "location") -> dict[str, Any] | None:
    """A place: a name alone, or name/street/locality/…/latitude/longitude lines (an event's
    `location`, a need's or an offer's `place`)."""
    value = meta.get(key)
    if blank(value):
        return None
    if isinstance(value, str):
        return {"name": text(meta, key)}
    if not isinstance(value, dict):
        raise BadRequest("%(field)s: a place name, or name/street/locality/… lines", field=key)
    unknown = sorted(map(str, set(value) - {"name", "latitude", "longitude", *ADDRESS_KEYS}))
    if unknown:
        raise BadRequest("%(field)s: unknown field %(name)r", field=key, name=unknown[0])
    place: dict[str, Any] = {k: text(value, k) for k in ("name", *ADDRESS_KEYS) if value.get(k)}
    if not place.get("name"):
        raise BadRequest("%(field)s: required", field=f"{key}.name")
    if given(value, "latitude") != given(value, "longitude"):
        raise BadRequest("%(field)s: give latitude and longitude together", field=key)
    if given(value, "latitude"):
        place["latitude"] = _coordinate(value["latitude"], "latitude", 90, key)
        place["longitude"] = _coordinate(value["longitude"], "longitude", 180, key)
    return place


def actions(meta: dict[str, Any]) -> list[dict[str, str | None]]:
    value = meta.get("actions")
    if blank(value):
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise BadRequest("actions: a list of at most %(max)s items", max=MAX_LIST_ITEMS)
    actions = []
    for item in value:
        if isinstance(item, str):
            item = {"task": item}
        if not isinstance(item, dict) or set(item) - {"task", "owner", "due"}:
            raise BadRequest("actions: each item has task, owner and due")
        actions.append(
            {
                "task": text(item, "task", required=True),
                "owner": text(item, "owner"),
                "due": date(item, "due"),
            }
        )
    return actions


def flag(meta: dict[str, Any], key: str, default: bool = False) -> bool:
    value = meta.get(key) if given(meta, key) else default
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise BadRequest("%(field)s: true or false", field=key)
    return value


def closes(meta: dict[str, Any], zone: ZoneInfo) -> float:
    if not given(meta, "closes"):
        raise BadRequest("closes: required, when voting ends (2026-12-01 21:00)")
    return parse_local_time(meta["closes"], zone, "closes").timestamp()


def options(meta: dict[str, Any]) -> list[str]:
    if not given(meta, "options"):
        return list(STRAW_POLL)
    options = text_list(meta, "options")
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise BadRequest("options: between 2 and %(max)s options", max=MAX_OPTIONS)
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        raise BadRequest("options: at most %(max)s characters each", max=MAX_OPTION_CHARS)
    if len({o.casefold() for o in options}) != len(options):
        raise BadRequest("options: each option must differ from the others")
    return options


def quorum(meta: dict[str, Any]) -> int | None:
    if not given(meta, "quorum"):
        return None
    value = whole_number(meta["quorum"])
    if value is None or value < 1:
        raise BadRequest("quorum: a whole number of voters, 1 or more")
    return value


def post_ids(meta: dict[str, Any], key: str) -> list[int]:
    value = meta.get(key) if given(meta, key) else []
    value = value if isinstance(value, list) else [value]
    if len(value) > MAX_LIST_ITEMS:
        raise BadRequest("%(field)s: a list of post numbers", field=key)
    ids = [whole_number(v) for v in value if not blank(v)]
    if not all(i is not None and i > 0 for i in ids):
        raise BadRequest("%(field)s: a list of post numbers", field=key)
    return [i for i in ids if i is not None]


LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def parse_language(value: Any) -> str:
    """A BCP 47 tag like en, es, pt-BR: what a post's contentMap is keyed by."""
    if not isinstance(value, str) or not LANGUAGE.match(value.strip()):
        raise BadRequest("language: a language tag such as en, es or pt-BR")
    return value.strip()


MAX_LANGUAGES = 10


def parse_languages(text: str) -> tuple[str, ...]:
    """'es, en pt-BR': the languages a hub writes in, in order, each once."""
    tags = [t for t in re.split(r"[\s,;]+", text) if t]
    if not tags:
        raise BadRequest("languages: at least one, such as en or es")
    if len(tags) > MAX_LANGUAGES:
        raise BadRequest("languages: at most %(max)s", max=MAX_LANGUAGES)
    return tuple(dict.fromkeys(parse_language(t) for t in tags))
