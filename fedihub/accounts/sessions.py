"""Server-side sessions, CSRF tokens, sign-in throttling, one-time reset links, invitations.

The browser holds a random session id in an HttpOnly cookie; the database holds only its hash,
so a copy of the database signs nobody in. Every session, signed in or not, carries a CSRF token
that each form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from fedihub.accounts import store
from fedihub.clock import Clock
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


async def start(db: Database, clock: Clock, account_id: int | None) -> Session:
    """A new session (a new id at every sign-in: an id seen before signing in is never reused)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = clock.now()
    lifetime = SESSION_DAYS * 86_400 if account_id else ANONYMOUS_HOURS * 3600
    await store.insert_session(
        db, _hash(cookie), account_id, csrf, created_at=now, expires_at=now + lifetime
    )
    return Session(cookie, account_id, csrf)


async def load(db: Database, clock: Clock, cookie: str | None) -> Session | None:
    if not cookie or len(cookie) > 100:
        return None
    found = await store.live_session(db, _hash(cookie), clock.now())
    return Session(cookie, *found) if found else None


async def end(db: Database, cookie: str) -> None:
    await store.delete_session(db, _hash(cookie))


async def end_all(db: Database, account_id: int) -> None:
    """After a password change or reset, every other browser is signed out."""
    await store.delete_sessions_of(db, account_id)


def csrf_matches(session: Session | None, sent: str | None) -> bool:
    return (
        session is not None
        and sent is not None
        and secrets.compare_digest(session.csrf_token, sent)
    )


async def throttled_for(db: Database, clock: Clock, limits: dict[str, int]) -> float:
    """Seconds until another sign-in may be tried under every key's limit (0: go ahead)."""
    now = clock.now()
    wait = 0.0
    for key, limit in limits.items():
        failed_at = await store.failures_since(db, key, now - FAILURE_WINDOW_S)
        if len(failed_at) >= limit:
            wait = max(wait, failed_at[-limit] + FAILURE_WINDOW_S - now)
    return wait


async def record_failure(db: Database, clock: Clock, keys: list[str]) -> float:
    """Counts an attempt as failed until forget_failure says it was not; returns its time."""
    now = clock.now()
    await store.insert_failures(db, keys, now, forget_before=now - FAILURE_WINDOW_S)
    return now


async def forget_failure(db: Database, keys: list[str], at: float) -> None:
    await store.delete_failures(db, keys, at)


async def create_reset(db: Database, clock: Clock, account_id: int) -> str:
    token = secrets.token_urlsafe(32)
    await store.insert_reset(db, _hash(token), account_id, clock.now() + RESET_HOURS * 3600)
    return token


async def reset_account(db: Database, clock: Clock, token: str) -> int | None:
    return await store.reset_account_id(db, _hash(token), clock.now())


async def use_reset(db: Database, clock: Clock, token: str) -> bool:
    return await store.mark_reset_used(db, _hash(token), clock.now())


async def create_invitation(db: Database, clock: Clock, uses: int, days: float) -> str:
    code = secrets.token_urlsafe(16)
    now = clock.now()
    await store.insert_invitation(
        db, _hash(code), uses, expires_at=now + days * 86_400, created_at=now
    )
    return code


async def use_invitation(db: Database, clock: Clock, code: str) -> bool:
    return await store.take_invitation_use(db, _hash(code), clock.now())
