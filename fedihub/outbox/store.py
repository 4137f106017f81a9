"""SQL for the outbox: activities, their delivery rows, and host health."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fedihub.db import Database, Transaction
from fedihub.outbox.deliveries import FAILURE_DAYS_BEFORE_UNAVAILABLE, Outcome
from fedihub.outbox.recipients import Target


async def enqueue(
    tx: Transaction,
    *,
    actor_id: int,
    activity: dict,
    targets: Sequence[Target],
    is_public: bool,
    now: float | None = None,
) -> int:
    """Stores the activity and one pending delivery per target, inside the caller's transaction."""
    now = time.time() if now is None else now
    activity_id = await tx.insert(
        "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (activity["id"], actor_id, activity["type"], int(is_public), json.dumps(activity), now),
    )
    await tx.executemany(
        "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, next_try_at, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(activity_id, t.inbox, t.host, now, now) for t in targets],
    )
    return activity_id


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int


async def release_all_claims(db: Database) -> int:
    """At start-up: rows a previous process was sending when it stopped go back in the queue."""
    return await db.execute(
        "UPDATE deliveries SET state = 'pending', locked_until = NULL WHERE state = 'sending'"
    )


async def claim_due(
    db: Database,
    *,
    now: float,
    limit: int,
    per_host: int,
    in_flight: Mapping[str, int],
    lease_s: float,
) -> list[Delivery]:
    """Leases up to `limit` due deliveries, never more than `per_host` in flight to one host.
    A lease that ran out (its sender died without recording an answer) is due again."""
    busy = sum(in_flight.values())
    async with db.transaction() as tx:
        # Ranked per host, so one host's backlog never hides the others'. Each half of the
        # UNION is served by the (state, next_try_at) index; an OR would scan the table.
        ranked = await tx.fetchall(
            "WITH candidates AS (SELECT id, host, next_try_at FROM deliveries"
            "   WHERE state = 'pending' AND next_try_at <= ? UNION ALL"
            "   SELECT id, host, next_try_at FROM deliveries"
            "   WHERE state = 'sending' AND locked_until < ?),"
            " due AS (SELECT id, host,"
            "   row_number() OVER (PARTITION BY host ORDER BY next_try_at, id) AS rank"
            "   FROM candidates)"
            " SELECT id, host, rank FROM due WHERE rank <= ? ORDER BY rank, id LIMIT ?",
            (now, now, per_host, limit + busy),
        )
        # Hosts with requests in flight get only their spare slots. At most `busy` ranked rows
        # are passed over for that, which is why `busy` more rows were read.
        chosen = [r["id"] for r in ranked if r["rank"] <= per_host - in_flight.get(r["host"], 0)]
        if not chosen:
            return []
        rows = await tx.fetchall(
            "UPDATE deliveries SET state = 'sending', locked_until = ?"
            " WHERE id IN (SELECT value FROM json_each(?))"
            " RETURNING id, activity_id, inbox, host, attempts",
            (now + lease_s, json.dumps(chosen[:limit])),
        )
    return [Delivery(r["id"], r["activity_id"], r["inbox"], r["host"], r["attempts"]) for r in rows]


async def activity_documents(db: Database, ids: Iterable[int]) -> dict[int, tuple[int, bytes]]:
    """activity id -> (actor id, JSON body as sent)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await db.fetchall(
        "SELECT id, actor_id, document FROM outbox_activities"
        " WHERE id IN (SELECT value FROM json_each(?))",
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
        healthy = {d.host for d, o, _ in results if o.state == "sent"}
        failing = {d.host for d, o, _ in results if o.host_failed} - healthy
        if healthy:
            await mark_hosts_healthy(tx, healthy)
        if failing:
            day = utc_day(now)
            await tx.executemany(
                "INSERT OR IGNORE INTO host_failure_days (host, day) VALUES (?, ?)",
                [(h, day) for h in failing],
            )


async def mark_hosts_healthy(tx: Transaction, hosts: Iterable[str]) -> None:
    await tx.executemany("DELETE FROM host_failure_days WHERE host = ?", [(h,) for h in hosts])


async def unavailable_hosts(db: Database) -> frozenset[str]:
    rows = await db.fetchall(
        "SELECT host FROM host_failure_days GROUP BY host HAVING count(*) >= ?",
        (FAILURE_DAYS_BEFORE_UNAVAILABLE,),
    )
    return frozenset(r["host"] for r in rows)


async def blocked_hosts(db: Database) -> frozenset[str]:
    rows = await db.fetchall("SELECT host FROM blocked_hosts")
    return frozenset(r["host"] for r in rows)


async def give_up_unreachable(db: Database, hosts: frozenset[str], now: float) -> int:
    """Pending deliveries to blocked or unavailable hosts stop costing work."""
    if not hosts:
        return 0
    return await db.execute(
        "UPDATE deliveries SET state = 'gave_up', last_error = 'host unavailable or blocked',"
        " finished_at = ? WHERE state = 'pending' AND host IN (SELECT value FROM json_each(?))",
        (now, json.dumps(sorted(hosts))),
    )


async def delivery_counts(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    return {r["state"]: r["n"] for r in rows}


async def prune_finished(db: Database, older_than: float) -> int:
    """Deliveries that ended before `older_than` are history: drop them."""
    return await db.execute(
        "DELETE FROM deliveries WHERE state IN ('sent', 'gave_up') AND finished_at < ?",
        (older_than,),
    )
