"""Build the activities we send. Pure: ids and times come in as arguments."""

from __future__ import annotations

from typing import Any

from fedihub.activitystreams import AS_CONTEXT, PUBLIC, iso

POST_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"},
]


def follow(activity_uri: str, actor_uri: str, target_uri: str) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Follow",
        "actor": actor_uri,
        "object": target_uri,
    }


def _answer_follow(kind: str, activity_uri: str, actor_uri: str, follow_activity: dict) -> dict:
    # Mastodon matches the answer to its pending follow only when the Follow is embedded.
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": kind,
        "actor": actor_uri,
        "to": [follow_activity["actor"]],
        "object": {
            "id": follow_activity["id"],
            "type": "Follow",
            "actor": follow_activity["actor"],
            "object": follow_activity["object"],
        },
    }


def accept_follow(activity_uri: str, actor_uri: str, follow_activity: dict) -> dict:
    return _answer_follow("Accept", activity_uri, actor_uri, follow_activity)


def reject_follow(activity_uri: str, actor_uri: str, follow_activity: dict) -> dict:
    return _answer_follow("Reject", activity_uri, actor_uri, follow_activity)


def undo_follow(activity_uri: str, actor_uri: str, follow_uri: str, target_uri: str) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Undo",
        "actor": actor_uri,
        "to": [target_uri],
        "object": {"id": follow_uri, "type": "Follow", "actor": actor_uri, "object": target_uri},
    }


def post_object(
    *,
    post_uri: str,
    actor_uri: str,
    followers_uri: str,
    title: str | None,
    content_html: str,
    source_markdown: str,
    published_at: float,
    updated_at: float | None = None,
) -> dict:
    """A hub post: an Article when it has a title, else a Note; public, copied to followers."""
    obj: dict[str, Any] = {
        "id": post_uri,
        "type": "Article" if title else "Note",
        "attributedTo": actor_uri,
        "audience": actor_uri,
        "to": [PUBLIC],
        "cc": [followers_uri],
        "content": content_html,
        "mediaType": "text/html",
        "source": {"content": source_markdown, "mediaType": "text/markdown"},
        "url": post_uri,
        "published": iso(published_at),
        "sensitive": False,
        "tag": [],
    }
    if title:
        obj["name"] = title
    if updated_at is not None:
        obj["updated"] = iso(updated_at)
    return obj


def create(activity_uri: str, actor_uri: str, obj: dict) -> dict:
    return {
        "@context": POST_CONTEXT,
        "id": activity_uri,
        "type": "Create",
        "actor": actor_uri,
        "published": obj.get("published"),
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": obj,
    }
