"""Build the activities we send. Pure: ids and times come in as arguments."""

from __future__ import annotations

from typing import Any, Literal

from fedihub.activitystreams import AS_CONTEXT, POST_CONTEXT, PUBLIC, JsonObject, iso

ModeratorsChange = Literal["Add", "Remove"]


def follow(activity_uri: str, actor_uri: str, target_uri: str) -> JsonObject:
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Follow",
        "actor": actor_uri,
        "object": target_uri,
    }


def answer(kind: str, activity_uri: str, actor_uri: str, answered: JsonObject) -> JsonObject:
    """Accept or Reject of a Follow or Join. Mastodon and Mobilizon match the answer to their
    pending request only when it is embedded, so it always is."""
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": kind,
        "actor": actor_uri,
        "to": [answered["actor"]],
        "object": {
            "id": answered["id"],
            "type": answered["type"],
            "actor": answered["actor"],
            "object": answered["object"],
        },
    }


def accept_follow(activity_uri: str, actor_uri: str, follow_activity: JsonObject) -> JsonObject:
    return answer("Accept", activity_uri, actor_uri, {**follow_activity, "type": "Follow"})


def reject_follow(activity_uri: str, actor_uri: str, follow_activity: JsonObject) -> JsonObject:
    return answer("Reject", activity_uri, actor_uri, {**follow_activity, "type": "Follow"})


def undo(activity_uri: str, actor_uri: str, undone: JsonObject) -> JsonObject:
    """Takes back one of our activities, addressed to whoever it was addressed to."""
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Undo",
        "actor": actor_uri,
        **{key: undone[key] for key in ("to", "cc") if key in undone},
        "object": {key: undone[key] for key in ("id", "type", "actor", "object")},
    }


def undo_follow(activity_uri: str, actor_uri: str, follow_uri: str, target_uri: str) -> JsonObject:
    follow = {"id": follow_uri, "type": "Follow", "actor": actor_uri, "object": target_uri}
    return undo(activity_uri, actor_uri, {**follow, "to": [target_uri]})


def _about_object(
    kind: str, activity_uri: str, actor_uri: str, obj: JsonObject, published: Any
) -> JsonObject:
    """A Create or Update, addressed as its object is."""
    return {
        "@context": POST_CONTEXT,
        "id": activity_uri,
        "type": kind,
        "actor": actor_uri,
        "published": published,
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": obj,
    }


def create(activity_uri: str, actor_uri: str, obj: JsonObject) -> JsonObject:
    return _about_object("Create", activity_uri, actor_uri, obj, obj.get("published"))


def update(activity_uri: str, actor_uri: str, obj: JsonObject, published_at: float) -> JsonObject:
    """An edit (the object carries a newer `updated`) or a refresh of counts (it does not)."""
    return _about_object("Update", activity_uri, actor_uri, obj, iso(published_at))


def delete(
    activity_uri: str, actor_uri: str, tombstone: JsonObject, followers_uri: str
) -> JsonObject:
    return {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Delete",
        "actor": actor_uri,
        "to": [PUBLIC],
        "cc": [followers_uri],
        "object": tombstone,
    }


def direct_note(
    activity_uri: str,
    actor_uri: str,
    to: str,
    handle: str,
    content_html: str,
    in_reply_to: str | None,
) -> JsonObject:
    """A Create of a Note to one person, mentioning them (a direct message on Mastodon)."""
    note: JsonObject = {
        "id": f"{activity_uri}#note",
        "type": "Note",
        "attributedTo": actor_uri,
        "to": [to],
        "cc": [],
        "inReplyTo": in_reply_to,
        "content": content_html,
        "tag": [{"type": "Mention", "href": to, "name": handle}],
    }
    if in_reply_to is None:
        del note["inReplyTo"]
    return {"@context": POST_CONTEXT, "id": activity_uri, "type": "Create", "actor": actor_uri,
            "to": [to], "cc": [], "object": note}  # fmt: skip


def vote(
    activity_uri: str, voter_uri: str, question_uri: str, author: str, option: str
) -> JsonObject:
    """A vote as Mastodon sends it: a Create of a Note named after the option, in reply to the
    Question, to the poll's author only."""
    note = {"id": f"{activity_uri}#vote", "type": "Note", "name": option,
            "attributedTo": voter_uri, "to": [author], "inReplyTo": question_uri}  # fmt: skip
    return {"@context": AS_CONTEXT, "id": activity_uri, "type": "Create", "actor": voter_uri,
            "to": [author], "object": note}  # fmt: skip


def moderators_change(
    activity_uri: str, kind: ModeratorsChange, hub_uri: str, actor_uri: str
) -> JsonObject:
    """Add or Remove on the hub's moderators collection (FEP-1b12), as Lemmy sends them."""
    return {"@context": AS_CONTEXT, "id": activity_uri, "type": kind, "actor": hub_uri,
            "object": actor_uri, "target": f"{hub_uri}/moderators", "to": [PUBLIC],
            "cc": [f"{hub_uri}/followers"]}  # fmt: skip


def announce(activity_uri: str, hub_uri: str, shared: str | JsonObject, published: float,
             author: str | None = None) -> JsonObject:  # fmt: skip
    """A hub re-sharing: `shared` is an object id (a boost, which Mastodon shows) or a whole
    activity (FEP-1b12, for group-aware servers; Mastodon ignores an Announce of an activity)."""
    cc = [f"{hub_uri}/followers"] + ([author] if author else [])
    return {"@context": AS_CONTEXT, "id": activity_uri, "type": "Announce", "actor": hub_uri,
            "object": shared, "to": [PUBLIC], "cc": cc, "published": iso(published)}  # fmt: skip
