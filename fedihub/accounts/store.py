"""SQL for accounts and what the web keeps about them (sessions, failed sign-ins, reset links,
invitations), and for the instance's own settings and counts.

Secrets are stored as hashes only: the callers hash them (see accounts/sessions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fedihub.actors import store as actors
from fedihub.db import Database, Transaction

if TYPE_CHECKING:  # the model is the protocol layer's; a store only passes it on
    from fedihub.actors.model import LocalActor


@dataclass(frozen=True)
class Suspension:
    """Why an account was suspended: what its sign-in page says, with the way to appeal."""

    at: float
    reason: str
    clause: str
    entry_id: int | None  # the log entry, which the appeal answers


@dataclass(frozen=True)
class Account:
    actor: LocalActor
    is_admin: bool
    suspension: Suspension | None = None  # None: in good standing


@dataclass(frozen=True)
class AccountListing:
    username: str
    is_admin: bool
    created_at: float


@dataclass(frozen=True)
class Usage:
    users: int
    hubs: int
    local_posts: int


# Accounts


async def insert_account(
    tx: Transaction, actor_id: int, password_hash: str, *, is_admin: bool
) -> None:
    await tx.execute(
        "INSERT INTO accounts (actor_id, password_hash, is_admin) VALUES (?, ?, ?)",
        (actor_id, password_hash, int(is_admin)),
    )


async def get_account(db: Database, username: str) -> Account | None:
    actor = await actors.get_actor(db, "person", username)
    if actor is None:
        return None
    row = await db.fetchone(
        "SELECT is_admin, suspended_at, suspended_reason, suspended_clause, suspended_entry"
        " FROM accounts WHERE actor_id = ?",
        (actor.id,),
    )
    if row is None:
        return None
    suspension = None if row[1] is None else Suspension(row[1], row[2], row[3], row[4])
    return Account(actor=actor, is_admin=bool(row["is_admin"]), suspension=suspension)


async def password_hash(db: Database, actor_id: int) -> str | None:
    found = await db.fetchval("SELECT password_hash FROM accounts WHERE actor_id = ?", (actor_id,))
    return None if found is None else str(found)


async def set_password_hash(db: Database, actor_id: int, hashed: str) -> None:
    await db.execute("UPDATE accounts SET password_hash = ? WHERE actor_id = ?", (hashed, actor_id))


async def list_accounts(db: Database) -> list[AccountListing]:
    rows = await db.fetchall(
        "SELECT a.username, c.is_admin, a.created_at FROM accounts c"
        " JOIN local_actors a ON a.id = c.actor_id ORDER BY a.created_at"
    )
    return [AccountListing(r[0], bool(r[1]), r[2]) for r in rows]


async def usage(db: Database) -> Usage:
    """What NodeInfo reports: accounts, hubs, and posts not deleted."""
    row = await db.fetchone(
        "SELECT (SELECT count(*) FROM accounts) AS users,"
        " (SELECT count(*) FROM local_actors WHERE kind = 'group') AS hubs,"
        " (SELECT count(*) FROM posts WHERE deleted_at IS NULL) AS posts"
    )
    assert row is not None  # an aggregate always has a row
    return Usage(users=row["users"], hubs=row["hubs"], local_posts=row["posts"])


# Sessions


async def insert_session(
    db: Database,
    id_hash: str,
    account_id: int | None,
    csrf_token: str,
    *,
    created_at: float,
    expires_at: float,
) -> None:
    await db.execute(
        "INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (id_hash, account_id, csrf_token, created_at, expires_at),
    )


async def live_session(db: Database, id_hash: str, now: float) -> tuple[int | None, str] | None:
    """(account id, CSRF token) of a session that has not expired."""
    row = await db.fetchone(
        "SELECT account_id, csrf_token FROM web_sessions WHERE id_hash = ? AND expires_at > ?",
        (id_hash, now),
    )
    return (row["account_id"], row["csrf_token"]) if row else None


async def delete_session(db: Database, id_hash: str) -> None:
    await db.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,))


async def delete_sessions_of(db: Database, account_id: int) -> None:
    await db.execute("DELETE FROM web_sessions WHERE account_id = ?", (account_id,))


# Failed sign-ins


async def failures_since(db: Database, key: str, since: float) -> list[float]:
    """When sign-ins under `key` failed after `since`, oldest first."""
    rows = await db.fetchall(
        "SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at", (key, since)
    )
    return [r["at"] for r in rows]


async def insert_failures(
    db: Database, keys: list[str], at: float, *, forget_before: float
) -> None:
    """Records a failure under each key, dropping those too old to count any more."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sign_in_failures WHERE at < ?", (forget_before,))
        await tx.executemany(
            "INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", [(k, at) for k in keys]
        )


async def delete_failures(db: Database, keys: list[str], at: float) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "DELETE FROM sign_in_failures WHERE key = ? AND at = ?", [(k, at) for k in keys]
        )


# Password reset links and invitations


async def insert_reset(db: Database, token_hash: str, account_id: int, expires_at: float) -> None:
    await db.execute(
        "INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
        (token_hash, account_id, expires_at),
    )


async def reset_account_id(db: Database, token_hash: str, now: float) -> int | None:
    """The account a reset link is for, while it is unused and unexpired."""
    row = await db.fetchone(
        "SELECT account_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (token_hash, now),
    )
    return int(row[0]) if row else None


async def mark_reset_used(db: Database, token_hash: str, now: float) -> bool:
    """False when it was used already: a link works once."""
    changed = await db.execute(
        "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        (now, token_hash),
    )
    return changed > 0


async def insert_invitation(
    db: Database, code_hash: str, uses: int, *, expires_at: float, created_at: float
) -> None:
    await db.execute(
        "INSERT INTO invitations (code_hash, uses_left, expires_at, created_at) VALUES (?,?,?,?)",
        (code_hash, uses, expires_at, created_at),
    )


async def take_invitation_use(db: Database, code_hash: str, now: float) -> bool:
    """Spends one use of an unexpired invitation; False when none is left."""
    changed = await db.execute(
        "UPDATE invitations SET uses_left = uses_left - 1 WHERE code_hash = ? AND uses_left > 0"
        " AND expires_at > ?",
        (code_hash, now),
    )
    return changed > 0


# Instance settings (what an admin changed in the browser)


async def instance_settings(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT key, value FROM instance_settings")
    return {r["key"]: r["value"] for r in rows}


async def save_instance_settings(db: Database, values: dict[str, str]) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO instance_settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
