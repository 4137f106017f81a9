"""SQL for votes on polls and proposals, and for replies to hub posts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from fedihub.db import Database, Transaction
from fedihub.polls.tally import Tally, Vote, count
from fedihub.posts.store import Post, typed_fields

if TYPE_CHECKING:
    from fedihub.posts.kind import KindName


# A poll's fields and a proposal's are stored in one shape (fedihub/kinds/poll.py, proposal.py),
# so votes, tallies and closing read both alike.
@dataclass(frozen=True)
class QuestionFields:
    options: tuple[str, ...]
    multiple: bool = False
    members_only: bool = False
    quorum: int | None = None
    questions_choice: int | None = None  # the option that asks a voter for their questions
    outcome: str | None = None  # a proposal's, recorded by the facilitator (polls.tally.OUTCOMES)

    def to_json(self) -> dict[str, Any]:
        return {
            "options": list(self.options),
            "multiple": self.multiple,
            "members_only": self.members_only,
            "quorum": self.quorum,
            "questions_choice": self.questions_choice,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            options=tuple(data["options"]),
            multiple=bool(data.get("multiple")),
            members_only=bool(data.get("members_only")),
            quorum=data.get("quorum"),
            questions_choice=data.get("questions_choice"),
            outcome=data.get("outcome"),
        )


def question_fields(post: Post) -> QuestionFields:
    """The fields of a post people vote in (a poll or a proposal)."""
    return typed_fields(post, QuestionFields.from_json)


async def votes(
    db: Database | Transaction, post_id: int, actor_uri: str | None = None
) -> list[Vote]:
    """Every vote on a post, or (`actor_uri`) one voter's."""
    rows = await db.fetchall(
        "SELECT actor_uri, choice, counted, reason FROM poll_votes WHERE post_id = ?"
        " AND (CAST(? AS TEXT) IS NULL OR actor_uri = ?) ORDER BY voted_at, seq",
        (post_id, actor_uri, actor_uri),
    )
    return [Vote(r["actor_uri"], r["choice"], bool(r["counted"]), r["reason"]) for r in rows]


async def choices_of(tx: Transaction, post_id: int, actor_uri: str) -> set[int]:
    return {v.choice for v in await votes(tx, post_id, actor_uri)}


async def add_vote(
    tx: Transaction,
    post_id: int,
    actor_uri: str,
    choice: int,
    *,
    vote_uri: str | None,
    counted: bool,
    reason: str,
    now: float,
) -> bool:
    """False when this actor already chose this option (a repeated vote changes nothing). seq
    orders votes within the poll: the caller holds the post's lock (posts.lock_post)."""
    changed = await tx.execute(
        "INSERT INTO poll_votes (post_id, actor_uri, choice, vote_uri, counted, reason, voted_at,"
        " seq) VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM poll_votes))"
        " ON CONFLICT DO NOTHING",
        (post_id, actor_uri, choice, vote_uri, int(counted), reason, now),
    )
    return changed > 0


async def replace_response(
    tx: Transaction,
    post_id: int,
    actor_uri: str,
    choice: int,
    counted: bool,
    reason: str,
    now: float,
) -> None:
    """A proposal response can change until it closes: the newest one stands."""
    await tx.execute(
        "DELETE FROM poll_votes WHERE post_id = ? AND actor_uri = ?", (post_id, actor_uri)
    )
    await add_vote(tx, post_id, actor_uri, choice, vote_uri=None, counted=counted, reason=reason,
                   now=now)  # fmt: skip


async def set_reason(tx: Transaction, post_id: int, actor_uri: str, reason: str) -> bool:
    """A remote voter's reply under a proposal becomes the reason for their response."""
    return bool(
        await tx.execute(
            "UPDATE poll_votes SET reason = ? WHERE post_id = ? AND actor_uri = ? AND reason = ''",
            (reason, post_id, actor_uri),
        )
    )


async def voter_uris(db: Database, post_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT DISTINCT actor_uri FROM poll_votes WHERE post_id = ?", (post_id,)
    )
    return [row[0] for row in rows]


async def save_reply(
    tx: Transaction, post_id: int, actor_uri: str, obj: dict[str, Any], now: float
) -> bool:
    return bool(
        await tx.execute(
            "INSERT INTO replies (uri, post_id, actor_uri, document, received_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING",
            (obj["id"], post_id, actor_uri, json.dumps(obj), now),
        )
    )


async def delete_reply(db: Database, uri: str, actor_uri: str, now: float) -> bool:
    """Its author deleted a reply: it leaves the thread (only its author can do that)."""
    return bool(
        await db.execute(
            "UPDATE replies SET deleted_at = ? WHERE uri = ? AND actor_uri = ?"
            " AND deleted_at IS NULL",
            (now, uri, actor_uri),
        )
    )


async def replies(db: Database, post_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT document FROM replies WHERE post_id = ? AND deleted_at IS NULL"
        " ORDER BY received_at LIMIT ?",
        (post_id, limit),
    )
    return [json.loads(row[0]) for row in rows]


async def questions_due_to_close(
    db: Database, now: float, questions: tuple[KindName, ...]
) -> list[int]:
    """Posts of the `questions` kinds whose time is up and whose result has not gone out."""
    rows = await db.fetchall(
        f"SELECT id FROM posts WHERE kind IN ({','.join('?' * len(questions))})"
        " AND closed_at IS NULL AND deleted_at IS NULL AND ends_at <= ?",
        (*questions, now),
    )
    return [row[0] for row in rows]


async def mark_closed(tx: Transaction, post_id: int, now: float) -> bool:
    """Closes a poll once (False if it already was); a vote closed early ends now, so `endTime`
    and `closed` tell the truth."""
    changed = await tx.execute(
        "UPDATE posts SET closed_at = ?,"
        " ends_at = CASE WHEN ends_at IS NULL OR ends_at < ? THEN ends_at ELSE ? END"
        " WHERE id = ? AND closed_at IS NULL",
        (now, now, now, post_id),
    )
    return changed > 0


async def set_outcome(tx: Transaction, post_id: int, outcome: str, now: float) -> None:
    """Changes only the outcome, whatever else an edit changed meanwhile (read and written in
    the caller's transaction, so nothing comes between)."""
    row = await tx.fetchone("SELECT fields FROM posts WHERE id = ?", (post_id,))
    if row is None:
        return
    fields = {**json.loads(row[0]), "outcome": outcome}
    await tx.execute(
        "UPDATE posts SET fields = ?, updated_at = ? WHERE id = ?",
        (json.dumps(fields), now, post_id),
    )


async def current_tally(db: Database | Transaction, post: Post) -> Tally:
    fields = question_fields(post)
    return count(fields.options, await votes(db, post.id), fields.quorum)
