"""SQL for an effort's roles and its audit log (migration 0033): who has been granted what
(access.py decides from it what they may see), and who looked at or changed whose data.

Every page, export or command that shows a volunteer's details writes an audit entry in the
same breath (`record`), naming who and which volunteer (by id: the entry outlives them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest
from fedihub.volunteers.model import AuditAction, Role

Reader = Database | Transaction
GRANTED: tuple[Role, ...] = ("dispatcher", "site")


@dataclass(frozen=True)
class Grant:
    id: int
    person_id: int
    username: str
    role: Role
    site_id: int | None
    created_at: float


async def held(db: Reader, hub_id: int, person_id: int) -> list[tuple[Role, int | None]]:
    """The roles granted to a person in this effort, each with its site (a site's coordinator
    holds one row per site)."""
    rows = await db.fetchall(
        "SELECT role, site_id FROM volunteer_roles WHERE hub_id = ? AND person_id = ?",
        (hub_id, person_id),
    )
    return [
        (cast(Role, r["role"]), None if r["site_id"] is None else int(r["site_id"])) for r in rows
    ]


async def grant(
    tx: Transaction, hub_id: int, person_id: int, role: Role, site_id: int | None,
    granted_by: int | None, now: float,
) -> bool:  # fmt: skip
    """Grants a role (once: False if they hold it already)."""
    if role not in GRANTED:
        raise BadRequest("role: %(role)r is not one that can be granted", role=role)
    if (role == "site") != (site_id is not None):
        raise BadRequest("role: a site's coordinator needs a site, and only they do")
    changed = await tx.execute(
        "INSERT INTO volunteer_roles (hub_id, person_id, role, site_id, granted_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (hub_id, person_id, role, site_id, granted_by, now),
    )
    return changed > 0


async def revoke(tx: Transaction, hub_id: int, grant_id: int) -> Grant | None:
    """Takes one grant of this effort back; None if the effort has no such grant."""
    rows = await grants(tx, hub_id)
    found = next((g for g in rows if g.id == grant_id), None)
    if found is not None:
        await tx.execute(
            "DELETE FROM volunteer_roles WHERE id = ? AND hub_id = ?", (grant_id, hub_id)
        )
    return found


async def grants(db: Reader, hub_id: int) -> list[Grant]:
    rows = await db.fetchall(
        "SELECT r.id, r.person_id, a.username, r.role, r.site_id, r.created_at"
        " FROM volunteer_roles r JOIN local_actors a ON a.id = r.person_id"
        " WHERE r.hub_id = ? ORDER BY r.role, a.username, r.site_id",
        (hub_id,),
    )
    return [
        Grant(r["id"], r["person_id"], r["username"], cast(Role, r["role"]), r["site_id"],
              r["created_at"])
        for r in rows
    ]  # fmt: skip


# The audit log


@dataclass(frozen=True)
class Entry:
    id: int
    username: str | None  # None: the command line
    action: AuditAction
    volunteer_id: int | None
    detail: str
    at: float


async def record(
    db: Reader, hub_id: int, person_id: int | None, action: AuditAction, now: float,
    volunteer_id: int | None = None, detail: str = "",
) -> None:  # fmt: skip
    """One entry: who (None for the command line) did what to whose data. `detail` says what
    was asked (a shift, a filter, how many rows), never a volunteer's name or contact."""
    await db.execute(
        "INSERT INTO volunteer_audit (hub_id, person_id, action, volunteer_id, detail, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (hub_id, person_id, action, volunteer_id, detail, now),
    )


async def entries(
    db: Reader, hub_id: int, limit: int = 200, before: int | None = None
) -> list[Entry]:
    """The effort's audit log, newest first; `before` an entry id, for the next page."""
    rows = await db.fetchall(
        "SELECT e.id, a.username, e.action, e.volunteer_id, e.detail, e.at"
        " FROM volunteer_audit e LEFT JOIN local_actors a ON a.id = e.person_id"
        " WHERE e.hub_id = ? AND (CAST(? AS INTEGER) IS NULL OR e.id < ?)"
        " ORDER BY e.id DESC LIMIT ?",
        (hub_id, before, before, limit),
    )
    return [
        Entry(r["id"], r["username"], cast(AuditAction, r["action"]), r["volunteer_id"],
              r["detail"], r["at"])
        for r in rows
    ]  # fmt: skip
