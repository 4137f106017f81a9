"""What every kind people join stores, read typed: an event's fields and a call series' share
their names (fedihub/kinds/event.py, call.py), so the lines people read, the Event objects and the
calendars read both alike. An occurrence keeps none of its own and is read through its series."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fedihub.posts.store import Post, typed_fields


@dataclass(frozen=True)
class ScheduledFields:
    timezone: str = "UTC"
    location: dict[str, Any] | None = None  # name, street, …, latitude/longitude (fieldreaders)
    online_url: str | None = None
    dial_in: str | None = None
    access_code: str | None = None
    capacity: int | None = None
    waitlist: bool = True  # an event's: when full, people wait for a place
    category: str | None = None
    schedule: str | None = None  # a call series' iCalendar RRULE
    facilitator: str | None = None
    agenda: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScheduledFields:
        return cls(
            timezone=data.get("timezone") or "UTC",
            location=data.get("location"),
            online_url=data.get("online_url"),
            dial_in=data.get("dial_in"),
            access_code=data.get("access_code"),
            capacity=data.get("capacity"),
            waitlist=data.get("waitlist", True),
            category=data.get("category"),
            schedule=data.get("schedule"),
            facilitator=data.get("facilitator"),
            agenda=tuple(data.get("agenda") or ()),
        )


def scheduled_fields(post: Post, series: Post | None = None) -> ScheduledFields:
    """The fields of an event or a call series; of an occurrence, its `series`'."""
    return typed_fields(series or post, ScheduledFields.from_json)
