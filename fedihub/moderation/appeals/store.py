"""SQL for appeals: one per log entry, and its decision."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from fedihub.db import Database, Row, Transaction

Decision = Literal["upheld", "overturned"]


@dataclass(frozen=True)
class Appeal:
    id: int
    entry_id: int
    appellant_uri: str
    text: str
    note_uri: str | None  # the reply that carried it (from another server), else None
    received_at: float
    decided_at: float | None
    decided_by_label: str | None
    decision: Decision | None
    decision_note: str


_COLUMNS = ("id, entry_id, appellant_uri, text, note_uri, received_at, decided_at,"
            " decided_by_label, decision, decision_note")  # fmt: skip


def _appeal(row: Row) -> Appeal:
    return Appeal(*(row[i] for i in range(10)))


async def add(
    tx: Transaction, entry_id: int, appellant_uri: str, text: str, note_uri: str | None, now: float
) -> int | None:
    """The appeal's id; None if that entry was appealed already (one appeal per action)."""
    row = await tx.fetchone(
        "INSERT INTO appeals (entry_id, appellant_uri, text, note_uri, received_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING RETURNING id",
        (entry_id, appellant_uri, text, note_uri, now),
    )
    return int(row[0]) if row else None


async def of_entry(db: Database | Transaction, entry_id: int) -> Appeal | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM appeals WHERE entry_id = ?", (entry_id,))
    return _appeal(row) if row else None


async def by_id(db: Database | Transaction, appeal_id: int) -> Appeal | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM appeals WHERE id = ?", (appeal_id,))
    return _appeal(row) if row else None


async def open_appeals(db: Database, hub_id: int | None, limit: int) -> list[Appeal]:
    """Appeals waiting for a decision against actions taken in one scope (a hub; None: the
    instance's admins), oldest first."""
    scope = "m.hub_id IS NULL" if hub_id is None else "m.hub_id = ?"
    columns = ", ".join(f"a.{c.strip()}" for c in _COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT {columns} FROM appeals a JOIN moderation_log m ON m.id = a.entry_id"
        f" WHERE a.decided_at IS NULL AND {scope} ORDER BY a.id LIMIT ?",
        ((hub_id, limit) if hub_id is not None else (limit,)),
    )
    return [_appeal(r) for r in rows]


async def decide(
    tx: Transaction,
    appeal_id: int,
    decision: Decision,
    by_uri: str,
    by_label: str,
    note: str,
    decision_entry_id: int,
    now: float,
) -> bool:
    """Records the decision; False if the appeal was decided already (by someone quicker)."""
    changed = await tx.execute(
        "UPDATE appeals SET decided_at = ?, decided_by_uri = ?, decided_by_label = ?,"
        " decision = ?, decision_note = ?, decision_entry_id = ?"
        " WHERE id = ? AND decided_at IS NULL",
        (now, by_uri, by_label, decision, note, decision_entry_id, appeal_id),
    )
    return changed == 1


async def undone_since(
    db: Database, hub_id: int | None, target_uri: str, actions: Collection[str], after_id: int
) -> bool:
    """Whether the same scope logged one of `actions` (an unban, say) on that target after
    entry `after_id`: an action since undone has nothing left to appeal."""
    if not actions:
        return False
    scope = "hub_id IS NULL" if hub_id is None else "hub_id = ?"
    marks = ", ".join("?" for _ in actions)
    row = await db.fetchone(
        f"SELECT 1 FROM moderation_log WHERE {scope} AND target_uri = ? AND id > ?"
        f" AND action IN ({marks}) LIMIT 1",
        (*([] if hub_id is None else [hub_id]), target_uri, after_id, *actions),
    )
    return row is not None


async def is_notice(db: Database, note_uri: str) -> bool:
    """Whether `note_uri` is a notice we sent someone about an action (to whomever)."""
    row = await db.fetchone("SELECT 1 FROM moderation_notices WHERE note_uri = ?", (note_uri,))
    return row is not None
