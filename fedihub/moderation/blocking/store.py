"""SQL for blocked and silenced hosts and actors, and the block lists the instance subscribes to."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.db import Database, Transaction


@dataclass(frozen=True)
class HostBlock:
    host: str
    severity: str  # fedihub.blocks.Severity
    reason: str  # kept for the admins
    public_comment: str  # what the public log shows
    source: str  # "" by hand; else the list that made it
    created_at: float


@dataclass(frozen=True)
class ActorBlock:
    uri: str
    severity: str
    reason: str
    created_at: float


@dataclass(frozen=True)
class Subscription:
    url: str
    added_by: str
    added_at: float
    next_fetch_at: float
    fetched_at: float | None
    failures: int
    last_error: str
    entries: int
    skipped: int


async def host_severities(db: Database) -> list[tuple[str, str]]:
    """(host, severity) of every block: read by fedihub/blocks.py on its few-second refresh."""
    rows = await db.fetchall("SELECT host, severity FROM blocked_hosts")
    return [(r["host"], r["severity"]) for r in rows]


async def actor_severities(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT uri, severity FROM blocked_actors")
    return [(r["uri"], r["severity"]) for r in rows]


async def host_blocks(db: Database) -> list[HostBlock]:
    rows = await db.fetchall(
        "SELECT host, severity, reason, public_comment, source, created_at FROM blocked_hosts"
        " ORDER BY host"
    )
    return [HostBlock(*(r[i] for i in range(6))) for r in rows]


async def host_block(tx: Transaction, host: str) -> HostBlock | None:
    r = await tx.fetchone(
        "SELECT host, severity, reason, public_comment, source, created_at FROM blocked_hosts"
        " WHERE host = ?",
        (host,),
    )
    return HostBlock(*(r[i] for i in range(6))) if r else None


async def save_host_block(tx: Transaction, block: HostBlock) -> None:
    await tx.execute(
        "INSERT INTO blocked_hosts (host, severity, reason, public_comment, source, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET severity = excluded.severity,"
        " reason = excluded.reason, public_comment = excluded.public_comment,"
        " source = excluded.source",
        (block.host, block.severity, block.reason, block.public_comment, block.source,
         block.created_at),
    )  # fmt: skip


async def delete_host_block(tx: Transaction, host: str) -> bool:
    return bool(await tx.execute("DELETE FROM blocked_hosts WHERE host = ?", (host,)))


async def except_host(tx: Transaction, host: str, lifted_by: str, now: float) -> None:
    await tx.execute(
        "INSERT INTO blocklist_exceptions (host, lifted_by, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (host) DO NOTHING",
        (host, lifted_by, now),
    )


async def forget_exception(tx: Transaction, host: str) -> None:
    await tx.execute("DELETE FROM blocklist_exceptions WHERE host = ?", (host,))


async def excepted_hosts(tx: Transaction) -> frozenset[str]:
    rows = await tx.fetchall("SELECT host FROM blocklist_exceptions")
    return frozenset(r[0] for r in rows)


async def hosts_from(tx: Transaction, source: str) -> dict[str, str]:
    """host -> severity of the blocks a list made."""
    rows = await tx.fetchall("SELECT host, severity FROM blocked_hosts WHERE source = ?", (source,))
    return {r["host"]: r["severity"] for r in rows}


async def actor_blocks(db: Database) -> list[ActorBlock]:
    rows = await db.fetchall(
        "SELECT uri, severity, reason, created_at FROM blocked_actors ORDER BY uri"
    )
    return [ActorBlock(*(r[i] for i in range(4))) for r in rows]


async def save_actor_block(tx: Transaction, block: ActorBlock) -> None:
    await tx.execute(
        "INSERT INTO blocked_actors (uri, severity, reason, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (uri) DO UPDATE SET severity = excluded.severity, reason = excluded.reason",
        (block.uri, block.severity, block.reason, block.created_at),
    )


async def delete_actor_block(tx: Transaction, uri: str) -> bool:
    return bool(await tx.execute("DELETE FROM blocked_actors WHERE uri = ?", (uri,)))


_SUBSCRIPTION = ("url, added_by, added_at, next_fetch_at, fetched_at, failures, last_error,"
                 " entries, skipped")  # fmt: skip


async def subscriptions(db: Database) -> list[Subscription]:
    rows = await db.fetchall(f"SELECT {_SUBSCRIPTION} FROM blocklist_subscriptions ORDER BY url")
    return [Subscription(*(r[i] for i in range(9))) for r in rows]


async def due_subscriptions(db: Database, now: float) -> list[str]:
    rows = await db.fetchall(
        "SELECT url FROM blocklist_subscriptions WHERE next_fetch_at <= ? ORDER BY next_fetch_at",
        (now,),
    )
    return [r["url"] for r in rows]


async def add_subscription(tx: Transaction, url: str, added_by: str, now: float) -> bool:
    return bool(
        await tx.execute(
            "INSERT INTO blocklist_subscriptions (url, added_by, added_at, next_fetch_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
            (url, added_by, now, now),
        )
    )


async def delete_subscription(tx: Transaction, url: str) -> bool:
    return bool(await tx.execute("DELETE FROM blocklist_subscriptions WHERE url = ?", (url,)))


async def subscribed(tx: Transaction, url: str) -> bool:
    row = await tx.fetchone("SELECT 1 FROM blocklist_subscriptions WHERE url = ?", (url,))
    return row is not None


async def fetched(
    tx: Transaction, url: str, now: float, next_at: float, entries: int, skipped: int
) -> None:
    await tx.execute(
        "UPDATE blocklist_subscriptions SET fetched_at = ?, next_fetch_at = ?, failures = 0,"
        " last_error = '', entries = ?, skipped = ? WHERE url = ?",
        (now, next_at, entries, skipped, url),
    )


async def failed(db: Database, url: str, error: str, next_at: float) -> None:
    await db.execute(
        "UPDATE blocklist_subscriptions SET failures = failures + 1, last_error = ?,"
        " next_fetch_at = ? WHERE url = ?",
        (error[:500], next_at, url),
    )


async def failures(db: Database, url: str) -> int:
    return int(
        await db.fetchval("SELECT failures FROM blocklist_subscriptions WHERE url = ?", (url,)) or 0
    )
