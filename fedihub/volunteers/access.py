"""Who may see an effort's personal data, and the record of who did.

A hub's organisers (and the instance's admins, who may act for any hub) lead its effort. Leads
grant the other roles, per effort: a dispatcher sees every volunteer of the effort and assigns
them; a site's coordinator sees who is coming to that site and checks them in. Nobody's role
in one effort opens another's: every read below takes the hub it is about.

Every page, export or command that shows a volunteer's details writes an audit entry in the
same breath (`record`), naming who and which volunteer (by id: the entry outlives them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest, Forbidden
from fedihub.volunteers.model import AuditAction, Role

Reader = Database | Transaction
# What a page needs: to lead (roles, settings), to dispatch (every volunteer), or a site.
Need = Literal["lead", "dispatch", "site"]
GRANTED: tuple[Role, ...] = ("dispatcher", "site")


@dataclass(frozen=True)
class Access:
    """What one person may do in one hub's effort."""

    hub: LocalActor
    person_id: int
    role: Role
    site_ids: frozenset[int] = frozenset()  # a site coordinator's sites

    @property
    def leads(self) -> bool:
        return self.role == "lead"

    @property
    def dispatches(self) -> bool:
        return self.role in ("lead", "dispatcher")

    def sees_site(self, site_id: int) -> bool:
        return self.dispatches or site_id in self.site_ids


@dataclass(frozen=True)
class Grant:
    id: int
    person_id: int
    username: str
    role: Role
    site_id: int | None
    created_at: float


async def access_of(db: Database, hub: LocalActor, account: Account) -> Access | None:
    """The account's part in the hub's effort, or None. A suspended account has none."""
    person = account.actor.id
    if account.suspension is not None:
        return None
    if account.is_admin or await actors.is_organizer(db, hub.id, person):
        return Access(hub, person, "lead")
    rows = await db.fetchall(
        "SELECT role, site_id FROM volunteer_roles WHERE hub_id = ? AND person_id = ?",
        (hub.id, person),
    )
    if any(r["role"] == "dispatcher" for r in rows):
        return Access(hub, person, "dispatcher")
    sites = frozenset(int(r["site_id"]) for r in rows if r["site_id"] is not None)
    return Access(hub, person, "site", sites) if sites else None


async def require_access(
    db: Database, hub: LocalActor, account: Account, need: Need, site_id: int | None = None
) -> Access:
    """The account's access, if it is enough for `need` (of `site_id`, for a site); Forbidden
    otherwise, in the same words whatever they lack (nothing told about the effort)."""
    access = await access_of(db, hub, account)
    enough = access is not None and _enough(access, need, site_id)
    if access is None or not enough:
        raise Forbidden(
            "%(account)s does not coordinate volunteers for %(hub)s",
            account=account.actor.username, hub=hub.username,
        )  # fmt: skip
    return access


def _enough(access: Access, need: Need, site_id: int | None) -> bool:
    if need == "lead":
        return access.leads
    if need == "dispatch" or access.dispatches:
        return access.dispatches
    # A site's page: that site's coordinator; the list of one's sites: any site coordinator.
    return access.sees_site(site_id) if site_id is not None else bool(access.site_ids)


# Roles


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
