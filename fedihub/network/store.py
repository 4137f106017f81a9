"""SQL for received objects. Callers store them already sanitised (content.sanitize_incoming)."""

from __future__ import annotations

import json
import time

from fedihub.db import Database, Transaction


async def save(db: Database, actor_uri: str, obj: dict) -> None:
    """Keeps a new object; an id we already hold (or hold a tombstone for) is left as it is."""
    await db.execute(
        "INSERT INTO received_objects (uri, actor_uri, type, document, received_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING",
        (obj["id"], actor_uri, str(obj.get("type", "")), json.dumps(obj), time.time()),
    )


async def update(db: Database, actor_uri: str, obj: dict) -> bool:
    """Replaces an object we hold, if `actor_uri` sent it and it is not deleted."""
    return bool(
        await db.execute(
            "UPDATE received_objects SET document = ?, updated_at = ?"
            " WHERE uri = ? AND actor_uri = ? AND deleted_at IS NULL",
            (json.dumps(obj), time.time(), obj.get("id"), actor_uri),
        )
    )


async def tombstone(db: Database, actor_uri: str, object_id: str) -> bool:
    """Marks an object deleted. A Delete that overtakes its Create leaves a tombstone the Create
    cannot revive; nobody but the object's sender can delete it."""
    now = time.time()
    return bool(
        await db.execute(
            "INSERT INTO received_objects (uri, actor_uri, type, document, received_at,"
            " deleted_at) VALUES (?, ?, 'Tombstone', ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET"
            " document = excluded.document, deleted_at = excluded.deleted_at"
            " WHERE received_objects.actor_uri = excluded.actor_uri",
            (object_id, actor_uri, json.dumps({"id": object_id, "type": "Tombstone"}), now, now),
        )
    )


async def delete_all_from(tx: Transaction, actor_uri: str) -> None:
    """The sender's account was deleted: so is everything it sent us."""
    await tx.execute(
        "UPDATE received_objects SET deleted_at = ? WHERE actor_uri = ? AND deleted_at IS NULL",
        (time.time(), actor_uri),
    )
