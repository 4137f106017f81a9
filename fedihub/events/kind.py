"""What events and call occurrences share as kinds of post (fedihub/kinds/event.py, call.py):
people join them, their participants hear of changes, they federate as an Event with counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedihub.db import Database, Transaction
from fedihub.events import store as events
from fedihub.events.render import event_fields
from fedihub.events.store import Attendance
from fedihub.posts.kind import PostKind
from fedihub.posts.render import post_uri
from fedihub.posts.store import Post
from fedihub.words import Words


@dataclass(frozen=True)
class Places:
    """How many may take part (None: any number), and whether others wait for a place."""

    capacity: int | None = None
    waitlist: bool = True


class ScheduledKind(PostKind):
    """A kind whose dated posts (`is_scheduled`) people join."""

    has_calendar = True

    def is_scheduled(self, post: Post) -> bool:
        """The kind's own posts when `dated`, and a series' occurrences."""
        return self.dated or post.is_occurrence

    def places(self, post: Post) -> Places:
        """Any number may take part unless the kind says otherwise."""
        return Places()

    page_template = "_kind_scheduled.html"

    async def load(self, db: Database | Transaction, post: Post) -> Attendance | None:
        return await events.attendance(db, post.id) if self.is_scheduled(post) else None

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        attendance = loaded if isinstance(loaded, Attendance) else Attendance()
        obj.update(event_fields(post, series, hub_uri, attendance, words))
        if series is not None:
            obj["context"] = post_uri(hub_uri, series.id)

    def former_type(self, post: Post) -> str | None:
        return "Event" if self.is_scheduled(post) else None

    async def hearers(self, db: Database, post: Post) -> list[str]:
        """Remote participants, who may not follow the hub."""
        if not self.is_scheduled(post):
            return []
        return [p.actor_uri for p in await events.participants(db, post.id)]

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        """How many are going, whether it can still be joined, and whether the viewer is going.
        A call series is joined occurrence by occurrence."""
        if not self.is_scheduled(post):
            return {"attendance": None}
        joinable = post.status != "cancelled" and (post.ends_at or 0) > now
        page: dict[str, Any] = {
            "attendance": await events.attendance(db, post.id),
            "take_part_open": joinable,
        }
        if viewer_uri is not None:
            place = await events.participant(db, post.id, viewer_uri)
            page["mine"] = {"place": place.state if place else None}
        return page
