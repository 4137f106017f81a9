"""Server-side sessions, CSRF tokens, sign-in throttling, one-time reset links, invitations.

The browser holds a random session id in an HttpOnly cookie; the database holds only its hash,
so a copy of the database signs nobody in. Every session, signed in or not, carries a CSRF token
that each form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from fedihub.db import Database

SESSION_DAYS = 30
ANONYMOUS_HOURS = 12
FAILURE_WINDOW_S = 15 * 60
MAX_FAILURES = 5  # per username from one address, in the window
MAX_FAILURES_PER_ADDRESS = 20  # per address, whatever the names (people share addresses)
# Per username, from any address: a guesser who rotates addresses (one IPv6 host can hold
# whole networks of them) is stopped at 20 guesses a window, under 2,000 a day, hopeless
# against any but the commonest passwords. The cost: by failing 20 times under a name, anyone
# can keep its owner from signing in for up to the window after their last try; the lock-out
# then ends by itself. Four times MAX_FAILURES, so a few mistyped passwords lock nobody out.
MAX_FAILURES_PER_ACCOUNT = 20
RESET_HOURS = 24


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    cookie: str  # what the browser holds
    account_id: int | None
    csrf_token: str


async def start(db: Database, account_id: int | None) -> Session:
    """A new session (a new id at every sign-in: an id seen before signing in is never reused)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = time.time()
    lifetime = SESSION_DAYS * 86_400 if account_id else ANONYMOUS_HOURS * 3600
    await db.execute(
        "INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (_hash(cookie), account_id, csrf, now, now + lifetime),
    )
    return Session(cookie, account_id, csrf)


async def load(db: Database, cookie: str | None) -> Session | None:
    if not cookie or len(cookie) > 100:
        return None
    row = await db.fetchone(
        "SELECT account_id, csrf_token FROM web_sessions WHERE id_hash = ? AND expires_at > ?",
        (_hash(cookie), time.time()),
    )
    return Session(cookie, row["account_id"], row["csrf_token"]) if row else None


async def end(db: Database, cookie: str) -> None:
    await db.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_hash(cookie),))


async def end_all(db: Database, account_id: int) -> None:
    """After a password change or reset, every other browser is signed out."""
    await db.execute("DELETE FROM web_sessions WHERE account_id = ?", (account_id,))


def csrf_matches(session: Session | None, sent: str | None) -> bool:
    return (
        session is not None
        and sent is not None
        and secrets.compare_digest(session.csrf_token, sent)
    )


async def throttled_for(db: Database, limits: dict[str, int]) -> float:
    """Seconds until another sign-in may be tried under every key's limit (0: go ahead)."""
    now = time.time()
    wait = 0.0
    for key, limit in limits.items():
        rows = await db.fetchall(
            "SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at",
            (key, now - FAILURE_WINDOW_S),
        )
        if len(rows) >= limit:
            wait = max(wait, rows[-limit]["at"] + FAILURE_WINDOW_S - now)
    return wait


async def record_failure(db: Database, keys: list[str]) -> float:
    """Counts an attempt as failed until forget_failure says it was not; returns its time."""
    now = time.time()
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sign_in_failures WHERE at < ?", (now - FAILURE_WINDOW_S,))
        await tx.executemany(
            "INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", [(k, now) for k in keys]
        )
    return now


async def forget_failure(db: Database, keys: list[str], at: float) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "DELETE FROM sign_in_failures WHERE key = ? AND at = ?", [(k, at) for k in keys]
        )


async def create_reset(db: Database, account_id: int) -> str:
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
        (_hash(token), account_id, time.time() + RESET_HOURS * 3600),
    )
    return token


async def reset_account(db: Database, token: str) -> int | None:
    row = await db.fetchone(
        "SELECT account_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (_hash(token), time.time()),
    )
    return int(row[0]) if row else None


async def use_reset(db: Database, token: str) -> bool:
    changed = await db.execute(
        "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        (time.time(), _hash(token)),
    )
    return changed > 0


async def create_invitation(db: Database, uses: int, days: float) -> str:
    code = secrets.token_urlsafe(16)
    now = time.time()
    await db.execute(
        "INSERT INTO invitations (code_hash, uses_left, expires_at, created_at) VALUES (?,?,?,?)",
        (_hash(code), uses, now + days * 86_400, now),
    )
    return code


async def use_invitation(db: Database, code: str) -> bool:
    changed = await db.execute(
        "UPDATE invitations SET uses_left = uses_left - 1 WHERE code_hash = ? AND uses_left > 0"
        " AND expires_at > ?",
        (_hash(code), time.time()),
    )
    return changed > 0
