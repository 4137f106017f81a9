"""SQL for event participation."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fedihub.db import Database, Transaction


@dataclass(frozen=True)
class Attendance:
    """How many are going to an event, and how many wait for a place."""

    going: int = 0
    waitlisted: int = 0


@dataclass(frozen=True)
class Participant:
    actor_uri: str
    join_activity_uri: str
    state: str
    message: str
    joined_at: float


async def attendance(db: Database | Transaction, post_id: int) -> Attendance:
    return (await attendance_of(db, [post_id]))[post_id]


async def attendance_of(db: Database | Transaction, post_ids: list[int]) -> dict[int, Attendance]:
    """How many are going and waiting, for each post, in one query (a page lists many)."""
    if not post_ids:
        return {}
    marks = ",".join("?" * len(post_ids))
    rows = await db.fetchall(
        f"SELECT post_id, count(*) FILTER (WHERE state = 'going'),"
        f" count(*) FILTER (WHERE state = 'waitlisted')"
        f" FROM event_participants WHERE post_id IN ({marks}) GROUP BY post_id",
        post_ids,
    )
    found = {row[0]: Attendance(going=row[1], waitlisted=row[2]) for row in rows}
    return {post_id: found.get(post_id, Attendance()) for post_id in post_ids}


async def participant(
    db: Database | Transaction, post_id: int, actor_uri: str
) -> Participant | None:
    row = await db.fetchone(
        "SELECT actor_uri, join_activity_uri, state, message, joined_at FROM event_participants"
        " WHERE post_id = ? AND actor_uri = ?",
        (post_id, actor_uri),
    )
    return Participant(*row) if row else None


async def add_participant(tx: Transaction, post_id: int, p: Participant) -> None:
    """seq orders arrivals within the post: the caller holds the post's lock (posts.lock_post),
    so max(seq) + 1 is read after the post's earlier arrivals are committed."""
    await tx.execute(
        "INSERT INTO event_participants (post_id, actor_uri, join_activity_uri, state, message,"
        " joined_at, seq) VALUES (?, ?, ?, ?, ?, ?,"
        " (SELECT coalesce(max(seq), 0) + 1 FROM event_participants))",
        (post_id, p.actor_uri, p.join_activity_uri, p.state, p.message, p.joined_at),
    )


async def remove_participant(tx: Transaction, post_id: int, actor_uri: str) -> None:
    await tx.execute(
        "DELETE FROM event_participants WHERE post_id = ? AND actor_uri = ?", (post_id, actor_uri)
    )


async def first_waitlisted(tx: Transaction, post_id: int, places: int) -> list[Participant]:
    rows = await tx.fetchall(
        "SELECT actor_uri, join_activity_uri, state, message, joined_at FROM event_participants"
        " WHERE post_id = ? AND state = 'waitlisted' ORDER BY joined_at, seq LIMIT ?",
        (post_id, places),
    )
    return [Participant(*row) for row in rows]


async def set_going(tx: Transaction, post_id: int, actor_uri: str) -> None:
    await tx.execute(
        "UPDATE event_participants SET state = 'going' WHERE post_id = ? AND actor_uri = ?",
        (post_id, actor_uri),
    )


async def participants(db: Database | Transaction, post_id: int) -> list[Participant]:
    rows = await db.fetchall(
        "SELECT actor_uri, join_activity_uri, state, message, joined_at FROM event_participants"
        " WHERE post_id = ? ORDER BY state, joined_at, seq",
        (post_id,),
    )
    return [Participant(*row) for row in rows]


@dataclass(frozen=True)
class KnownParticipant:
    """A participant with what this instance cached of them, when it did (remote actors)."""

    participant: Participant
    preferred_username: str | None
    host: str | None
    name: str | None


async def participants_known(db: Database | Transaction, post_id: int) -> list[KnownParticipant]:
    """Participants, in the order `participants` gives, each with their cached actor's
    username, host and name (None for actors never fetched, and for accounts here)."""
    rows = await db.fetchall(
        "SELECT p.actor_uri, p.join_activity_uri, p.state, p.message, p.joined_at,"
        " r.preferred_username, r.host, r.document FROM event_participants p"
        " LEFT JOIN remote_actors r ON r.uri = p.actor_uri"
        " WHERE p.post_id = ? ORDER BY p.state, p.joined_at, p.seq",
        (post_id,),
    )
    return [
        KnownParticipant(Participant(*(row[i] for i in range(5))), row[5], row[6], _name(row[7]))
        for row in rows
    ]


def _name(document: str | None) -> str | None:
    """The `name` an actor's cached document gives, if it is text."""
    try:
        name = json.loads(document).get("name") if document else None
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None
