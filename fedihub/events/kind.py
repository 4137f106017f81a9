"""What events and call occurrences share as kinds of post (fedihub/kinds/event.py, call.py):
people join them, their participants hear of changes, they federate as an Event with counts."""

from __future__ import annotations

from typing import Any

from fedihub.db import Database, Transaction
from fedihub.events import store as events
from fedihub.events.render import event_fields
from fedihub.events.store import Attendance
from fedihub.posts.kind import PostKind
from fedihub.posts.render import post_uri
from fedihub.posts.store import Post


class ScheduledKind(PostKind):
    """A kind whose dated posts (`post.is_scheduled`) people join."""

    has_calendar = True
    page_template = "_kind_scheduled.html"

    async def load(self, db: Database | Transaction, post: Post) -> Attendance | None:
        return await events.attendance(db, post.id) if post.is_scheduled else None

    def render(
        self, obj: dict[str, Any], post: Post, hub_uri: str, series: Post | None, loaded: object
    ) -> None:
        attendance = loaded if isinstance(loaded, Attendance) else Attendance()
        obj.update(event_fields(post, series, hub_uri, attendance))
        if series is not None:
            obj["context"] = post_uri(hub_uri, series.id)

    def former_type(self, post: Post) -> str | None:
        return "Event" if post.is_scheduled else None

    async def hearers(self, db: Database, post: Post) -> list[str]:
        """Remote participants, who may not follow the hub."""
        if not post.is_scheduled:
            return []
        return [p.actor_uri for p in await events.participants(db, post.id)]

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        """How many are going, whether it can still be joined, and whether the viewer is going.
        A call series is joined occurrence by occurrence."""
        if not post.is_scheduled:
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
