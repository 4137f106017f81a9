"""SQL for reports."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fedihub.activitystreams import same_server_like
from fedihub.actors import store as actors
from fedihub.db import Database, Row, Transaction

# The same hub, or both about no hub (NULL): `hub_id IS ?` in SQLite's words, said so that
# PostgreSQL (which reads `IS` only before NULL, TRUE or FALSE) runs it too. Takes hub_id twice.
SAME_HUB = "(hub_id = ? OR (hub_id IS NULL AND CAST(? AS BIGINT) IS NULL))"


@dataclass(frozen=True)
class Report:
    id: int
    hub_id: int | None
    activity_uri: str
    reporter_uri: str
    objects: tuple[str, ...]
    comment: str
    received_at: float
    resolved_at: float | None
    resolved_by: str | None
    resolution: str | None


_COLUMNS = ("id, hub_id, activity_uri, reporter_uri, objects, comment, received_at,"
            " resolved_at, resolved_by, resolution")  # fmt: skip


def _report(row: Row) -> Report:
    return Report(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6],
                  row[7], row[8], row[9])  # fmt: skip


# One server's open reports about one hub (or its people) past which more are not filed, so a
# hostile server cannot bury the moderators' list; a page shows the oldest SHOWN.
MAX_OPEN_PER_SERVER = 50
SHOWN = 100


async def save(
    tx: Transaction, hub_id: int | None, activity_uri: str, reporter_uri: str,
    objects: list[str], comment: str, now: float,
) -> bool:  # fmt: skip
    """False when it was filed before, or its server already has too many open here. The hub
    (or instance actor) is locked first, so the cap holds across processes."""
    await actors.lock_actor(tx, hub_id)
    same_server = same_server_like(reporter_uri)
    open_from_server = await tx.fetchone(
        f"SELECT count(*) FROM reports WHERE {SAME_HUB} AND resolved_at IS NULL"
        " AND lower(reporter_uri) LIKE ? ESCAPE '\\'",
        (hub_id, hub_id, same_server),
    )
    if open_from_server is not None and open_from_server[0] >= MAX_OPEN_PER_SERVER:
        return False
    changed = await tx.execute(
        "INSERT INTO reports (hub_id, activity_uri, reporter_uri, objects, comment, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (hub_id, activity_uri, reporter_uri, json.dumps(objects), comment, now),
    )
    return changed > 0


async def open_reports(db: Database, hub_id: int | None) -> list[Report]:
    """Unresolved reports about a hub, or (None) about people, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM reports WHERE {SAME_HUB} AND resolved_at IS NULL ORDER BY id"
        " LIMIT ?",
        (hub_id, hub_id, SHOWN),
    )
    return [_report(r) for r in rows]


async def resolve(
    db: Database, report_id: int, hub_id: int | None, by: str, resolution: str, now: float
) -> Report | None:
    """None when there is no such open report for that hub."""
    async with db.transaction() as tx:
        return await resolve_in(tx, report_id, hub_id, by, resolution, now)


async def resolve_in(
    tx: Transaction, report_id: int, hub_id: int | None, by: str, resolution: str, now: float
) -> Report | None:
    """`resolve` inside the caller's transaction: the one that takes the action answering it."""
    row = await tx.fetchone(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = ?"
        f" WHERE id = ? AND {SAME_HUB} AND resolved_at IS NULL RETURNING {_COLUMNS}",
        (now, by, resolution, report_id, hub_id, hub_id),
    )
    return _report(row) if row else None
