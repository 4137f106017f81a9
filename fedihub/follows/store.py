"""SQL for follow relations: `followers` (others following our actors) and `following` (our
actors following others)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from fedihub.db import Database, Transaction

Relation = Literal["followers", "following"]  # the two tables, named by what they list
# As the tables' CHECK constraints allow: a refused follower is deleted, a refused follow kept.
FollowerState = Literal["pending", "accepted"]
FollowingState = Literal["pending", "accepted", "rejected"]


# Others following our actors


async def follower_state(
    db: Database | Transaction, local_id: int, actor_uri: str
) -> FollowerState | None:
    row = await db.fetchone(
        "SELECT state FROM followers WHERE local_actor_id = ? AND actor_uri = ?",
        (local_id, actor_uri),
    )
    return None if row is None else cast(FollowerState, row[0])  # the CHECK constraint's


async def pending_follow_uri(db: Database, local_id: int, actor_uri: str) -> str | None:
    value = await db.fetchval(
        "SELECT follow_activity_uri FROM followers"
        " WHERE local_actor_id = ? AND actor_uri = ? AND state = 'pending'",
        (local_id, actor_uri),
    )
    return None if value is None else str(value)


async def follower_follow_uri(
    db: Database | Transaction, local_id: int, actor_uri: str
) -> str | None:
    """The Follow (its id) by which `actor_uri` follows one of ours, whatever its state."""
    row = await db.fetchone(
        "SELECT follow_activity_uri FROM followers WHERE local_actor_id = ? AND actor_uri = ?",
        (local_id, actor_uri),
    )
    return None if row is None or row[0] is None else str(row[0])


async def save_follower(
    tx: Transaction,
    local_id: int,
    actor_uri: str,
    follow_uri: str,
    state: FollowerState,
    now: float,
) -> None:
    await tx.execute(
        "INSERT INTO followers (local_actor_id, actor_uri, follow_activity_uri, state,"
        " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (local_actor_id, actor_uri)"
        " DO UPDATE SET follow_activity_uri = excluded.follow_activity_uri,"
        " state = excluded.state",
        (local_id, actor_uri, follow_uri, state, now),
    )


async def accept_follower(tx: Transaction, local_id: int, actor_uri: str) -> None:
    await tx.execute(
        "UPDATE followers SET state = 'accepted' WHERE local_actor_id = ? AND actor_uri = ?",
        (local_id, actor_uri),
    )


async def delete_follower(tx: Transaction, local_id: int, actor_uri: str) -> bool:
    return bool(
        await tx.execute(
            "DELETE FROM followers WHERE local_actor_id = ? AND actor_uri = ?",
            (local_id, actor_uri),
        )
    )


async def local_actor_followed_by(db: Database, follow_uri: str) -> int | None:
    """Which of our actors a Follow activity (by its id) was for."""
    value = await db.fetchval(
        "SELECT local_actor_id FROM followers WHERE follow_activity_uri = ?", (follow_uri,)
    )
    return None if value is None else int(value)


async def followers(db: Database, local_id: int, state: FollowerState) -> list[str]:
    rows = await db.fetchall(
        "SELECT actor_uri FROM followers WHERE local_actor_id = ? AND state = ?"
        " ORDER BY created_at, actor_uri",
        (local_id, state),
    )
    return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class FollowerInbox:
    """What fan-out needs of a follower: who it is, and where its deliveries go."""

    uri: str
    delivery_inbox: str


async def accepted_follower_inboxes(db: Database, local_id: int) -> list[FollowerInbox]:
    """Every accepted remote follower, in one query of only what fan-out reads (fan-out's hot
    path: 10,000 followers' whole rows, keys and all, took a post ~0.1 s to read)."""
    rows = await db.fetchall(
        "SELECT r.uri, r.inbox, r.shared_inbox FROM followers f"
        " JOIN remote_actors r ON r.uri = f.actor_uri"
        " WHERE f.local_actor_id = ? AND f.state = 'accepted' ORDER BY f.created_at, f.actor_uri",
        (local_id,),
    )
    return [FollowerInbox(uri, shared or inbox) for uri, inbox, shared in rows]


# Our actors following others


async def save_pending_follow(
    tx: Transaction, local_id: int, target_uri: str, follow_uri: str, now: float
) -> None:
    await tx.execute(
        "INSERT INTO following (local_actor_id, actor_uri, follow_activity_uri, state,"
        " created_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (local_actor_id, actor_uri)"
        " DO UPDATE SET follow_activity_uri = excluded.follow_activity_uri, state = 'pending'",
        (local_id, target_uri, follow_uri, now),
    )


async def follow_uri(db: Database, local_id: int, target_uri: str) -> str | None:
    value = await db.fetchval(
        "SELECT follow_activity_uri FROM following WHERE local_actor_id = ? AND actor_uri = ?",
        (local_id, target_uri),
    )
    return None if value is None else str(value)


async def delete_following(tx: Transaction, local_id: int, target_uri: str) -> None:
    await tx.execute(
        "DELETE FROM following WHERE local_actor_id = ? AND actor_uri = ?", (local_id, target_uri)
    )


async def answer_follow(
    tx: Transaction, follow_uri: str, answered_by: str, state: FollowingState
) -> bool:
    """Records an Accept or Reject; only the followed actor can answer its Follow."""
    return bool(
        await tx.execute(
            "UPDATE following SET state = ? WHERE follow_activity_uri = ? AND actor_uri = ?",
            (state, follow_uri, answered_by),
        )
    )


async def is_followed_here(db: Database, actor_uri: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM following WHERE actor_uri = ? AND state = 'accepted' LIMIT 1", (actor_uri,)
    )
    return row is not None


async def following(db: Database, local_id: int) -> list[tuple[str, str]]:
    """(actor id, state) of everyone one of our actors follows or asked to follow."""
    rows = await db.fetchall(
        "SELECT actor_uri, state FROM following WHERE local_actor_id = ? ORDER BY actor_uri",
        (local_id,),
    )
    return [(r[0], r[1]) for r in rows]


# Either direction, for the public collections


async def accepted_count(db: Database, relation: Relation, local_id: int) -> int:
    return int(
        await db.fetchval(
            f"SELECT count(*) FROM {relation} WHERE local_actor_id = ? AND state = 'accepted'",
            (local_id,),
        )
    )


async def accepted_page(
    db: Database, relation: Relation, local_id: int, limit: int, offset: int
) -> list[str]:
    rows = await db.fetchall(
        f"SELECT actor_uri FROM {relation} WHERE local_actor_id = ? AND state = 'accepted'"
        " ORDER BY created_at DESC, actor_uri LIMIT ? OFFSET ?",
        (local_id, limit, offset),
    )
    return [r[0] for r in rows]


async def forget_actor(tx: Transaction, actor_uri: str) -> None:
    """A remote account was deleted: it follows nobody here, and nobody here follows it."""
    await tx.execute("DELETE FROM followers WHERE actor_uri = ?", (actor_uri,))
    await tx.execute("DELETE FROM following WHERE actor_uri = ?", (actor_uri,))


async def local_actors_following(db: Database, actor_uri: str) -> list[int]:
    rows = await db.fetchall(
        "SELECT local_actor_id FROM following WHERE actor_uri = ? AND state = 'accepted'",
        (actor_uri,),
    )
    return [row[0] for row in rows]
