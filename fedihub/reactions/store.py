"""SQL for reactions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fedihub.db import Database, Transaction

Kind = Literal["like", "share"]


@dataclass(frozen=True)
class Reactions:
    """Favourites and boosts a post received from elsewhere."""

    likes: int = 0
    shares: int = 0


async def add(
    db: Database, post_id: int, kind: Kind, actor_uri: str, activity_uri: str, now: float
) -> bool:
    """False when the actor had already reacted so: one favourite and one boost each."""
    changed = await db.execute(
        "INSERT INTO reactions (post_id, kind, actor_uri, activity_uri, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (post_id, kind, actor_uri, activity_uri, now),
    )
    return changed > 0


async def remove(db: Database, kind: Kind, actor_uri: str, activity_uri: str) -> bool:
    """Takes back the actor's own reaction, found by the id of the activity that made it."""
    changed = await db.execute(
        "DELETE FROM reactions WHERE kind = ? AND actor_uri = ? AND activity_uri = ?",
        (kind, actor_uri, activity_uri),
    )
    return changed > 0


async def remove_for_post(db: Database, post_id: int, kind: Kind, actor_uri: str) -> bool:
    changed = await db.execute(
        "DELETE FROM reactions WHERE post_id = ? AND kind = ? AND actor_uri = ?",
        (post_id, kind, actor_uri),
    )
    return changed > 0


async def counts(db: Database | Transaction, post_id: int) -> Reactions:
    row = await db.fetchone(
        "SELECT count(*) FILTER (WHERE kind = 'like'), count(*) FILTER (WHERE kind = 'share')"
        " FROM reactions WHERE post_id = ?",
        (post_id,),
    )
    return Reactions(likes=row[0], shares=row[1]) if row else Reactions()
