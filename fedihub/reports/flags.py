"""What a received `Flag` says: who reports, which objects, and why. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedihub.activitystreams import id_of
from fedihub.content import html_text
from fedihub.errors import BadRequest

MAX_OBJECTS = 50  # Mastodon sends the account and the reported posts; more is not a report
MAX_COMMENT_CHARS = 5000


@dataclass(frozen=True)
class Flag:
    activity_uri: str
    reporter_uri: str  # often the reporting server's instance actor, not a person
    objects: tuple[str, ...]
    comment: str  # plain text


def read_flag(activity_uri: str, reporter_uri: str, document: dict[str, Any]) -> Flag:
    named = document.get("object")
    items = named if isinstance(named, list) else [named]
    if len(items) > MAX_OBJECTS:
        raise BadRequest("a report may name at most %(max)s objects", max=MAX_OBJECTS)
    objects = tuple(dict.fromkeys(i for i in map(id_of, items) if i is not None))
    if not objects:
        raise BadRequest("a report must name what it reports")
    content = document.get("content")
    comment = html_text(content).strip() if isinstance(content, str) else ""
    return Flag(activity_uri, reporter_uri, objects, comment[:MAX_COMMENT_CHARS])


def compose_flag(
    activity_uri: str, instance_actor_uri: str, objects: list[str], comment: str
) -> dict[str, Any]:
    """A report for another server, shaped as Mastodon sends them: from the instance actor (so
    it names no reporter), the account first, then its posts; the comment as plain text."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": activity_uri,
            "type": "Flag", "actor": instance_actor_uri, "content": comment,
            "object": objects}  # fmt: skip
