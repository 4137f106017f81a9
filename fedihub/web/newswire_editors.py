"""The newswire's editors' pages: `/newswire/queue` (items waiting, oldest first, with a web
submitter's contact address; approve, or reject with a reason and a clause) and
`/newswire/editors` (admins name and remove editors; editors trust and distrust sources).
Every form carries its CSRF token and is refused to anyone who is not an editor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fedihub.errors import Forbidden
from fedihub.keys import services_key
from fedihub.moderation.authority import Moderator
from fedihub.moderation.conduct import clause_choices
from fedihub.newswire import editing, service, store
from fedihub.web.auth import current_account, form_action, form_page
from fedihub.web.forms import form_number, form_text

Editor = Callable[[web.Request], Awaitable[Moderator]]
DONE = {"approved", "rejected", "added", "removed", "trusted", "distrusted"}


async def _queue_page(
    request: web.Request, form: Any, by: Moderator, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    items = await store.queued(svc.db)
    contacts = {i.id: await store.contact_of(svc.db, i.id) for i in items if i.origin == "web"}
    done = request.query.get("done", "")
    return await form_page(
        request, "newswire_queue.html", status=status, error=error, items=items,
        contacts=contacts, clauses=await clause_choices(svc, None), form=form or {},
        done=done if done in DONE and error is None else "",
    )  # fmt: skip


async def _approve(request: web.Request, form: Any, by: Moderator) -> str:
    item_id = form_number(form, "item", "which item?")
    await service.approve(request.app[services_key], by, item_id)
    return "/newswire/queue?done=approved"


async def _reject(request: web.Request, form: Any, by: Moderator) -> str:
    item_id = form_number(form, "item", "which item?")
    await service.reject(request.app[services_key], by, item_id, form_text(form, "reason"),
                         form_text(form, "clause"))  # fmt: skip
    return "/newswire/queue?done=rejected"


async def _editors_page(
    request: web.Request, form: Any, by: Moderator, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    account = await current_account(request)
    done = request.query.get("done", "")
    return await form_page(
        request, "newswire_editors.html", status=status, error=error,
        editors=await store.editor_names(svc.db), trusted=await editing.trusted_sources(svc),
        admin=account is not None and account.is_admin, form=form or {},
        done=done if done in DONE and error is None else "",
    )  # fmt: skip


async def _admin_account(request: web.Request, by: Moderator) -> Any:
    account = await current_account(request)
    if account is None or not by.is_admin:
        raise Forbidden("only the instance's admins may name the newswire's editors")
    return account


async def _add_editor(request: web.Request, form: Any, by: Moderator) -> str:
    svc = request.app[services_key]
    await editing.add_editor(svc, await _admin_account(request, by), form_text(form, "username"))
    return "/newswire/editors?done=added"


async def _remove_editor(request: web.Request, form: Any, by: Moderator) -> str:
    svc = request.app[services_key]
    await editing.remove_editor(svc, await _admin_account(request, by),
                                form_text(form, "username"))  # fmt: skip
    return "/newswire/editors?done=removed"


async def _trust(request: web.Request, form: Any, by: Moderator) -> str:
    await editing.trust(request.app[services_key], by, form_text(form, "source"))
    return "/newswire/editors?done=trusted"


async def _distrust(request: web.Request, form: Any, by: Moderator) -> str:
    await editing.distrust(request.app[services_key], by, form_text(form, "source"))
    return "/newswire/editors?done=distrusted"


def add_routes(app: web.Application, an_editor: Editor) -> None:
    """The pages, each behind `an_editor` (who is acting, or a refusal)."""

    def page(show: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            response: web.Response = await show(request, None, await an_editor(request))
            return response

        return handler

    def action(act: Any, again: Any) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await form_action(request, an_editor, act, again)

        return handler

    app.router.add_get("/newswire/queue", page(_queue_page))
    app.router.add_post("/newswire/queue/approve", action(_approve, _queue_page))
    app.router.add_post("/newswire/queue/reject", action(_reject, _queue_page))
    app.router.add_get("/newswire/editors", page(_editors_page))
    for name, act in (("add", _add_editor), ("remove", _remove_editor), ("trust", _trust),
                      ("distrust", _distrust)):  # fmt: skip
        app.router.add_post(f"/newswire/editors/{name}", action(act, _editors_page))
