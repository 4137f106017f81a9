"""SQL for received objects. Callers store them already sanitised (content.sanitize_incoming)."""

from __future__ import annotations

import datetime as dt
import json

from fedihub.activitystreams import JsonObject, id_of
from fedihub.db import Database, Transaction


def _starts_at(obj: JsonObject) -> float | None:
    """An event's start as a timestamp, so dashboards can order what is coming up."""
    value = obj.get("startTime")
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.timestamp()


async def save(db: Database, actor_uri: str, obj: JsonObject, now: float) -> None:
    """Keeps a new object; an id we already hold (or hold a tombstone for) is left as it is."""
    await db.execute(
        "INSERT INTO received_objects (uri, actor_uri, type, document, received_at,"
        " attributed_to, starts_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING",
        (obj["id"], actor_uri, str(obj.get("type", "")), json.dumps(obj), now,
         id_of(obj.get("attributedTo")), _starts_at(obj)),
    )  # fmt: skip


async def document(db: Database, uri: str) -> JsonObject | None:
    """An object we hold, as stored (sanitised), unless deleted."""
    found = await db.fetchval(
        "SELECT document FROM received_objects WHERE uri = ? AND deleted_at IS NULL", (uri,)
    )
    return dict(json.loads(found)) if found is not None else None


async def holder(db: Database, uri: str) -> set[str] | None:
    """Who may change an object we hold: its sender and the group it was published for."""
    row = await db.fetchone(
        "SELECT actor_uri, attributed_to FROM received_objects WHERE uri = ?", (uri,)
    )
    return {v for v in (row["actor_uri"], row["attributed_to"]) if v} if row else None


async def update(db: Database, sender: str, author: str, obj: JsonObject, now: float) -> bool:
    """Replaces an object we hold and that is not deleted, if `sender` sent it or `author` (the
    sender itself, or a group it posts for, checked by inbox/precheck.py) is who it was for."""
    return bool(
        await db.execute(
            "UPDATE received_objects SET document = ?, updated_at = ?, starts_at = ?"
            " WHERE uri = ? AND (actor_uri = ? OR attributed_to = ?) AND deleted_at IS NULL",
            (json.dumps(obj), now, _starts_at(obj), obj.get("id"), sender, author),
        )
    )


async def tombstone(db: Database, actor_uri: str, object_id: str, now: float) -> bool:
    """Marks an object deleted. A Delete that overtakes its Create leaves a tombstone the Create
    cannot revive; nobody but the object's sender can delete it."""
    return bool(
        await db.execute(
            "INSERT INTO received_objects (uri, actor_uri, type, document, received_at,"
            " deleted_at) VALUES (?, ?, 'Tombstone', ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET"
            " document = excluded.document, deleted_at = excluded.deleted_at"
            " WHERE received_objects.actor_uri = excluded.actor_uri"
            " OR received_objects.attributed_to = excluded.actor_uri",
            (object_id, actor_uri, json.dumps({"id": object_id, "type": "Tombstone"}), now, now),
        )
    )


async def forget_boost(db: Database, actor_uri: str, announce_uri: str, now: float) -> bool:
    """A followed group took back its re-share (Undo{Announce}): its boost is forgotten."""
    return bool(
        await db.execute(
            "UPDATE received_objects SET deleted_at = ? WHERE uri = ? AND actor_uri = ?"
            " AND type = 'Announce' AND deleted_at IS NULL",
            (now, announce_uri, actor_uri),
        )
    )


async def delete_all_from(tx: Transaction, actor_uri: str, now: float) -> None:
    """The sender's account was deleted: so is everything it sent us."""
    await tx.execute(
        "UPDATE received_objects SET deleted_at = ? WHERE actor_uri = ? AND deleted_at IS NULL",
        (now, actor_uri),
    )


async def seen_by(db: Database, local_actor_id: int, limit: int) -> list[JsonObject]:
    """What the actors a local hub follows have sent (or sent for a group it follows), and what
    its members posted into it, newest first; deleted objects and boost references left out."""
    return [document for document, _ in await seen_by_dated(db, local_actor_id, limit)]


async def seen_by_dated(
    db: Database, local_actor_id: int, limit: int
) -> list[tuple[JsonObject, float]]:
    """seen_by's objects, each with when it arrived: the hub's feed carries them too."""
    rows = await db.fetchall(
        "SELECT document, received_at FROM received_objects WHERE deleted_at IS NULL"
        " AND type NOT IN ('Announce', 'Tombstone') AND (actor_uri IN"
        " (SELECT actor_uri FROM following WHERE local_actor_id = ? AND state = 'accepted')"
        " OR attributed_to IN"
        " (SELECT actor_uri FROM following WHERE local_actor_id = ? AND state = 'accepted')"
        " OR uri IN (SELECT object_uri FROM reshares WHERE hub_id = ? AND removed_at IS NULL))"
        " AND uri NOT IN (SELECT object_uri FROM reshares WHERE hub_id = ?"
        " AND removed_at IS NOT NULL)"
        " ORDER BY received_at DESC LIMIT ?",
        (local_actor_id, local_actor_id, local_actor_id, local_actor_id, limit),
    )
    return [(json.loads(row["document"]), float(row["received_at"])) for row in rows]
