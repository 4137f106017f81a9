"""Shape and origin rules for an incoming activity, before we store it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedihub.activitystreams import (
    WEB_SCHEMES,
    NulInJson,
    first_non_web_link,
    host_of,
    id_of,
    is_actor_type,
    same_host,
    strict_json,
)
from fedihub.errors import BadRequest, OriginError

# Types whose embedded object must come from the signer's own host.
AUTHORED_TYPES = frozenset({"Create", "Update", "Delete"})
MAX_ID_LENGTH = 2048


@dataclass(frozen=True)
class Incoming:
    id: str
    type: str
    actor: str
    document: dict[str, Any]
    raw: str  # the body as received: what we store, so nothing is lost in re-serialising


def parse_activity(body: bytes) -> Incoming:
    try:
        raw = body.decode("utf-8")  # strictly UTF-8 (RFC 8259), so `raw` parses back the same
        document = strict_json(raw)
    except NulInJson as e:  # PostgreSQL cannot store it: refused here, on both engines
        raise BadRequest("the activity holds a U+0000 (NUL) character") from e
    except (ValueError, RecursionError) as e:
        raise BadRequest("the body is not valid UTF-8 JSON") from e
    if not isinstance(document, dict):
        raise BadRequest("an activity must be a JSON object")
    activity_id, kind, actor = (
        document.get("id"),
        document.get("type"),
        id_of(document.get("actor")),
    )
    if not isinstance(activity_id, str) or not activity_id.startswith(WEB_SCHEMES):
        raise BadRequest("the activity has no http(s) id")
    if len(activity_id) > MAX_ID_LENGTH:
        raise BadRequest("the activity id is too long")
    if not isinstance(kind, str) or not kind:
        raise BadRequest("the activity has no type")
    if not actor or not actor.startswith(WEB_SCHEMES):
        raise BadRequest("the activity has no actor")
    if (bad := first_non_web_link(document)) is not None:
        raise BadRequest("%(field)s: only http(s) links are accepted", field=bad)
    return Incoming(id=activity_id, type=kind, actor=actor, document=document, raw=raw)


class ForeignDelete(OriginError):
    """A Delete naming (by id alone) a post on another host: refused unless its sender moderates
    one of our hubs carrying that post (FEP-1b12), which only the database can tell
    (inbox/precheck.py)."""


def check_origins(activity: Incoming, own_host: str) -> None:
    """Raises OriginError when the activity speaks for a host other than its signer's."""
    actor_host = host_of(activity.actor)
    if actor_host == own_host:
        raise OriginError(
            "activities claiming this instance's actors are not accepted from outside"
        )
    if not same_host(activity.id, activity.actor):
        raise OriginError("the activity id is not on the actor's host")
    if activity.type not in AUTHORED_TYPES:
        return
    obj = activity.document.get("object")
    object_id = id_of(obj)
    if object_id is None:
        raise BadRequest("a %(type)s needs an object with an id", type=activity.type)
    if not same_host(object_id, activity.actor):
        if activity.type == "Delete" and not isinstance(obj, dict):
            raise ForeignDelete("a Delete of an object on another host is not accepted")
        raise OriginError(
            "a %(type)s of an object on another host is not accepted", type=activity.type
        )
    if isinstance(obj, dict):
        for field in ("attributedTo", "actor"):
            owner = id_of(obj.get(field))
            if owner is not None and not same_host(owner, activity.actor):
                raise OriginError("the object's %(field)s is not on the actor's host", field=field)


def foreign_author(activity: Incoming) -> str | None:
    """The object's attributedTo when it is not the sender: allowed only for a group the sender
    posts for (Mobilizon members publish their group's events), which inbox/precheck.py checks."""
    if activity.type not in ("Create", "Update"):
        return None
    obj = activity.document.get("object")
    if not isinstance(obj, dict) or is_actor_type(obj.get("type")):
        return None
    author = id_of(obj.get("attributedTo"))
    return author if author is not None and author != activity.actor else None


def is_self_delete(activity: Incoming) -> bool:
    return activity.type == "Delete" and id_of(activity.document.get("object")) == activity.actor


def vote_in(activity_or_object: dict[str, Any]) -> tuple[str, str] | None:
    """(option name, question id) when an object is a vote as Mastodon sends one: a Note with a
    `name` and no text, in reply to the poll. A Note with text is a reply, never a vote."""
    obj = activity_or_object
    name, question = obj.get("name"), id_of(obj.get("inReplyTo"))
    if obj.get("type") != "Note" or not isinstance(name, str) or question is None:
        return None
    content = obj.get("content")
    if isinstance(content, str) and content.strip():
        return None
    return name, question
