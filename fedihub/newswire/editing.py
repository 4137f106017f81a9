"""What the web's editors' pages and the CLI do besides deciding on items: admins name and
remove editors; editors trust and distrust sources (an account here or on any server, by its
address or its @handle), whose submissions then publish at once."""

from __future__ import annotations

from dataclasses import dataclass

from fedihub.accounts.service import require_account
from fedihub.accounts.store import Account
from fedihub.activitystreams import host_of
from fedihub.errors import BadRequest, Forbidden
from fedihub.follows.service import local_target, parse_handle
from fedihub.moderation.authority import Moderator
from fedihub.newswire import service, store
from fedihub.services import Services

MAX_SOURCE = 2_000


def require_admin(account: Account) -> None:
    if account.suspension is not None or not account.is_admin:
        raise Forbidden("only the instance's admins may name the newswire's editors")


async def add_editor(svc: Services, admin: Account, username: str) -> Account:
    require_admin(admin)
    named = await require_account(svc.db, username.strip().lstrip("@").lower())
    async with svc.db.transaction() as tx:
        await store.add_editor(tx, named.actor.id, svc.clock.now())
    return named


async def remove_editor(svc: Services, admin: Account, username: str) -> bool:
    require_admin(admin)
    named = await require_account(svc.db, username.strip().lstrip("@").lower())
    async with svc.db.transaction() as tx:
        return await store.remove_editor(tx, named.actor.id)


async def read_source(svc: Services, text: str) -> str:
    """The actor id a source is known by: an address as given (one of ours checked), or a
    @name@server handle (ours looked up here, anyone else's asked of their server)."""
    given = " ".join(text.split())
    if not given:
        raise BadRequest("source: an account's address or @name@server")
    if len(given) > MAX_SOURCE:
        raise BadRequest("source: at most %(max)s characters", max=MAX_SOURCE)
    if given.startswith(("https://", "http://")):
        if not host_of(given):
            raise BadRequest("source: %(source)r is not an account's address", source=given[:100])
        ours = await local_target(svc, given)
        return ours.uri(svc.config.base_url) if ours is not None else given
    parse_handle(given)  # a clear error for anything that is not a handle
    ours = await local_target(svc, given)
    if ours is not None:
        return ours.uri(svc.config.base_url)
    uri: str = await svc.client.webfinger(*parse_handle(given))
    return uri


async def trust(svc: Services, by: Moderator, text: str) -> str:
    uri = await read_source(svc, text)
    await service.trust(svc, by, uri)
    return uri


async def distrust(svc: Services, by: Moderator, text: str) -> str:
    uri = await read_source(svc, text)
    if not await service.distrust(svc, by, uri):
        raise BadRequest("%(source)s was not a trusted source", source=uri)
    return uri


@dataclass(frozen=True)
class Trusted:
    actor_uri: str
    trusted_by: str
    trusted_at: float


async def trusted_sources(svc: Services) -> list[Trusted]:
    return [Trusted(r["actor_uri"], r["trusted_by"], r["trusted_at"])
            for r in await store.trusted(svc.db)]  # fmt: skip
