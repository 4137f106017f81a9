"""A hub's moderators remove a post from it: `GET /hubs/{slug}/moderate/post?object=URI`
shows the post and asks why (a reason, the clause of the code it applies; `report=ID` when
acting on a report, which the removal resolves), and the form's POST removes it
(moderation/removal.py, as `fedihub hub remove-post` does)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.actors.model import LocalActor
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.moderation import conduct, removal
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.network import store as network
from fedihub.network.present import present
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_text

routes = web.RouteTableDef()
PATH = "/hubs/{username}/moderate/post"
Acting = tuple[LocalActor, Moderator]


async def require_moderator(request: web.Request) -> Acting:
    """The hub in the path and the signed-in account as its moderator (403 otherwise)."""
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    return hub, await local_moderator(svc, account, hub)


def _report(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


async def _page(
    request: web.Request, form: Any, who: Acting, error: str | None = None, status: int = 200
) -> web.Response:
    hub = who[0]
    svc = request.app[services_key]
    form = form or {}
    object_uri = form_text(form, "object") if form else request.query.get("object", "")
    own, _ = await removal.what_it_is(svc, hub, object_uri)  # 404: not this hub's to remove
    shown = None if own is not None else await network.document(svc.db, object_uri)
    return await form_page(
        request,
        "moderate_post.html",
        status=status,
        hub=hub,
        error=error,
        form=form,
        object_uri=object_uri,
        own=own,
        item=present(shown) if shown else None,
        report=form_text(form, "report") if form else request.query.get("report", ""),
        clauses=await conduct.clause_choices(svc, hub),
    )


@routes.get(PATH)
async def moderate_post_page(request: web.Request) -> web.Response:
    return await _page(request, None, await require_moderator(request))


async def _remove(request: web.Request, form: Any, who: Acting) -> str:
    hub, by = who
    svc = request.app[services_key]
    reason, clause = await removal.read_grounds(
        svc, hub, form_text(form, "reason"), form_text(form, "clause")
    )
    await removal.remove_post(
        svc,
        by,
        hub,
        form_text(form, "object"),
        reason=reason,
        clause=clause,
        report_id=_report(form_text(form, "report")),
    )
    return f"/hubs/{hub.username}?done=removed"


@routes.post(PATH)
async def remove_post(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_moderator, _remove, _page)
