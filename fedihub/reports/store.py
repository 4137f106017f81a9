"""SQL for reports."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from fedihub.db import Database, Transaction


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


def _report(row: sqlite3.Row) -> Report:
    return Report(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6],
                  row[7], row[8], row[9])  # fmt: skip


async def save(
    tx: Transaction, hub_id: int | None, activity_uri: str, reporter_uri: str,
    objects: list[str], comment: str, now: float,
) -> bool:  # fmt: skip
    changed = await tx.execute(
        "INSERT INTO reports (hub_id, activity_uri, reporter_uri, objects, comment, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (hub_id, activity_uri, reporter_uri, json.dumps(objects), comment, now),
    )
    return changed > 0


async def open_reports(db: Database, hub_id: int | None) -> list[Report]:
    """Unresolved reports about a hub, or (None) about people, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM reports WHERE hub_id IS ? AND resolved_at IS NULL ORDER BY id",
        (hub_id,),
    )
    return [_report(r) for r in rows]


async def resolve(
    db: Database, report_id: int, hub_id: int | None, by: str, resolution: str, now: float
) -> Report | None:
    """None when there is no such open report for that hub."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = ?"
            f" WHERE id = ? AND hub_id IS ? AND resolved_at IS NULL RETURNING {_COLUMNS}",
            (now, by, resolution, report_id, hub_id),
        )
    return _report(row) if row else None
