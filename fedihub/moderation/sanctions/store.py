"""SQL for bans from hubs, suspended accounts and what the log says of one person. (Whether
someone is banned, which hubs must know to keep them out, is groups.store.banned.)"""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.db import Database, Transaction


@dataclass(frozen=True)
class Ban:
    hub_id: int
    actor_uri: str
    reason: str
    clause: str
    by_uri: str
    entry_id: int | None
    block_uri: str | None
    created_at: float
    expires_at: float | None


_BAN = ("hub_id, actor_uri, reason, clause, by_uri, entry_id, block_uri, created_at,"
        " expires_at")  # fmt: skip


async def save_ban(tx: Transaction, ban: Ban) -> None:
    """A new ban, or a new one over an expired one."""
    await tx.execute(
        f"INSERT INTO hub_bans ({_BAN}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (hub_id, actor_uri) DO UPDATE SET reason = excluded.reason,"
        " clause = excluded.clause, by_uri = excluded.by_uri, entry_id = excluded.entry_id,"
        " block_uri = excluded.block_uri, created_at = excluded.created_at,"
        " expires_at = excluded.expires_at",
        (ban.hub_id, ban.actor_uri, ban.reason, ban.clause, ban.by_uri, ban.entry_id,
         ban.block_uri, ban.created_at, ban.expires_at),
    )  # fmt: skip


async def ban_of(db: Database | Transaction, hub_id: int, actor_uri: str) -> Ban | None:
    """The ban row, expired or not (see groups.store.banned for whether it holds)."""
    row = await db.fetchone(
        f"SELECT {_BAN} FROM hub_bans WHERE hub_id = ? AND actor_uri = ?", (hub_id, actor_uri)
    )
    return Ban(*(row[i] for i in range(9))) if row else None


async def delete_ban(tx: Transaction, hub_id: int, actor_uri: str) -> Ban | None:
    row = await tx.fetchone(
        f"DELETE FROM hub_bans WHERE hub_id = ? AND actor_uri = ? RETURNING {_BAN}",
        (hub_id, actor_uri),
    )
    return Ban(*(row[i] for i in range(9))) if row else None


async def drop_queued(tx: Transaction, hub_id: int, actor_uri: str) -> int:
    """A banned person's posts waiting for the hub's moderators are not theirs to approve."""
    return await tx.execute(
        "UPDATE moderation_queue SET state = 'withdrawn' WHERE hub_id = ? AND actor_uri = ?"
        " AND state = 'pending'",
        (hub_id, actor_uri),
    )


@dataclass(frozen=True)
class Past:
    """One earlier action about a person, for their standing on a moderator's page."""

    id: int
    action: str
    clause: str
    reason: str
    by_label: str
    created_at: float


async def history(db: Database, hub_id: int | None, actor_uri: str, limit: int = 20) -> list[Past]:
    """What the log holds about `actor_uri` in one scope (a hub, or None: the instance's),
    newest first."""
    scope = "hub_id IS NULL" if hub_id is None else "hub_id = ?"
    params: tuple[object, ...] = (actor_uri,) if hub_id is None else (actor_uri, hub_id)
    rows = await db.fetchall(
        "SELECT id, action, clause, reason, by_label, created_at FROM moderation_log"
        f" WHERE target_uri = ? AND {scope} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
    return [Past(*(r[i] for i in range(6))) for r in rows]


async def suspend(
    tx: Transaction, actor_id: int, reason: str, clause: str, entry_id: int, now: float
) -> bool:
    """False if the account was suspended already (nothing changes)."""
    changed = await tx.execute(
        "UPDATE accounts SET suspended_at = ?, suspended_reason = ?, suspended_clause = ?,"
        " suspended_entry = ? WHERE actor_id = ? AND suspended_at IS NULL",
        (now, reason, clause, entry_id, actor_id),
    )
    return changed > 0


async def unsuspend(tx: Transaction, actor_id: int) -> bool:
    changed = await tx.execute(
        "UPDATE accounts SET suspended_at = NULL, suspended_reason = '', suspended_clause = '',"
        " suspended_entry = NULL WHERE actor_id = ? AND suspended_at IS NOT NULL",
        (actor_id,),
    )
    return changed > 0


async def recent_in_hub(db: Database, hub_id: int, actor_uri: str, limit: int = 5) -> list[str]:
    """The documents (JSON) of the latest posts of `actor_uri` the hub carried."""
    rows = await db.fetchall(
        "SELECT o.document FROM reshares r JOIN received_objects o ON o.uri = r.object_uri"
        " WHERE r.hub_id = ? AND r.author_uri = ? AND o.deleted_at IS NULL"
        " ORDER BY r.created_at DESC LIMIT ?",
        (hub_id, actor_uri, limit),
    )
    return [str(r[0]) for r in rows]
