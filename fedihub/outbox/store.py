"""SQL for the outbox: activities, their delivery rows, and host health."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fedihub import jobs
from fedihub.db import Database, Transaction
from fedihub.dialects import values_of
from fedihub.jobs import JobState
from fedihub.outbox.deliveries import DELIVERIES, FAILURE_DAYS_BEFORE_UNAVAILABLE, Outcome
from fedihub.outbox.recipients import Target


async def enqueue(
    tx: Transaction,
    *,
    actor_id: int,
    activity: dict[str, Any],
    targets: Sequence[Target],
    is_public: bool,
    now: float,
) -> int:
    """Stores the activity and one pending delivery per target, inside the caller's transaction."""
    activity_id = await tx.insert(
        "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (activity["id"], actor_id, activity["type"], int(is_public), json.dumps(activity), now),
    )
    await tx.executemany(
        "INSERT INTO deliveries (activity_id, inbox, host, next_try_at, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(activity_id, t.inbox, t.host, now, now) for t in targets],
    )
    return activity_id


async def public_activity_count(db: Database, actor_id: int) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE actor_id = ? AND is_public = 1", (actor_id,)
    )
    return count


async def public_activities(
    db: Database, actor_id: int, limit: int, offset: int
) -> list[dict[str, Any]]:
    """An actor's public activities as sent, newest first."""
    rows = await db.fetchall(
        "SELECT document FROM outbox_activities WHERE actor_id = ? AND is_public = 1"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (actor_id, limit, offset),
    )
    return [json.loads(r["document"]) for r in rows]


async def hide_public(tx: Transaction, actor_id: int, uris: list[str]) -> None:
    """Takes activities out of the actor's public outbox (a re-share its moderators removed)."""
    for uri in uris:
        await tx.execute(
            "UPDATE outbox_activities SET is_public = 0 WHERE actor_id = ? AND uri = ?",
            (actor_id, uri),
        )


async def activity_by_uri(
    db: Database, uri: str, *, public_only: bool = False
) -> dict[str, Any] | None:
    """One of our activities, as sent; with `public_only`, None for one addressed to some
    people only (a direct message: only they were meant to read it)."""
    document = await db.fetchval(
        "SELECT document FROM outbox_activities WHERE uri = ? AND (is_public = 1 OR NOT ?)",
        (uri, public_only),
    )
    return None if document is None else dict(json.loads(document))


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int
    created_at: float  # when it was enqueued: its latency runs from here


async def claim_due(
    db: Database,
    *,
    now: float,
    limit: int,
    per_host: int,
    in_flight: Mapping[str, int],
    owner: str,
) -> list[Delivery]:
    """Leases up to `limit` due deliveries to `owner`, never more than `per_host` in flight to
    one host."""
    rows = await jobs.claim_due(
        db, DELIVERIES, now=now, limit=limit, per_key=per_host, busy=in_flight,
        columns="id, activity_id, inbox, host, attempts, created_at", owner=owner,
    )  # fmt: skip
    return [Delivery(*r) for r in rows]


async def activity_documents(db: Database, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
    """activity id -> (actor id, JSON body as sent)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await db.fetchall(
        "SELECT id, actor_id, document FROM outbox_activities"
        f" WHERE id IN ({values_of(db.dialect, 'integer')})",
        (json.dumps(wanted),),
    )
    return {r["id"]: (r["actor_id"], r["document"].encode()) for r in rows}


def utc_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


async def record_outcomes(
    db: Database, results: Sequence[tuple[Delivery, Outcome, int]], now: float
) -> None:
    """Writes a batch of attempts (delivery, outcome, HTTP status) in one transaction."""
    if not results:
        return
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_try_at = ?,"
            " locked_until = NULL, last_status = ?, last_error = ?, finished_at = ? WHERE id = ?",
            [
                (
                    o.state,
                    o.next_try_at if o.next_try_at is not None else now,
                    status or None,
                    o.reason,
                    now if o.state != "pending" else None,
                    d.id,
                )
                for d, o, status in results
            ],
        )
        healthy = {d.host for d, o, _ in results if o.state == "done"}
        failing = {d.host for d, o, _ in results if o.host_failed} - healthy
        if healthy:
            await mark_hosts_healthy(tx, healthy)
        if failing:
            day = utc_day(now)
            await tx.executemany(
                "INSERT INTO host_failure_days (host, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(h, day) for h in sorted(failing)],  # one order in every process
            )


async def mark_hosts_healthy(tx: Transaction, hosts: Iterable[str]) -> None:
    """In sorted order, so two processes' transactions lock the rows in one order (no
    deadlock)."""
    await tx.executemany(
        "DELETE FROM host_failure_days WHERE host = ?", [(h,) for h in sorted(set(hosts))]
    )


async def unavailable_hosts(db: Database) -> frozenset[str]:
    rows = await db.fetchall(
        "SELECT host FROM host_failure_days GROUP BY host HAVING count(*) >= ?",
        (FAILURE_DAYS_BEFORE_UNAVAILABLE,),
    )
    return frozenset(r["host"] for r in rows)


async def blocked_hosts(db: Database) -> frozenset[str]:
    """Hosts blocked outright (a silenced one still gets our deliveries)."""
    rows = await db.fetchall("SELECT host FROM blocked_hosts WHERE severity <> 'silence'")
    return frozenset(r["host"] for r in rows)


async def pending_hosts(db: Database) -> frozenset[str]:
    """The hosts that deliveries wait for."""
    rows = await db.fetchall("SELECT DISTINCT host FROM deliveries WHERE state = 'pending'")
    return frozenset(r["host"] for r in rows)


async def give_up_unreachable(db: Database, hosts: frozenset[str], now: float) -> int:
    """Pending deliveries to blocked or unavailable hosts stop costing work."""
    if not hosts:
        return 0
    return await db.execute(
        "UPDATE deliveries SET state = 'gave_up', last_error = 'host unavailable or blocked',"
        f" finished_at = ? WHERE state = 'pending' AND host IN ({values_of(db.dialect)})",
        (now, json.dumps(sorted(hosts))),
    )


async def delivery_counts(db: Database, actor_id: int | None = None) -> dict[JobState, int]:
    """How many deliveries are in each state: all of them, or those of one actor's activities."""
    rows = await db.fetchall(
        "SELECT d.state, count(*) AS n FROM deliveries d JOIN outbox_activities a"
        " ON a.id = d.activity_id WHERE CAST(?1 AS BIGINT) IS NULL OR a.actor_id = ?1"
        " GROUP BY d.state",
        (actor_id,),
    )
    return {r["state"]: r["n"] for r in rows}


@dataclass(frozen=True)
class FailedDelivery:
    host: str
    last_status: int | None
    last_error: str | None
    activity_type: str


async def recent_failures(db: Database, actor_id: int, limit: int) -> list[FailedDelivery]:
    """The latest deliveries of one actor's activities that were refused or given up on."""
    rows = await db.fetchall(
        "SELECT d.host, d.last_status, d.last_error, a.type FROM deliveries d"
        " JOIN outbox_activities a ON a.id = d.activity_id WHERE a.actor_id = ?"
        " AND d.state IN ('failed', 'gave_up') ORDER BY d.finished_at DESC LIMIT ?",
        (actor_id, limit),
    )
    return [FailedDelivery(*row) for row in rows]
