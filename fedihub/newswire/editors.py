"""Who edits the newswire: the instance's admins and the accounts they name editors. An editor
acts in the instance's scope, so what they do is logged there, under the instance's code."""

from __future__ import annotations

from fedihub.accounts.store import Account
from fedihub.errors import Forbidden
from fedihub.moderation.authority import Moderator
from fedihub.newswire import store
from fedihub.services import Services


async def may_edit(svc: Services, account: Account | None) -> bool:
    if account is None or account.suspension is not None:
        return False
    return account.is_admin or await store.is_editor(svc.db, account.actor.id)


async def editor(svc: Services, account: Account) -> Moderator:
    """`account` acting as a newswire editor; Forbidden unless they are one."""
    label = account.actor.username
    if account.suspension is not None:
        raise Forbidden("%(account)s is suspended and may not moderate", account=label)
    if not await may_edit(svc, account):
        raise Forbidden("only the newswire's editors may do this")
    return Moderator(account.actor.uri(svc.config.base_url), label, None, account.is_admin)
