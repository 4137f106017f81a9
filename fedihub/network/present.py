"""What a person sees of a received object: its fields read defensively, whatever server sent
it (Mobilizon, Gancio, another fedihub, Mastodon). Pure; HTML fields arrive sanitised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fedihub.activitystreams import WEB_SCHEMES, JsonObject, id_of


@dataclass(frozen=True)
class NetworkItem:
    id: str
    type: str
    url: str
    title: str | None
    content_html: str
    summary: str | None
    author: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    timezone: str | None
    place: str | None
    online_url: str | None
    status: str | None
    participants: int | None
    capacity: int | None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _places(obj: JsonObject) -> tuple[str | None, str | None]:
    """(a place line, an online link) from a Place, a VirtualLocation, or a list of both."""
    locations = obj.get("location")
    locations = locations if isinstance(locations, list) else [locations]
    place, online = None, None
    for loc in locations:
        if not isinstance(loc, dict):
            continue
        if loc.get("type") == "VirtualLocation":
            online = online or _text(loc.get("url"))
            continue
        address = loc.get("address")
        if isinstance(address, dict):
            keys = ("streetAddress", "addressLocality", "addressRegion", "addressCountry")
            address = ", ".join(a for k in keys if (a := _text(address.get(k))))
        parts = [p for p in (_text(loc.get("name")), _text(address)) if p]
        place = place or (", ".join(dict.fromkeys(parts)) or None)
    attachments = obj.get("attachment")
    for attachment in attachments if isinstance(attachments, list) else [attachments]:
        if isinstance(attachment, dict) and attachment.get("type") == "Link":
            online = online or _text(attachment.get("href"))
    return place, online


def present(obj: JsonObject) -> NetworkItem:
    kind = obj.get("type") if isinstance(obj.get("type"), str) else "Object"
    url = obj.get("url")
    url = id_of(url[0] if isinstance(url, list) and url else url) or str(obj.get("id"))
    status = _text(obj.get("ical:status")) or _text(obj.get("eventStatus"))
    place, online = _places(obj)
    content = obj.get("content")
    return NetworkItem(
        id=str(obj.get("id")),
        type=str(kind),
        # Links are checked on arrival; this also holds for rows stored before that check.
        url=next((u for u in (url, str(obj.get("id"))) if u.startswith(WEB_SCHEMES)), ""),
        title=_text(obj.get("name")),
        content_html=content if isinstance(content, str) else "",
        summary=_text(obj.get("summary")),
        author=id_of(obj.get("attributedTo")),
        starts_at=_time(obj.get("startTime")),
        ends_at=_time(obj.get("endTime")),
        timezone=_text(obj.get("timezone")),
        place=place,
        online_url=online,
        status=status.rsplit("/", 1)[-1].upper().removeprefix("EVENT") if status else None,
        participants=_int(obj.get("participantCount")),
        capacity=_int(obj.get("maximumAttendeeCapacity")),
    )
