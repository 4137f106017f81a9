"""/admin/blocks: the instance's admins block or silence servers and accounts, and subscribe to
other instances' block lists. `?domain=HOST`, `?actor=URI` and `&report=ID` fill in the forms
(a report's page links here), and acting with a report resolves it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.errors import Forbidden
from fedihub.keys import services_key
from fedihub.moderation import conduct
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.blocking import lists, service, store
from fedihub.services import Services
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_number, form_text

routes = web.RouteTableDef()
PAGE = "/admin/blocks"
FIELDS = ("domain", "actor", "report", "reason", "public_comment", "severity", "clause", "url")


async def _require_admin(request: web.Request) -> Account:
    account = await require_signed_in(request)
    if not account.is_admin:
        raise Forbidden("only the instance's admins may do this")
    return account


async def _page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    given = form if form is not None else request.query
    values = {name: form_text(given, name)[:2000] for name in FIELDS}
    return await form_page(
        request, "admin_blocks.html", status=status, error=error, values=values,
        domains=await store.host_blocks(svc.db), actors=await store.actor_blocks(svc.db),
        subscriptions=await store.subscriptions(svc.db),
        clauses=await conduct.clause_choices(svc, None),
    )  # fmt: skip


@routes.get(PAGE)
async def blocks_page(request: web.Request) -> web.Response:
    return await _page(request, None, await _require_admin(request))


async def _acting(
    svc: Services, form: Any, account: Account, *, lifting: bool = False
) -> tuple[Moderator, str, int | None]:
    """Who acts, the clause they cite (needed to block, not to lift a block) and the report
    it answers (if any)."""
    by = await local_moderator(svc, account, None)
    given = form_text(form, "clause")
    clause = await conduct.read_clause(svc, None, given) if given or not lifting else ""
    report = form_number(form, "report", "which report?") if form_text(form, "report") else None
    return by, clause, report


async def _block_domain(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, report = await _acting(svc, form, account)
    severity = service.read_severity(form_text(form, "severity"))
    await service.block_domain(svc, by, form_text(form, "domain"), severity,
                               reason=form_text(form, "reason"),
                               public_comment=form_text(form, "public_comment"),
                               clause=clause, report_id=report)  # fmt: skip
    return PAGE


async def _unblock_domain(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, report = await _acting(svc, form, account, lifting=True)
    await service.unblock_domain(svc, by, form_text(form, "domain"),
                                 reason=form_text(form, "reason"), clause=clause,
                                 report_id=report)  # fmt: skip
    return PAGE


async def _block_actor(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, report = await _acting(svc, form, account)
    severity = service.read_severity(form_text(form, "severity"))
    await service.block_actor(svc, by, form_text(form, "actor"), severity,
                              reason=form_text(form, "reason"), clause=clause,
                              report_id=report)  # fmt: skip
    return PAGE


async def _unblock_actor(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, report = await _acting(svc, form, account, lifting=True)
    await service.unblock_actor(svc, by, form_text(form, "actor"), reason=form_text(form, "reason"),
                                clause=clause, report_id=report)  # fmt: skip
    return PAGE


async def _subscribe(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, _ = await _acting(svc, form, account, lifting=True)
    await lists.subscribe(svc, by, form_text(form, "url"), reason=form_text(form, "reason"),
                          clause=clause)  # fmt: skip
    return PAGE


async def _unsubscribe(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    by, clause, _ = await _acting(svc, form, account, lifting=True)
    await lists.unsubscribe(svc, by, form_text(form, "url"), reason=form_text(form, "reason"),
                            clause=clause)  # fmt: skip
    return PAGE


ACTIONS = {
    "domain": _block_domain, "domain/unblock": _unblock_domain, "actor": _block_actor,
    "actor/unblock": _unblock_actor, "list": _subscribe, "list/remove": _unsubscribe,
}  # fmt: skip


@routes.post(PAGE + "/{action:domain|domain/unblock|actor|actor/unblock|list|list/remove}")
async def act(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _require_admin, ACTIONS[request.match_info["action"]], _page)
