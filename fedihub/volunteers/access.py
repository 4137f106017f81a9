"""Who may see an effort's personal data.

A hub's organisers (and the instance's admins, who may act for any hub) lead its effort. Leads
grant the other roles, per effort: a dispatcher sees every volunteer of the effort and assigns
them; a site's coordinator sees who is coming to that site and checks them in. Nobody's role
in one effort opens another's: every read below takes the hub it is about.

The roles granted, and the audit log that every look at a volunteer's details writes, are kept
by roles_store.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Database
from fedihub.errors import Forbidden
from fedihub.volunteers import roles_store
from fedihub.volunteers.model import Role

# What a page needs: to lead (roles, settings), to dispatch (every volunteer), or a site.
Need = Literal["lead", "dispatch", "site"]


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


async def access_of(db: Database, hub: LocalActor, account: Account) -> Access | None:
    """The account's part in the hub's effort, or None. A suspended account has none."""
    person = account.actor.id
    if account.suspension is not None:
        return None
    if account.is_admin or await actors.is_organizer(db, hub.id, person):
        return Access(hub, person, "lead")
    held = await roles_store.held(db, hub.id, person)
    if any(role == "dispatcher" for role, _ in held):
        return Access(hub, person, "dispatcher")
    sites = frozenset(site_id for _, site_id in held if site_id is not None)
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
