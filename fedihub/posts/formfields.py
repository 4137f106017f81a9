"""A kind's form, declared once beside its `parse`: each `FormField` is one front matter key with
its label, its input and its help. From the declaration come the compose page's inputs
(templates/_fields.html), the front matter a form's values make (`form_text`: the same text the
CLI reads, so a form and a file can never disagree), the values a written post puts back in the
form (`form_values`, for editing and for switching from the file), and the keys a kind allows.
Pure: no I/O here.

A form's values are named `f.<key>` (a place's parts `f.location.street`, an action item's
`f.actions.task`, the recurrence picker's `f.schedule.freq`, …), kept as lists of strings so a
page shown again after an error or a preview has everything that was typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

from fedihub.errors import BadRequest
from fedihub.posts import fieldreaders as read
from fedihub.posts.frontmatter import FENCE, split_front_matter

Input = Literal[
    "text", "multiline", "url", "number", "checkbox", "select", "date", "datetime", "timezone",
    "list", "actions", "place", "recurrence", "checkboxes",
]  # fmt: skip
PREFIX = "f."
PLACE_PARTS = ("name", "street", "locality", "region", "postal_code", "country", "latitude",
               "longitude")  # fmt: skip
ACTION_PARTS = ("task", "owner", "due")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("none", "weekly", "biweekly", "monthly_weekday", "monthly_day", "custom")
STATUS_CHOICES = (("confirmed", "Confirmed"), ("tentative", "Tentative"),
                  ("cancelled", "Cancelled"))  # fmt: skip
MAX_ROWS = 50  # rows of a repeated field a page offers ("more rows" adds some, up to this)
MAX_VALUES = 1_000  # values a form may send under one name; more is refused, not read


@dataclass(frozen=True)
class FormField:
    """One input of a kind's form, and the front matter key it writes."""

    name: str  # the front matter key
    label: str  # English; translated where shown
    input: Input = "text"
    required: bool = False
    help: str = ""  # English; translated where shown
    choices: tuple[tuple[str, str], ...] = ()  # a select's or checkboxes' (value, label)
    min: int | None = None  # a number's least
    default: str = ""  # what a new post's form starts with
    rows: int = 3  # empty rows a repeated field (list, actions) shows


def allowed_keys(fields: Iterable[FormField]) -> frozenset[str]:
    """The front matter keys a kind with this form allows (a title besides its fields)."""
    return frozenset({"title", *(f.name for f in fields)})


Values = dict[str, list[str]]


def values_of(form: Any) -> Values:
    """A posted form's `f.` values (a MultiDict), as lists of strings; files are not values."""
    names = {k for k in form if isinstance(k, str) and k.startswith(PREFIX)}
    values: Values = {}
    for name in names:
        got = [v for v in form.getall(name) if isinstance(v, str)]
        if len(got) > MAX_VALUES:
            raise BadRequest("%(field)s: too many values", field=name[len(PREFIX) :])
        values[name] = got
    return values


def _one(values: Mapping[str, list[str]], name: str) -> str:
    got = values.get(PREFIX + name) or [""]
    return got[-1].strip()  # a checkbox's hidden "false" comes first, its "true" after


def _many(values: Mapping[str, list[str]], name: str) -> list[str]:
    return [v.strip() for v in values.get(PREFIX + name, [])]


def _known(fields: tuple[FormField, ...]) -> set[str]:
    known = set()
    for f in fields:
        if f.input == "place":
            known |= {f"{f.name}.{p}" for p in PLACE_PARTS}
        elif f.input == "actions":
            known |= {f"{f.name}.{p}" for p in ACTION_PARTS}
        elif f.input == "recurrence":
            known |= {f"{f.name}.{p}" for p in RECURRENCE_PARTS}
        else:
            known.add(f.name)
    return known


def form_meta(
    fields: tuple[FormField, ...], values: Mapping[str, list[str]], hub_timezone: str
) -> dict[str, Any]:
    """The front matter a form's values make: text, lists of text and mappings of text, the
    same as YAML gives (frontmatter.py), so the kind's `parse` reads both alike. A value the
    form has no field for is refused, as a key a kind does not allow is in a file."""
    unknown = sorted({k[len(PREFIX) :] for k in values} - _known(fields))
    if unknown:
        raise BadRequest("%(field)s: not a field of this kind of post", field=unknown[0][:50])
    meta: dict[str, Any] = {}
    for f in fields:
        value: Any
        if f.input in ("list", "checkboxes"):  # checkboxes: the values of those ticked
            value = [v for v in _many(values, f.name) if v] or None
        elif f.input == "actions":
            value = _actions(values, f.name) or None
        elif f.input == "place":
            value = _place(values, f.name)
        elif f.input == "recurrence":
            value = recurrence_rule(values, f.name, values, hub_timezone)
        elif f.input == "checkbox":
            value = "true" if _one(values, f.name) == "true" else "false"
            if PREFIX + f.name not in values:
                value = None  # a form without the box at all (another kind's): the default
        else:
            value = _one(values, f.name) or None
        if value is not None:
            meta[f.name] = value
    return meta


def _actions(values: Mapping[str, list[str]], name: str) -> list[dict[str, str]]:
    columns = [_many(values, f"{name}.{p}") for p in ACTION_PARTS]
    rows = max(map(len, columns))
    actions = []
    for n in range(rows):
        row = {p: (c[n] if n < len(c) else "") for p, c in zip(ACTION_PARTS, columns, strict=True)}
        if any(row.values()):
            actions.append({k: v for k, v in row.items() if v or k == "task"})
    return actions


def _place(values: Mapping[str, list[str]], name: str) -> dict[str, str] | str | None:
    place = {p: _one(values, f"{name}.{p}") for p in PLACE_PARTS}
    place = {p: v for p, v in place.items() if v}
    if not place:
        return None
    if set(place) == {"name"}:
        return place["name"]  # as a file writes a place that is only a name
    return place


# The recurrence picker: how often, on which weekdays, which week of the month, which day, and
# an end (a date or a number of times). `rule` keeps a rule written by hand that the picker
# cannot show, so editing such a call never loses it.
RECURRENCE_PARTS = ("freq", "days", "nth", "weekday", "monthday", "until", "count", "rule")
NTH = ("1", "2", "3", "4", "-1")


def recurrence_rule(
    values: Mapping[str, list[str]], name: str, all_values: Mapping[str, list[str]], zone: str
) -> str | None:
    """The RRULE the picker's choices make (people never see it), or None for no repeats."""
    freq = _one(values, f"{name}.freq") or "none"
    if freq not in FREQUENCIES:
        raise BadRequest("schedule: choose how often it repeats")
    if freq == "none":
        return None
    if freq == "custom":
        return _one(values, f"{name}.rule") or None
    days = [d for d in _many(values, f"{name}.days") if d]
    if any(d not in WEEKDAYS for d in days):
        raise BadRequest("schedule: choose weekdays from the list")
    parts = []
    if freq in ("weekly", "biweekly"):
        parts.append("FREQ=WEEKLY")
        if freq == "biweekly":
            parts.append("INTERVAL=2")
        if days:
            parts.append("BYDAY=" + ",".join(d for d in WEEKDAYS if d in days))
    elif freq == "monthly_weekday":
        nth, weekday = _one(values, f"{name}.nth"), _one(values, f"{name}.weekday")
        start = _start_date(all_values)
        if not nth and start is not None:
            nth = "-1" if (start + dt.timedelta(days=7)).month != start.month else ""
            nth = nth or str((start.day - 1) // 7 + 1)
        if not weekday and start is not None:
            weekday = WEEKDAYS[start.weekday()]
        if nth not in NTH or weekday not in WEEKDAYS:
            raise BadRequest("schedule: choose which week and which day of the month")
        parts += ["FREQ=MONTHLY", f"BYDAY={nth}{weekday}"]
    else:
        monthday = _one(values, f"{name}.monthday")
        start = _start_date(all_values)
        if not monthday and start is not None:
            monthday = str(start.day)
        number = read.whole_number(monthday)
        if number is None or not 1 <= number <= 31:
            raise BadRequest("schedule: a day of the month from 1 to 31")
        parts += ["FREQ=MONTHLY", f"BYMONTHDAY={number}"]
    until, count = _one(values, f"{name}.until"), _one(values, f"{name}.count")
    if until and count:
        raise BadRequest("schedule: end on a date or after a number of times, not both")
    if until:
        last = read.date({"until": until}, "until")
        assert last is not None
        tz = read.parse_timezone(_one(all_values, "timezone") or zone)
        end = dt.datetime.combine(dt.date.fromisoformat(last), dt.time(23, 59, 59), tz)
        parts.append("UNTIL=" + end.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"))
    elif count:
        times = read.whole_number(count)
        if times is None or not 1 <= times <= 1000:
            raise BadRequest("schedule: repeat from 1 to 1000 times")
        parts.append(f"COUNT={times}")
    return ";".join(parts)


def _start_date(values: Mapping[str, list[str]]) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(_one(values, "start")).date()
    except ValueError:
        return None


RULE_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+-]+$")


def recurrence_values(rule: str, name: str, zone: ZoneInfo) -> Values:
    """The picker's choices for a rule: those it can show, else "custom" with the rule kept."""
    custom = {f"{PREFIX}{name}.freq": ["custom"], f"{PREFIX}{name}.rule": [rule]}
    text = rule.strip().upper().removeprefix("RRULE:")
    parts_list = text.split(";")
    if not all(RULE_PART.match(p) for p in parts_list):
        return custom
    parts = dict(p.split("=", 1) for p in parts_list)
    values: Values = {}
    end = {k: parts.pop(k) for k in ("UNTIL", "COUNT") if k in parts}
    freq, interval, byday = (
        parts.pop("FREQ", ""),
        parts.pop("INTERVAL", "1"),
        parts.pop("BYDAY", ""),
    )
    monthday = parts.pop("BYMONTHDAY", "")
    if parts:
        return custom
    days = [d for d in byday.split(",") if d]
    if freq == "WEEKLY" and interval in ("1", "2") and not monthday and set(days) <= set(WEEKDAYS):
        values[f"{PREFIX}{name}.freq"] = ["weekly" if interval == "1" else "biweekly"]
        values[f"{PREFIX}{name}.days"] = days
    elif freq == "MONTHLY" and interval == "1" and len(days) == 1 and not monthday:
        match = re.fullmatch(r"(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)", days[0])
        if match is None:
            return custom
        values[f"{PREFIX}{name}.freq"] = ["monthly_weekday"]
        values[f"{PREFIX}{name}.nth"] = [match.group(1)]
        values[f"{PREFIX}{name}.weekday"] = [match.group(2)]
    elif freq == "MONTHLY" and interval == "1" and not days and monthday.isdigit():
        values[f"{PREFIX}{name}.freq"] = ["monthly_day"]
        values[f"{PREFIX}{name}.monthday"] = [monthday]
    else:
        return custom
    if "COUNT" in end:
        values[f"{PREFIX}{name}.count"] = [end["COUNT"]]
    if "UNTIL" in end:
        try:
            moment = dt.datetime.strptime(end["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return custom
        values[f"{PREFIX}{name}.until"] = [moment.astimezone(zone).date().isoformat()]
    return values


def form_values(
    fields: tuple[FormField, ...], meta: Mapping[str, Any], hub_timezone: str
) -> Values:
    """What a form shows for a post's front matter (when editing it, or coming from the file):
    the reverse of `form_meta`. Values it cannot show in a field are left out."""
    values: Values = {}
    try:
        zone = read.parse_timezone(meta.get("timezone") or hub_timezone)
    except BadRequest:
        zone = ZoneInfo("UTC")
    for f in fields:
        value = meta.get(f.name)
        if value is None:
            continue
        key = PREFIX + f.name
        if f.input in ("list", "checkboxes"):
            items = value if isinstance(value, list) else [value]
            values[key] = [str(v) for v in items if isinstance(v, str | int | float)]
        elif f.input == "actions" and isinstance(value, list):
            for item in value:
                row = item if isinstance(item, dict) else {"task": item}
                for part in ACTION_PARTS:
                    got = row.get(part)
                    values.setdefault(f"{key}.{part}", []).append(
                        got if isinstance(got, str) else ""
                    )
        elif f.input == "place":
            place = value if isinstance(value, dict) else {"name": value}
            for part in PLACE_PARTS:
                if isinstance(place.get(part), str | int | float):
                    values[f"{key}.{part}"] = [str(place[part])]
        elif f.input == "recurrence" and isinstance(value, str):
            values.update(recurrence_values(value, f.name, zone))
        elif f.input == "datetime" and isinstance(value, str):
            values[key] = [value.strip().replace(" ", "T", 1)]  # as datetime-local writes it
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            values[key] = [str(value)]
    return values


def form_text(meta: dict[str, Any], title: str, body: str, language: str | None = None) -> str:
    """The post as a file (front matter and Markdown), as the CLI reads it: what the form wrote
    is stored, edited and federated exactly as a file with the same front matter would be."""
    front = {**({"title": title} if title else {}), **meta}
    if language:
        front["language"] = language
    if not front:
        return body.strip()
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    return f"{FENCE}\n{dumped}{FENCE}\n{body.strip()}"


def read_text(text: str) -> tuple[dict[str, Any], str, str]:
    """A file's front matter (without its title), its title and its body."""
    meta, body = split_front_matter(text)
    title = meta.pop("title", "")
    return meta, title if isinstance(title, str) else "", body.strip()
