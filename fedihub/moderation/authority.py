"""Who may moderate what. A hub's moderators are its organisers (local accounts), the members
its organisers gave a moderating role (local or on another server: FEP-1b12's moderators
collection) and the instance's admins; the instance's own scope is its admins' alone."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.accounts.store import Account
from fedihub.actors.model import LocalActor
from fedihub.errors import Forbidden
from fedihub.groups.membership import MODERATING, role_of
from fedihub.services import Services


@dataclass(frozen=True)
class Moderator:
    """Someone acting as a moderator, and the scope they act in."""

    uri: str  # their actor
    label: str  # how the log names them: a username here, a handle or address elsewhere
    hub_id: int | None  # the hub they act for; None: the instance (admins only)
    is_admin: bool = False  # an instance admin (may act in every scope)


async def local_moderator(svc: Services, account: Account, hub: LocalActor | None) -> Moderator:
    """`account` acting for `hub` (None: the instance). Forbidden unless they may."""
    uri = account.actor.uri(svc.config.base_url)
    label = account.actor.username
    if account.suspension is not None:
        raise Forbidden("%(account)s is suspended and may not moderate", account=label)
    if hub is None:
        if not account.is_admin:
            raise Forbidden("only the instance's admins may do this")
        return Moderator(uri, label, None, True)
    if account.is_admin or await role_of(svc, hub, uri) in MODERATING:
        return Moderator(uri, label, hub.id, account.is_admin)
    raise Forbidden("%(account)s does not moderate %(hub)s", account=label, hub=hub.username)


async def remote_moderator(svc: Services, hub: LocalActor, actor_uri: str) -> Moderator:
    """A remote actor acting for `hub`: only if listed in its moderators collection."""
    if await role_of(svc, hub, actor_uri) not in MODERATING:
        raise Forbidden("%(actor)s does not moderate %(hub)s", actor=actor_uri, hub=hub.username)
    return Moderator(actor_uri, actor_uri, hub.id)
