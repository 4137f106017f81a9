"""SQL for hub membership, re-shares and the moderation queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from fedihub.activitystreams import same_server_like
from fedihub.actors import store as actors
from fedihub.db import Database, Transaction
from fedihub.dialects import json_member

Role = Literal["admin", "moderator", "member"]
MemberState = Literal["pending", "invited", "member"]  # asked to join, asked by the hub, in


@dataclass(frozen=True)
class Member:
    actor_uri: str
    role: Role
    state: MemberState
    join_activity_uri: str | None


async def member(db: Database | Transaction, hub_id: int, actor_uri: str) -> Member | None:
    row = await db.fetchone(
        "SELECT actor_uri, role, state, join_activity_uri FROM hub_members"
        " WHERE hub_id = ? AND actor_uri = ?",
        (hub_id, actor_uri),
    )
    return Member(*row) if row else None


async def save_member(
    tx: Transaction,
    hub_id: int,
    actor_uri: str,
    *,
    state: str,
    now: float,
    role: str | None = None,
    join_activity_uri: str | None = None,
) -> None:
    """Adds or updates a membership; a role already granted stays unless one is given."""
    await tx.execute(
        "INSERT INTO hub_members (hub_id, actor_uri, role, state, join_activity_uri, created_at)"
        " VALUES (?, ?, coalesce(?, 'member'), ?, ?, ?) ON CONFLICT (hub_id, actor_uri) DO UPDATE"
        " SET state = excluded.state, role = coalesce(?, hub_members.role),"
        " join_activity_uri = coalesce(excluded.join_activity_uri, hub_members.join_activity_uri)",
        (hub_id, actor_uri, role, state, join_activity_uri, now, role),
    )


async def remove_member(tx: Transaction, hub_id: int, actor_uri: str) -> Member | None:
    row = await tx.fetchone(
        "DELETE FROM hub_members WHERE hub_id = ? AND actor_uri = ?"
        " RETURNING actor_uri, role, state, join_activity_uri",
        (hub_id, actor_uri),
    )
    return Member(*row) if row else None


async def banned(db: Database | Transaction, hub_id: int, actor_uri: str, now: float) -> bool:
    """Whether the hub's moderators banned this actor (and the ban has not expired). The bans
    themselves are moderation's (moderation/sanctions); a hub only has to keep them out."""
    row = await db.fetchone(
        "SELECT 1 FROM hub_bans WHERE hub_id = ? AND actor_uri = ?"
        " AND (expires_at IS NULL OR expires_at > ?)",
        (hub_id, actor_uri, now),
    )
    return row is not None


async def members(db: Database, hub_id: int, state: str | None = None) -> list[Member]:
    rows = await db.fetchall(
        "SELECT actor_uri, role, state, join_activity_uri FROM hub_members WHERE hub_id = ?"
        " AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY role, created_at",
        (hub_id, state, state),
    )
    return [Member(*row) for row in rows]


async def moderator_uris(db: Database, hub_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT actor_uri FROM hub_members WHERE hub_id = ? AND state = 'member'"
        " AND role IN ('admin', 'moderator') ORDER BY created_at",
        (hub_id,),
    )
    return [row[0] for row in rows]


async def record_reshare(
    tx: Transaction,
    hub_id: int,
    object_uri: str,
    author_uri: str,
    boost_uri: str | None,
    now: float,
    create_announce_uri: str | None = None,
) -> bool:
    """False if the hub already re-shared this object (or removed it): nothing goes out twice
    or in a loop. Replies are carried without a boost (`boost_uri` None)."""
    changed = await tx.execute(
        "INSERT INTO reshares (hub_id, object_uri, author_uri, is_reply, boost_uri, created_at,"
        " create_announce_uri) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (hub_id, object_uri, author_uri, int(boost_uri is None), boost_uri, now,
         create_announce_uri),
    )  # fmt: skip
    return changed > 0


@dataclass(frozen=True)
class Carried:
    """A post a hub carries (re-shared), with the two Announces it sent of it."""

    object_uri: str
    author_uri: str
    boost_uri: str | None
    create_announce_uri: str | None
    removed_at: float | None


_CARRIED = "object_uri, author_uri, boost_uri, create_announce_uri, removed_at"


async def carried(db: Database | Transaction, hub_id: int, object_uri: str) -> Carried | None:
    row = await db.fetchone(
        f"SELECT {_CARRIED} FROM reshares WHERE hub_id = ? AND object_uri = ?",
        (hub_id, object_uri),
    )
    return Carried(*row) if row else None


async def mark_removed(tx: Transaction, hub_id: int, object_uri: str, now: float) -> Carried | None:
    """Marks a carried post removed and forgets its Announces (they are undone once); the row
    stays, so the post is never carried again. None if not carried here or removed already."""
    found = await carried(tx, hub_id, object_uri)
    if found is None or found.removed_at is not None:
        return None
    changed = await tx.execute(
        "UPDATE reshares SET removed_at = ?, boost_uri = NULL, create_announce_uri = NULL"
        " WHERE hub_id = ? AND object_uri = ? AND removed_at IS NULL",
        (now, hub_id, object_uri),
    )
    # Two removals at once (a moderator here, one elsewhere) on PostgreSQL both read the row
    # before either wrote it: only the one whose UPDATE changed it goes on to undo and log.
    return found if changed else None


async def carried_count(db: Database, hub_id: int, author_uri: str) -> int:
    """How many of an author's posts the hub carries (removed ones not counted)."""
    count: int = await db.fetchval(
        "SELECT count(*) FROM reshares WHERE hub_id = ? AND author_uri = ? AND removed_at IS NULL",
        (hub_id, author_uri),
    )
    return count


async def review_first_posts(db: Database, hub_id: int) -> int:
    """How many of a new remote actor's first posts wait for a moderator in this hub."""
    value = await db.fetchval("SELECT review_first_posts FROM local_actors WHERE id = ?", (hub_id,))
    return int(value or 0)


async def hubs_that_reshared(
    db: Database, object_uri: str, author_uri: str
) -> list[tuple[int, str | None]]:
    """Each hub that re-shared the author's object, with the id of its boost (if any)."""
    rows = await db.fetchall(
        "SELECT hub_id, boost_uri FROM reshares WHERE object_uri = ? AND author_uri = ?",
        (object_uri, author_uri),
    )
    return [(row[0], row[1]) for row in rows]


async def take_boost(tx: Transaction, hub_id: int, object_uri: str) -> str | None:
    """The hub's boost of the object, forgotten as it is taken: it is undone only once."""
    row = await tx.fetchone(
        "SELECT boost_uri FROM reshares WHERE hub_id = ? AND object_uri = ?", (hub_id, object_uri)
    )
    if row is None or row[0] is None:
        return None
    # RETURNING would give the new value (NULL), hence read, then clear.
    await tx.execute(
        "UPDATE reshares SET boost_uri = NULL WHERE hub_id = ? AND object_uri = ?",
        (hub_id, object_uri),
    )
    return str(row[0])


async def hubs_carrying(db: Database, object_uri: str) -> list[int]:
    """Hubs that re-shared an object: a reply to it belongs in their threads too."""
    rows = await db.fetchall("SELECT hub_id FROM reshares WHERE object_uri = ?", (object_uri,))
    return [row[0] for row in rows]


# Strangers (non-members) cannot bury a hub's queue: past this many waiting posts from one
# account, or from one server, their next ones are not queued (they stay in the inbox's record)
# until moderators have decided on some. Members' held posts are always queued.
MAX_WAITING_PER_ACTOR = 20
MAX_WAITING_PER_SERVER = 100


async def queue(
    db: Database, hub_id: int, actor_uri: str, object_uri: str, activity: dict[str, Any],
    reason: str, now: float, *, stranger: bool,
) -> Literal["queued", "already queued", "too many waiting"]:  # fmt: skip
    same_server = same_server_like(actor_uri)
    async with db.transaction() as tx:
        await actors.lock_actor(tx, hub_id)  # the caps hold across processes
        row = await tx.fetchone(
            "SELECT count(*) FILTER (WHERE actor_uri = ?), count(*) FROM moderation_queue"
            " WHERE hub_id = ?"
            " AND state = 'pending' AND lower(actor_uri) LIKE ? ESCAPE '\\'",
            (actor_uri, hub_id, same_server),
        )
        from_actor, from_server = (row[0] or 0, row[1]) if row else (0, 0)
        if stranger and (
            from_actor >= MAX_WAITING_PER_ACTOR or from_server >= MAX_WAITING_PER_SERVER
        ):
            return "too many waiting"
        changed = await tx.execute(
            "INSERT INTO moderation_queue (hub_id, actor_uri, object_uri, activity, reason,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (hub_id, actor_uri, object_uri, json.dumps(activity), reason, now),
        )
    return "queued" if changed else "already queued"


@dataclass(frozen=True)
class Queued:
    id: int
    actor_uri: str
    object_uri: str
    activity: dict[str, Any]
    reason: str
    state: str


async def queued(db: Database, hub_id: int, state: str = "pending") -> list[Queued]:
    rows = await db.fetchall(
        "SELECT id, actor_uri, object_uri, activity, reason, state FROM moderation_queue"
        " WHERE hub_id = ? AND state = ? ORDER BY id",
        (hub_id, state),
    )
    return [Queued(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]


async def queued_item(db: Database, hub_id: int, queued_id: int) -> Queued | None:
    row = await db.fetchone(
        "SELECT id, actor_uri, object_uri, activity, reason, state FROM moderation_queue"
        " WHERE id = ? AND hub_id = ? AND state = 'pending'",
        (queued_id, hub_id),
    )
    return Queued(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5]) if row else None


async def pending_about(db: Database, uri: str) -> list[tuple[int, Queued]]:
    """(hub id, item) for each post waiting anywhere whose object, or whose Create, is `uri`."""
    rows = await db.fetchall(
        "SELECT hub_id, id, actor_uri, object_uri, activity, reason, state FROM moderation_queue"
        " WHERE state = 'pending'"
        f" AND (object_uri = ? OR {json_member(db.dialect, 'activity', 'id')} = ?) ORDER BY id",
        (uri, uri),
    )
    return [(r[0], Queued(r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])) for r in rows]


async def add_queue_notice(
    tx: Transaction, note_uri: str, queue_id: int, actor_uri: str, now: float
) -> None:
    await tx.execute(
        "INSERT INTO queue_notices (note_uri, queue_id, actor_uri, sent_at) VALUES (?, ?, ?, ?)",
        (note_uri, queue_id, actor_uri, now),
    )


async def noticed(db: Database, queue_id: int) -> bool:
    """Whether the hub's remote moderators were already asked about this held post."""
    return bool(await db.fetchval("SELECT 1 FROM queue_notices WHERE queue_id = ?", (queue_id,)))


async def queue_noticed(db: Database, note_uri: str, actor_uri: str) -> tuple[int, int] | None:
    """(hub id, queue item id) a message asking `actor_uri` about a held post was about."""
    row = await db.fetchone(
        "SELECT q.hub_id, q.id FROM queue_notices n JOIN moderation_queue q ON q.id = n.queue_id"
        " WHERE n.note_uri = ? AND n.actor_uri = ?",
        (note_uri, actor_uri),
    )
    return (row[0], row[1]) if row else None


async def withdraw(db: Database, object_uri: str, actor_uri: str) -> bool:
    """Its author deleted a post waiting for moderators: there is nothing left to approve."""
    changed = await db.execute(
        "UPDATE moderation_queue SET state = 'withdrawn' WHERE object_uri = ? AND actor_uri = ?"
        " AND state = 'pending'",
        (object_uri, actor_uri),
    )
    return changed > 0


async def decide(tx: Transaction, hub_id: int, queued_id: int, state: str) -> Queued | None:
    row = await tx.fetchone(
        "UPDATE moderation_queue SET state = ? WHERE id = ? AND hub_id = ? AND state = 'pending'"
        " RETURNING id, actor_uri, object_uri, activity, reason, state",
        (state, queued_id, hub_id),
    )
    return Queued(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5]) if row else None


HUB_SETTINGS = frozenset({"join_policy", "posting_restricted_to_mods", "reshare_policy",
                          "reshare_tags", "languages", "name", "summary", "summary_source",
                          "timezone", "icon", "header",
                          "review_first_posts"})  # fmt: skip


# Lists are stored as text; actors/store.py reads them back the same way.
_STORED_AS = {"languages": " ".join, "reshare_tags": ",".join}


async def set_hub_settings(db: Database, hub_id: int, **settings: object) -> None:
    unknown = set(settings) - HUB_SETTINGS  # names go into the SQL: only known columns
    if unknown:
        raise ValueError(f"not a hub setting: {sorted(unknown)}")
    values = [
        _STORED_AS[name](value) if name in _STORED_AS and isinstance(value, tuple) else value
        for name, value in settings.items()
    ]
    if settings:
        assignments = ", ".join(f"{name} = ?" for name in settings)
        await db.execute(f"UPDATE local_actors SET {assignments} WHERE id = ?", (*values, hub_id))
