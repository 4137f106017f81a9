"""The activities that tell another server of a ban. Pure: ids and times come in.

Lemmy federates a ban from a community as `Block` (actor: a moderator, object: the person,
target: the community; `summary` the reason, `expires` when it ends, `removeData`), addressed
publicly, and lifts it with `Undo` embedding that whole Block (lemmy's
crates/apub/src/protocol/activities/block/block_user.rs and undo_block_user.rs). Mastodon reads
no Block about groups: what stops its follow is the `Reject` of the Follow it sent."""

from __future__ import annotations

from fedihub.activitystreams import AS_CONTEXT, PUBLIC, JsonObject, iso


def block(
    activity_uri: str, moderator: str, person: str, hub: str, reason: str, expires: float | None
) -> JsonObject:
    found: JsonObject = {
        "@context": AS_CONTEXT,
        "id": activity_uri,
        "type": "Block",
        "actor": moderator,
        "to": [PUBLIC],
        "cc": [person, hub],
        "object": person,
        "target": hub,
        "summary": reason,
        "removeData": False,
    }
    if expires is not None:
        found["expires"] = iso(expires)
    return found


def undo_block(activity_uri: str, moderator: str, blocked: JsonObject) -> JsonObject:
    """Lemmy reads the whole Block inside the Undo, not only its id."""
    inner = {k: v for k, v in blocked.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": activity_uri, "type": "Undo", "actor": moderator,
            "to": [PUBLIC], "cc": inner.get("cc", []), "object": inner}  # fmt: skip
