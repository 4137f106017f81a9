"""/newswire/sharing: the newswire's editors choose other instances' newswires to follow, and
which of their items (by tag, by language) ours passes on."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.keys import services_key
from fedihub.newswire.editors import editor
from fedihub.newswire.sharing import service
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_text

routes = web.RouteTableDef()
PAGE = "/newswire/sharing"
FIELDS = ("newswire", "tags", "languages")


async def _require_editor(request: web.Request) -> Account:
    account = await require_signed_in(request)
    await editor(request.app[services_key], account)  # Forbidden unless they edit the newswire
    return account


async def _page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    values = {name: form_text(form, name)[:2000] if form is not None else "" for name in FIELDS}
    return await form_page(request, "newswire_sharing.html", status=status, error=error,
                           values=values, shares=await service.shares(svc))  # fmt: skip


@routes.get(PAGE)
async def sharing_page(request: web.Request) -> web.Response:
    return await _page(request, None, await _require_editor(request))


async def _follow(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    await service.follow(svc, await editor(svc, account), form_text(form, "newswire"),
                         form_text(form, "tags"), form_text(form, "languages"))  # fmt: skip
    return PAGE


async def _unfollow(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    await service.unfollow(svc, await editor(svc, account), form_text(form, "newswire"))
    return PAGE


ACTIONS = {"follow": _follow, "unfollow": _unfollow}


@routes.post(PAGE + "/{action:follow|unfollow}")
async def act(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _require_editor, ACTIONS[request.match_info["action"]],
                             _page)  # fmt: skip
