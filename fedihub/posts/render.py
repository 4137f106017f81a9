"""The ActivityStreams shape of each kind of hub post, and the lines people read. Pure.

One place knows these shapes: the post's own URL, the Create/Update we federate and the web pages
all render from here. Mastodon shows an Article or Event as its name, its summary and a link, so
every event's `summary` states date, time, zone and place; Mobilizon and Gancio read the event
fields (Mobilizon's `mz:` terms and FEP-8a8e's), so both are there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fedihub.activitystreams import PUBLIC, iso
from fedihub.content import html_text
from fedihub.events.schedule import describe
from fedihub.polls.tally import Tally, count
from fedihub.posts.store import Post
from fedihub.posts.tags import hashtag_objects

ICAL_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}
EVENT_STATUS = {
    "confirmed": "https://w3id.org/fep/8a8e/EventScheduled",
    "tentative": "https://w3id.org/fep/8a8e/EventTentative",
    "cancelled": "https://w3id.org/fep/8a8e/EventCancelled",
}


@dataclass(frozen=True)
class Reactions:
    """Favourites and boosts a post received from elsewhere."""

    likes: int = 0
    shares: int = 0


@dataclass(frozen=True)
class Attendance:
    going: int = 0
    waitlisted: int = 0


def post_uri(hub_uri: str, post_id: int) -> str:
    return f"{hub_uri}/posts/{post_id}"


def zone_of(post: Post, series: Post | None) -> ZoneInfo:
    fields = series.fields if series else post.fields
    return ZoneInfo(fields.get("timezone") or "UTC")


def local_time(timestamp: float, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).astimezone(zone)


def when_line(starts_at: float, ends_at: float, zone: ZoneInfo) -> str:
    """'Monday 7 December 2026, 20:00–21:00 (America/New_York)'."""
    start, end = local_time(starts_at, zone), local_time(ends_at, zone)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({zone.key})"
    return f"{day} {start:%H:%M} – {end:%A} {end.day} {end:%B %Y} {end:%H:%M} ({zone.key})"


def place_line(fields: dict[str, Any]) -> str:
    parts = []
    location = fields.get("location")
    if location:
        address = [location.get(k) for k in ("street", "locality", "region", "country")]
        parts.append(", ".join(p for p in [location.get("name"), *address] if p))
    if fields.get("dial_in"):
        code = f", access code {fields['access_code']}" if fields.get("access_code") else ""
        parts.append(f"dial in {fields['dial_in']}{code}")
    if fields.get("online_url"):
        parts.append(f"online: {fields['online_url']}")
    return " · ".join(parts)


def summary_line(post: Post, series: Post | None = None) -> str:
    """Plain text for microblog readers: when, where, and whether it is off."""
    fields = series.fields if series else post.fields
    if post.starts_at is None or post.ends_at is None:
        return ""
    line = when_line(post.starts_at, post.ends_at, zone_of(post, series))
    place = place_line(fields)
    status = {"cancelled": "CANCELLED: ", "tentative": "Tentative: "}.get(post.status, "")
    return f"{status}{line}" + (f" · {place}" if place else "")


def series_line(series: Post) -> str:
    """A call series for microblog readers: its rule (or its one date) and how to join."""
    schedule = series.fields.get("schedule")
    if not schedule or series.starts_at is None:
        return summary_line(series)
    start = local_time(series.starts_at, zone_of(series, None))
    place = place_line(series.fields)
    return f"Repeats {describe(schedule, start)}" + (f" · {place}" if place else "")


def _list_html(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>" if items else ""


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def minutes_html(post: Post, hub_uri: str) -> str:
    f = post.fields
    parts = [f"<p><strong>Meeting of {escape(f['meeting_date'])}</strong></p>"]
    if f.get("attendees"):
        parts.append(f"<p>Attendees: {escape(', '.join(f['attendees']))}</p>")
    if f.get("agenda"):
        parts.append("<p><strong>Agenda</strong></p>" + _list_html(f["agenda"]))
    if f.get("decisions"):
        parts.append("<p><strong>Decisions</strong></p>" + _list_html(f["decisions"]))
    if f.get("actions"):
        lines = []
        for a in f["actions"]:
            who = f" — {a['owner']}" if a.get("owner") else ""
            due = f", due {a['due']}" if a.get("due") else ""
            lines.append(f"{a['task']}{who}{due}")
        parts.append("<p><strong>Action items</strong></p>" + _list_html(lines))
    if f.get("records"):
        parts.append(f"<p>Records: {_link(f['records'])}</p>")
    parts.append(post.content_html)
    href = escape(f"{hub_uri}#minutes")
    parts.append(
        f'<p><a href="{href}" class="mention hashtag" rel="tag">#<span>minutes</span></a></p>'
    )
    return "".join(parts)


def scheduled_html(post: Post, series: Post | None) -> str:
    """The readable body of an event or call: when, where, how to join, then the description."""
    source = series or post
    f = source.fields
    parts = []
    if post.status == "cancelled":
        parts.append("<p><strong>Cancelled.</strong></p>")
    if post.starts_at is not None and post.ends_at is not None:
        parts.append(
            f"<p>{escape(when_line(post.starts_at, post.ends_at, zone_of(post, series)))}</p>"
        )
    if source.kind == "call" and f.get("schedule") and source.starts_at is not None:
        start = local_time(source.starts_at, zone_of(source, None))
        parts.append(f"<p>Repeats {escape(describe(f['schedule'], start))}</p>")
    location = f.get("location")
    if location:
        parts.append(f"<p>Where: {escape(place_line({'location': location}))}</p>")
    if f.get("dial_in"):
        code = f" (access code {escape(f['access_code'])})" if f.get("access_code") else ""
        parts.append(f"<p>Dial in: {escape(f['dial_in'])}{code}</p>")
    if f.get("online_url"):
        parts.append(f"<p>Join online: {_link(f['online_url'])}</p>")
    if f.get("facilitator"):
        parts.append(f"<p>Facilitator: {escape(f['facilitator'])}</p>")
    if f.get("agenda"):
        parts.append("<p><strong>Agenda</strong></p>" + _list_html(f["agenda"]))
    parts.append(source.content_html)
    return "".join(parts)


def _place(fields: dict[str, Any]) -> dict[str, Any] | list[dict[str, Any]] | None:
    """A Place, a VirtualLocation, or both for a hybrid event (FEP-8a8e)."""
    found: list[dict[str, Any]] = []
    location = fields.get("location")
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
    if fields.get("online_url"):
        found.append({"type": "VirtualLocation", "url": fields["online_url"]})
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def _event_fields(
    post: Post, series: Post | None, hub_uri: str, attendance: Attendance
) -> dict[str, Any]:
    assert post.starts_at is not None and post.ends_at is not None
    fields = (series or post).fields
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
        "isOnline": bool(fields.get("online_url") or fields.get("dial_in"))
        and not fields.get("location"),
        "summary": summary_line(post, series),
        "content": scheduled_html(post, series),
    }
    location = _place(fields)
    if location is not None:
        obj["location"] = location
    capacity = fields.get("capacity")
    if capacity:
        obj["maximumAttendeeCapacity"] = capacity
        obj["remainingAttendeeCapacity"] = max(capacity - attendance.going, 0)
    if fields.get("category"):
        obj["category"] = fields["category"]
    if fields.get("online_url"):
        # Mobilizon shows the online room from a Link attachment.
        obj["attachment"] = [{"type": "Link", "name": "Website", "href": fields["online_url"]}]
    return obj


def question_html(post: Post, tally: Tally) -> str:
    f = post.fields
    parts = [f"<p><strong>{escape(post.title)}</strong></p>"] if post.title else []
    parts.append(post.content_html)
    notes = []
    if f.get("members_only"):
        notes.append("Only members' votes are counted.")
    if f.get("quorum"):
        notes.append(f"Quorum: {f['quorum']} voters.")
    if post.kind == "proposal":
        notes.append("Block only if you cannot live with it, and say why in a reply.")
    if f.get("outcome"):
        notes.append(f"Outcome: {f['outcome']}.")
    if notes:
        parts.append(f"<p>{escape(' '.join(notes))}</p>")
    return "".join(parts)


def _question_fields(post: Post, tally: Tally) -> dict[str, Any]:
    assert post.ends_at is not None
    options = [
        {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}}
        for name, n in zip(tally.options, tally.counts, strict=True)
    ]
    obj: dict[str, Any] = {
        "type": "Question",
        "content": question_html(post, tally),
        "anyOf" if post.fields.get("multiple") else "oneOf": options,
        "endTime": iso(post.ends_at),
        "votersCount": tally.voters,
    }
    if post.closed_at is not None:
        obj["closed"] = iso(post.ends_at)
    return obj


def post_object(
    hub_uri: str,
    post: Post,
    *,
    series: Post | None = None,
    attendance: Attendance | None = None,
    tally: Tally | None = None,
    by_group: bool = True,
    language: str | None = None,
    reactions: Reactions | None = None,
) -> dict[str, Any]:
    """The object at the post's id. `series` is the call series of an occurrence; `by_group`
    is False for an account's own posts, whose audience is the hub they mention, if any."""
    uri = post_uri(hub_uri, post.id)
    obj: dict[str, Any] = {
        "id": uri,
        "type": "Article" if post.title else "Note",
        "attributedTo": hub_uri,
        "audience": hub_uri,
        "to": [PUBLIC],
        "cc": [f"{hub_uri}/followers"],
        "content": post.content_html,
        "mediaType": "text/html",
        "url": uri,
        "published": iso(post.published_at),
        "sensitive": False,
        "tag": [],
    }
    if post.source_markdown:
        obj["source"] = {"content": post.source_markdown, "mediaType": "text/markdown"}
    if post.title:
        obj["name"] = post.title
    if post.updated_at is not None:
        obj["updated"] = iso(post.updated_at)
    if post.kind == "minutes":
        obj["content"] = minutes_html(post, hub_uri)
        obj["tag"] = [{"type": "Hashtag", "name": "#minutes", "href": f"{hub_uri}#minutes"}]
        obj["summary"] = f"Minutes of the meeting of {post.fields['meeting_date']}"
    elif post.is_scheduled:
        obj.update(_event_fields(post, series, hub_uri, attendance or Attendance()))
        if series is not None:
            obj["context"] = post_uri(hub_uri, series.id)
    elif post.is_question:
        options = post.fields["options"]
        obj.update(_question_fields(post, tally or count(options, [])))
        obj.pop("name", None)  # Mastodon shows a Question's content; the title leads it
    elif post.kind == "call":
        obj["content"] = scheduled_html(post, None)
        obj["summary"] = series_line(post)
    _tag_and_address(obj, post, hub_uri, by_group)
    if language := post.fields.get("language") or language:
        _languages(obj, language)
    images = post.fields.get("attachments") or []
    if images:  # Image attachments with their alt text, before any event Link
        obj["attachment"] = images + obj.get("attachment", [])
    if reactions is not None:  # Mastodon shows these totals for posts from other servers
        obj["likes"] = {"type": "Collection", "totalItems": reactions.likes}
        obj["shares"] = {"type": "Collection", "totalItems": reactions.shares}
    return obj


def _languages(obj: dict[str, Any], language: str) -> None:
    """contentMap (and nameMap, summaryMap): the post's text keyed by its language."""
    for field in ("content", "name", "summary"):
        if isinstance(obj.get(field), str):
            obj[f"{field}Map"] = {language: obj[field]}


def _tag_and_address(obj: dict[str, Any], post: Post, actor_uri: str, by_group: bool) -> None:
    """Hashtags and mentions as tags; mentioned actors copied in; and, for an account's post
    that mentions a hub, that hub as its audience (FEP-1b12)."""
    mentions = post.fields.get("mentions") or []
    parts = urlsplit(actor_uri)
    tags = hashtag_objects(obj["content"], f"{parts.scheme}://{parts.netloc}")
    tags += [{"type": "Mention", "href": m["href"], "name": m["name"]} for m in mentions]
    names = {t["name"] for t in obj["tag"]}
    obj["tag"] = obj["tag"] + [t for t in tags if t["name"] not in names]
    obj["cc"] = obj["cc"] + [m["href"] for m in mentions]
    if not by_group:
        groups = [m["href"] for m in mentions if m.get("actor_type") == "Group"]
        obj.pop("audience")
        if groups:
            obj["audience"] = groups[0]


def tombstone(hub_uri: str, post: Post, deleted_at: float) -> dict[str, Any]:
    return {
        "id": post_uri(hub_uri, post.id),
        "type": "Tombstone",
        "formerType": "Event"
        if post.is_scheduled
        else "Question"
        if post.is_question
        else "Article"
        if post.title
        else "Note",
        "deleted": iso(deleted_at),
    }


TITLE_CHARS = 80


def fallback_title(html: str) -> str:
    text = " ".join(html_text(html).split())
    if len(text) <= TITLE_CHARS:
        return text or "Untitled"
    cut = text[:TITLE_CHARS]
    # Cut at a word boundary unless the text is one long word (a URL, or a script without spaces).
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def display_title(post: Post) -> str:
    """What a feed reader or calendar lists the post as; updates often have no title."""
    if post.title:
        return post.title
    if post.kind == "minutes" and post.fields.get("meeting_date"):
        return f"Minutes of the meeting of {post.fields['meeting_date']}"
    return fallback_title(post.content_html)
