"""What each kind of hub post holds, checked from what a person wrote. Pure: no I/O.

A post is Markdown with optional YAML front matter. `parse_draft` turns it into a PostDraft whose
`fields` are plain JSON (stored as they are) and whose times are UTC timestamps; anything wrong is
a BadRequest that names the field, so nothing half-checked is ever stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from fedihub.content import render_markdown
from fedihub.errors import BadRequest
from fedihub.events.schedule import parse_rule
from fedihub.posts import fieldreaders as read
from fedihub.posts.fieldreaders import Status
from fedihub.posts.frontmatter import split_front_matter

Kind = Literal["update", "minutes", "event", "call", "poll", "proposal"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_POST_BYTES = 100_000
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


def _update(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    return {}, None, None, "confirmed"


def _minutes(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    fields = {
        "meeting_date": read.date(meta, "meeting_date", required=True),
        "attendees": read.text_list(meta, "attendees"),
        "agenda": read.text_list(meta, "agenda"),
        "decisions": read.text_list(meta, "decisions"),
        "actions": read.actions(meta),
        "records": read.url(meta, "records"),
        "proposals": read.post_ids(meta, "proposals"),
    }
    return fields, None, None, "confirmed"


def _event(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    start, end = read.times(meta, zone)
    waitlist = meta.get("waitlist", True)
    if not isinstance(waitlist, bool):
        raise BadRequest("waitlist: true or false")
    fields = {
        "timezone": zone.key,
        "location": read.location(meta),
        "online_url": read.url(meta, "online_url"),
        "capacity": read.capacity(meta),
        "waitlist": waitlist,
        "category": (read.text(meta, "category") or "").upper() or None,
    }
    return fields, start.timestamp(), end.timestamp(), read.status(meta)


def _call(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    start, end = read.times(meta, zone)
    schedule = read.text(meta, "schedule")
    if schedule is not None:
        parse_rule(schedule, start)  # refuses a malformed or too-frequent rule now, not later
    fields = {
        "timezone": zone.key,
        "schedule": schedule,
        "dial_in": read.text(meta, "dial_in"),
        "access_code": read.text(meta, "access_code"),
        "online_url": read.url(meta, "online_url"),
        "facilitator": read.text(meta, "facilitator"),
        "agenda": read.text_list(meta, "agenda"),
    }
    if not (fields["dial_in"] or fields["online_url"]):
        raise BadRequest("a call needs dial_in (a phone number) or online_url (a video link)")
    return fields, start.timestamp(), end.timestamp(), read.status(meta)


def _poll(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    options = read.options(meta)
    fields = {
        "options": options,
        "multiple": read.flag(meta, "multiple"),
        "members_only": read.flag(meta, "members_only"),
        "quorum": read.quorum(meta),
        "questions_choice": options.index(QUESTIONS_OPTION)
        if QUESTIONS_OPTION in options
        else None,
    }
    return fields, None, read.closes(meta, zone), "confirmed"


def _proposal(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], Any, Any, Status]:
    who = meta.get("who", "members")  # never str() a list: YAML aliases can make it 10**9 long
    who = who.strip().lower() if isinstance(who, str) else ""
    if who not in ("members", "anyone"):
        raise BadRequest("who: members or anyone")
    fields = {
        "options": list(CONSENSUS),
        "multiple": False,
        "members_only": who == "members",
        "quorum": read.quorum(meta),
        "questions_choice": None,
        "outcome": None,
    }
    return fields, None, read.closes(meta, zone), "confirmed"


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


def parse_draft(kind: str, text: str, hub_timezone: str, language: str | None = None) -> PostDraft:
    """Checks a whole post of `kind`; times without an offset are in `timezone:` or the hub's.
    `language` is the one chosen beside the text, unless its front matter names one."""
    if kind not in PARSERS:
        raise BadRequest(
            "unknown kind of post %(kind)r: one of %(choices)s", kind=kind, choices=", ".join(KINDS)
        )
    if len(text.encode()) > MAX_POST_BYTES:
        raise BadRequest("a post may be at most %(max)s bytes", max=MAX_POST_BYTES)
    meta, body = split_front_matter(text)
    parser, allowed = PARSERS[kind]
    if "language" in meta:
        language = read.parse_language(meta.pop("language"))
    elif language is not None:
        language = read.parse_language(language)
    unknown = sorted(set(meta) - allowed)
    if unknown:
        raise BadRequest(
            "%(field)s: not a field of a %(kind)s (fields: %(fields)s)",
            field=unknown[0],
            kind=kind,
            fields=", ".join(sorted(allowed)),
        )
    heading, html = render_markdown(body)
    title = read.text(meta, "title") or heading
    if kind in ("event", "call", "proposal") and not title:
        raise BadRequest("title: a %(kind)s needs a title", kind=kind)
    zone = read.parse_timezone(meta.get("timezone") or hub_timezone)
    fields, starts_at, ends_at, status = parser(meta, zone)
    if language:
        fields["language"] = language
    if kind == "minutes" and not title:
        title = f"Minutes of {fields['meeting_date']}"
    if kind in ("update", "poll", "proposal") and not html.strip():
        raise BadRequest("the post is empty: write the text below the front matter")
    # The whole text is kept, front matter included, so an edit starts from what was written.
    return PostDraft(kind, title, text.strip(), html, fields, starts_at, ends_at, status)  # type: ignore[arg-type]
