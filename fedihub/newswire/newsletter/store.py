"""The newsletter's tables: subscribers and their link tokens (personal data, read by no page
or ActivityPub document), and the weekly issues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fedihub.db import Database, Row, Transaction

SubscriberState = Literal["unconfirmed", "confirmed", "bounced"]
_ISSUE = "id, week, title, html, text, period_start, period_end, items, events, activity_uri," \
    " created_at, revised_at"  # fmt: skip


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    state: SubscriberState
    language: str
    confirm_sent_at: float | None
    created_at: float


@dataclass(frozen=True)
class Issue:
    id: int
    week: str
    title: str
    html: str
    text: str
    period_start: float
    period_end: float
    items: int
    events: int
    activity_uri: str | None
    created_at: float
    revised_at: float | None = None  # the latest unpublishing it was built again for


def _subscriber(row: Row) -> Subscriber:
    return Subscriber(row["id"], row["email"], row["state"], row["language"],
                      row["confirm_sent_at"], row["created_at"])  # fmt: skip


_SUBSCRIBER = "id, email, state, language, confirm_sent_at, created_at"


async def subscriber_by_email(db: Database | Transaction, email: str) -> Subscriber | None:
    row = await db.fetchone(
        f"SELECT {_SUBSCRIBER} FROM newsletter_subscribers WHERE email = ?", (email,)
    )
    return _subscriber(row) if row else None


async def subscriber(db: Database | Transaction, subscriber_id: int) -> Subscriber | None:
    row = await db.fetchone(
        f"SELECT {_SUBSCRIBER} FROM newsletter_subscribers WHERE id = ?", (subscriber_id,)
    )
    return _subscriber(row) if row else None


async def ask(
    tx: Transaction, email: str, language: str, confirm_hash: str, now: float
) -> Subscriber:
    """A new unconfirmed subscriber, or a new confirmation link for one who has not confirmed
    (or whose address bounced and who asks again)."""
    row = await tx.fetchone(
        "INSERT INTO newsletter_subscribers (email, state, language, confirm_hash,"
        " confirm_sent_at, created_at) VALUES (?1, 'unconfirmed', ?2, ?3, ?4, ?4)"
        " ON CONFLICT (email) DO UPDATE SET state = 'unconfirmed', language = excluded.language,"
        " confirm_hash = excluded.confirm_hash, confirm_sent_at = excluded.confirm_sent_at,"
        " created_at = excluded.created_at, given_up_streak = 0"
        f" WHERE newsletter_subscribers.state <> 'confirmed' RETURNING {_SUBSCRIBER}",
        (email, language, confirm_hash, now),
    )
    assert row is not None, "the caller checks the address is not confirmed"
    return _subscriber(row)


async def unconfirmed_by_hash(db: Database, confirm_hash: str) -> Subscriber | None:
    row = await db.fetchone(
        f"SELECT {_SUBSCRIBER} FROM newsletter_subscribers WHERE confirm_hash = ?"
        " AND state = 'unconfirmed'",
        (confirm_hash,),
    )
    return _subscriber(row) if row else None


async def confirm(tx: Transaction, confirm_hash: str, now: float) -> Subscriber | None:
    row = await tx.fetchone(
        "UPDATE newsletter_subscribers SET state = 'confirmed', confirmed_at = ?,"
        " confirm_hash = NULL, given_up_streak = 0 WHERE confirm_hash = ?"
        f" AND state = 'unconfirmed' RETURNING {_SUBSCRIBER}",
        (now, confirm_hash),
    )
    return _subscriber(row) if row else None


async def add_unsubscribe_tokens(
    tx: Transaction, tokens: Sequence[tuple[str, int]], now: float
) -> None:
    """(sha256 of the token, subscriber id) pairs."""
    await tx.executemany(
        "INSERT INTO newsletter_unsubscribe_tokens (token_hash, subscriber_id, created_at)"
        " VALUES (?, ?, ?)",
        [(token_hash, subscriber_id, now) for token_hash, subscriber_id in tokens],
    )


async def subscriber_of_token(db: Database | Transaction, token_hash: str) -> Subscriber | None:
    row = await db.fetchone(
        f"SELECT {', '.join('s.' + c for c in _SUBSCRIBER.split(', '))}"
        " FROM newsletter_unsubscribe_tokens t JOIN newsletter_subscribers s"
        " ON s.id = t.subscriber_id WHERE t.token_hash = ?",
        (token_hash,),
    )
    return _subscriber(row) if row else None


async def remove(tx: Transaction, subscriber_id: int) -> bool:
    """Unsubscribing forgets the address, its tokens and its queued mail (cascade)."""
    return bool(
        await tx.execute("DELETE FROM newsletter_subscribers WHERE id = ?", (subscriber_id,))
    )


async def remove_unconfirmed(db: Database, older_than: float) -> int:
    return await db.execute(
        "DELETE FROM newsletter_subscribers WHERE (state = 'unconfirmed'"
        " OR state = 'bounced' AND confirmed_at IS NULL) AND created_at < ?",
        (older_than,),
    )


async def confirmed(tx: Transaction) -> list[tuple[int, str]]:
    rows = await tx.fetchall(
        "SELECT id, email FROM newsletter_subscribers WHERE state = 'confirmed' ORDER BY id"
    )
    return [(r["id"], r["email"]) for r in rows]


async def add_confirmed(tx: Transaction, emails: Sequence[str], language: str, now: float) -> None:
    """Subscribers who confirmed elsewhere (an import, a test's thousand): confirmed at once."""
    await tx.executemany(
        "INSERT INTO newsletter_subscribers (email, state, language, created_at, confirmed_at)"
        " VALUES (?, 'confirmed', ?, ?, ?) ON CONFLICT (email) DO NOTHING",
        [(email, language, now, now) for email in emails],
    )


async def mark_bounced(db: Database, subscriber_id: int) -> None:
    await db.execute(
        "UPDATE newsletter_subscribers SET state = 'bounced' WHERE id = ?", (subscriber_id,)
    )


async def count_given_up(db: Database, subscriber_id: int, streak_to_bounce: int) -> None:
    """One more issue given up on for this subscriber; `streak_to_bounce` in a row: bounced."""
    await db.execute(
        "UPDATE newsletter_subscribers SET given_up_streak = given_up_streak + 1,"
        " state = CASE WHEN given_up_streak + 1 >= ? THEN 'bounced' ELSE state END"
        " WHERE id = ? AND state = 'confirmed'",
        (streak_to_bounce, subscriber_id),
    )


async def reset_streak(db: Database, subscriber_id: int) -> None:
    await db.execute(
        "UPDATE newsletter_subscribers SET given_up_streak = 0 WHERE id = ?"
        " AND given_up_streak <> 0",
        (subscriber_id,),
    )


async def counts(db: Database) -> dict[SubscriberState, int]:
    rows = await db.fetchall("SELECT state, count(*) FROM newsletter_subscribers GROUP BY state")
    found = {r[0]: int(r[1]) for r in rows}
    return {s: found.get(s, 0) for s in ("unconfirmed", "confirmed", "bounced")}


# Issues


def _issue(row: Row) -> Issue:
    return Issue(*(row[c] for c in _ISSUE.split(", ")))


async def insert_issue(
    tx: Transaction, week: str, title: str, html: str, text: str, period: tuple[float, float],
    items: int, events: int, now: float,
) -> Issue | None:  # fmt: skip
    """None if the week has its issue already (another pass made it)."""
    row = await tx.fetchone(
        "INSERT INTO newsletter_issues (week, title, html, text, period_start, period_end,"
        " items, events, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" ON CONFLICT (week) DO NOTHING RETURNING {_ISSUE}",
        (week, title, html, text, period[0], period[1], items, events, now),
    )
    return _issue(row) if row else None


async def set_issue_activity(tx: Transaction, issue_id: int, activity_uri: str) -> None:
    await tx.execute(
        "UPDATE newsletter_issues SET activity_uri = ? WHERE id = ?", (activity_uri, issue_id)
    )


async def issue(db: Database | Transaction, issue_id: int) -> Issue | None:
    row = await db.fetchone(f"SELECT {_ISSUE} FROM newsletter_issues WHERE id = ?", (issue_id,))
    return _issue(row) if row else None


async def issue_of_week(db: Database | Transaction, week: str) -> Issue | None:
    row = await db.fetchone(f"SELECT {_ISSUE} FROM newsletter_issues WHERE week = ?", (week,))
    return _issue(row) if row else None


async def issues_to_revise(db: Database) -> list[Issue]:
    """Issues holding an item unpublished since they were last built: to be built again."""
    rows = await db.fetchall(
        f"SELECT {_ISSUE} FROM newsletter_issues i WHERE EXISTS (SELECT 1 FROM newswire_items n"
        " WHERE n.state = 'unpublished' AND n.published_at >= i.period_start"
        " AND n.published_at < i.period_end"
        " AND n.decided_at >= i.created_at"
        " AND (i.revised_at IS NULL OR n.decided_at > i.revised_at)) ORDER BY i.id"
    )
    return [_issue(r) for r in rows]


async def revise_issue(tx: Transaction, issue: Issue, html: str, text: str, items: int) -> None:
    """The issue built again; `revised_at` is the latest unpublishing it now reflects."""
    await tx.execute(
        "UPDATE newsletter_issues SET html = ?, text = ?, items = ?, revised_at ="
        " (SELECT max(decided_at) FROM newswire_items WHERE state = 'unpublished'"
        "  AND published_at >= ? AND published_at < ?) WHERE id = ?",
        (html, text, items, issue.period_start, issue.period_end, issue.id),
    )


async def last_period_end(db: Database) -> float | None:
    value: float | None = await db.fetchval("SELECT max(period_end) FROM newsletter_issues")
    return value


async def issues(db: Database, limit: int = 100) -> list[Issue]:
    rows = await db.fetchall(
        f"SELECT {_ISSUE} FROM newsletter_issues ORDER BY period_end DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [_issue(r) for r in rows]
