"""SQL for the moderation log and the codes of conduct."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.db import Database, Row, Transaction

# The instance's own code of conduct and log scope, beside hubs' (their local_actors ids).
INSTANCE_SCOPE = 0


@dataclass(frozen=True)
class Entry:
    id: int
    hub_id: int | None  # None: the instance's admins acted
    action: str
    target_uri: str
    target_label: str
    clause: str
    reason: str
    by_uri: str
    by_label: str
    report_id: int | None
    created_at: float


_ENTRY = ("id, hub_id, action, target_uri, target_label, clause, reason, by_uri, by_label,"
          " report_id, created_at")  # fmt: skip


def _entry(row: Row) -> Entry:
    return Entry(*(row[i] for i in range(11)))


async def add_entry(tx: Transaction, entry: Entry) -> int:
    """Stores `entry` (its id ignored); returns the id it was given."""
    row = await tx.fetchone(
        "INSERT INTO moderation_log (hub_id, action, target_uri, target_label, clause, reason,"
        " by_uri, by_label, report_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (entry.hub_id, entry.action, entry.target_uri, entry.target_label, entry.clause,
         entry.reason, entry.by_uri, entry.by_label, entry.report_id, entry.created_at),
    )  # fmt: skip
    assert row is not None
    return int(row[0])


async def entries(
    db: Database, hub_id: int | None, *, everywhere: bool, before: int | None, limit: int
) -> list[Entry]:
    """Newest first. `everywhere`: the instance's and every hub's; otherwise one scope (a hub,
    or None for the instance's own). `before`: only ids below it (the next page)."""
    where = ["id < ?"] if before is not None else []
    params: list[object] = [before] if before is not None else []
    if not everywhere:
        where.append("hub_id IS NULL" if hub_id is None else "hub_id = ?")
        params += [] if hub_id is None else [hub_id]
    sql = f"SELECT {_ENTRY} FROM moderation_log"
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    rows = await db.fetchall(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    return [_entry(r) for r in rows]


async def entry(db: Database, entry_id: int) -> Entry | None:
    row = await db.fetchone(f"SELECT {_ENTRY} FROM moderation_log WHERE id = ?", (entry_id,))
    return _entry(row) if row else None


@dataclass(frozen=True)
class Code:
    scope: int
    version: int
    text: str
    created_at: float
    created_by: str


async def current_code(db: Database | Transaction, scope: int) -> Code | None:
    row = await db.fetchone(
        "SELECT scope, version, text, created_at, created_by FROM conduct_codes WHERE scope = ?"
        " ORDER BY version DESC LIMIT 1",
        (scope,),
    )
    return Code(row[0], row[1], row[2], row[3], row[4]) if row else None


async def code_version(db: Database, scope: int, version: int) -> Code | None:
    row = await db.fetchone(
        "SELECT scope, version, text, created_at, created_by FROM conduct_codes"
        " WHERE scope = ? AND version = ?",
        (scope, version),
    )
    return Code(row[0], row[1], row[2], row[3], row[4]) if row else None


async def add_code(tx: Transaction, scope: int, text: str, by: str, now: float) -> int:
    """Stores a new version of a scope's code; returns its version number. Callers lock the
    scope's actor first (actors.store.lock_actor), so two editors get 2 and 3, not 2 twice."""
    row = await tx.fetchone(
        "SELECT coalesce(max(version), 0) + 1 FROM conduct_codes WHERE scope = ?", (scope,)
    )
    version = int(row[0]) if row else 1
    await tx.execute(
        "INSERT INTO conduct_codes (scope, version, text, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?)",
        (scope, version, text, now, by),
    )
    return version


async def accept(db: Database, actor_uri: str, scope: int, version: int, now: float) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO conduct_acceptances (actor_uri, scope, version, accepted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (actor_uri, scope, version, now),
        )


async def accepted_version(db: Database, actor_uri: str, scope: int) -> int | None:
    """The latest version of a scope's code this actor accepted, if any."""
    row = await db.fetchone(
        "SELECT max(version) FROM conduct_acceptances WHERE actor_uri = ? AND scope = ?",
        (actor_uri, scope),
    )
    return int(row[0]) if row and row[0] is not None else None


async def add_notice(
    tx: Transaction, note_uri: str, entry_id: int, actor_uri: str, now: float
) -> None:
    await tx.execute(
        "INSERT INTO moderation_notices (note_uri, entry_id, actor_uri, sent_at)"
        " VALUES (?, ?, ?, ?)",
        (note_uri, entry_id, actor_uri, now),
    )


async def entry_noticed(db: Database, note_uri: str, actor_uri: str) -> int | None:
    """The log entry a notice sent to `actor_uri` told them of, if `note_uri` is one."""
    row = await db.fetchone(
        "SELECT entry_id FROM moderation_notices WHERE note_uri = ? AND actor_uri = ?",
        (note_uri, actor_uri),
    )
    return int(row[0]) if row else None


async def code_history(db: Database, scope: int) -> list[Code]:
    """Every version of a scope's code, newest first (texts too: codes are short)."""
    rows = await db.fetchall(
        "SELECT scope, version, text, created_at, created_by FROM conduct_codes WHERE scope = ?"
        " ORDER BY version DESC",
        (scope,),
    )
    return [Code(r[0], r[1], r[2], r[3], r[4]) for r in rows]
