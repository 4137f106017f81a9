"""An event: a time, a place (or a link), a capacity with an optional waitlist. Federated as an
Event people join from Mastodon or Mobilizon; its participants hear of every change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.events.kind import Places, ScheduledKind
from fedihub.events.participation import promote_waitlisted
from fedihub.outbox.recipients import Target
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import STATUS_CHOICES, FormField
from fedihub.posts.kind import KindName, Parsed
from fedihub.posts.store import Post
from fedihub.services import Services


@dataclass(frozen=True)
class EventFields:
    timezone: str
    location: dict[str, Any] | None = None  # name, street, …, latitude/longitude (fieldreaders)
    online_url: str | None = None
    capacity: int | None = None
    waitlist: bool = True  # when full, a Join waits for a place instead of a Reject
    category: str | None = None  # Mobilizon's category, upper case

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "location": self.location,
            "online_url": self.online_url,
            "capacity": self.capacity,
            "waitlist": self.waitlist,
            "category": self.category,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventFields:
        return cls(
            timezone=data.get("timezone") or "UTC",
            location=data.get("location"),
            online_url=data.get("online_url"),
            capacity=data.get("capacity"),
            waitlist=data.get("waitlist", True),
            category=data.get("category"),
        )


class Event(ScheduledKind):
    name = KindName("event")
    label = "Event"  # translated where it is shown
    example = "\n".join(["---", "title: ", "start: 2026-12-05 18:00", "end: 2026-12-05 20:00",
                         "location: ", "capacity: ", "---", "What it is about."])  # fmt: skip
    position = 2
    fields_type = EventFields
    form = (
        FormField("start", "Starts", "datetime", required=True),
        FormField("end", "Ends", "datetime", required=True),
        FormField("timezone", "Time zone", "timezone"),
        FormField("location", "Place", "place", help="Leave empty for an online event"),
        FormField("online_url", "Link to join online", "url"),
        FormField("capacity", "Places", "number", min=1, help="Leave empty for no limit"),
        FormField("waitlist", "When it is full, keep a waitlist", "checkbox", default="true"),
        FormField("status", "Status", "select", choices=STATUS_CHOICES),
        FormField("category", "Category", help="Mobilizon's category, such as MEETING"),
    )
    title_required = True
    dated = True

    def places(self, post: Post) -> Places:
        fields = EventFields.from_json(post.fields)
        return Places(fields.capacity, fields.waitlist)

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        start, end = read.times(meta, zone)
        fields = EventFields(
            timezone=zone.key,
            location=read.location(meta),
            online_url=read.url(meta, "online_url"),
            capacity=read.capacity(meta),
            waitlist=read.flag(meta, "waitlist", True),
            category=(read.text(meta, "category") or "").upper() or None,
        )
        return Parsed(fields, start.timestamp(), end.timestamp(), read.status(meta))

    async def after_edit(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        """More places (or none cancelled) let the waitlist's first in."""
        await promote_waitlisted(tx, svc, hub, post, now)


KIND = Event()
