"""Moderating a person from the browser: a hub's moderators warn, ban, unban or remove someone
(`/hubs/{slug}/moderate/person?actor=…`), the instance's admins suspend or unsuspend an account
here (`/admin/moderate/person?actor=…`). Each form asks for a reason and the clause of the code
it applies, and carries the report it answers when opened from one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, NotFound
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.moderation import conduct
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.sanctions import service as sanctions
from fedihub.moderation.sanctions.service import Sanction
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_number, form_text

routes = web.RouteTableDef()
HubModerator = tuple[LocalActor, Account, Moderator]
DONE = frozenset({"warn", "ban", "unban", "remove", "suspend", "unsuspend"})


def _actor(request: web.Request, form: Any) -> str:
    actor = form_text(form, "actor") if form else request.query.get("actor", "").strip()
    if not actor.startswith(("https://", "http://")) or len(actor) > 2000:
        raise BadRequest("%(uri)r is not an actor id (https://…)", uri=actor[:200])
    return actor


def _report(request: web.Request, form: Any) -> int | None:
    given = form_text(form, "report") if form else request.query.get("report", "")
    return form_number({"report": given}, "report", "which report?") if given else None


def _said(form: Any) -> Sanction:
    report = form_text(form, "report")
    return Sanction(form_text(form, "reason"), form_text(form, "clause"),
                    form_number(form, "report", "which report?") if report else None)  # fmt: skip


def _back(path: str, actor: str, done: str) -> str:
    return f"{path}?actor={quote(actor, safe='')}&done={done}"


async def _page(
    request: web.Request, form: Any, hub: LocalActor | None, error: str | None, status: int,
    **context: Any,
) -> web.Response:  # fmt: skip
    svc = request.app[services_key]
    actor = _actor(request, form)
    people = await actors.people(svc.db, svc.config.base_url, svc.config.domain, [actor])
    done = request.query.get("done", "")
    return await form_page(
        request, "moderate_person.html", status=status, hub=hub, actor=actor,
        person=people[actor], error=error, form=form or {}, report=_report(request, form),
        done=done if done in DONE and error is None else "",
        clauses=await conduct.clause_choices(svc, hub), **context,
    )  # fmt: skip


# A hub's moderators


async def require_hub_moderator(request: web.Request) -> HubModerator:
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    return hub, account, await local_moderator(svc, account, hub)  # 403 otherwise


async def _hub_page(
    request: web.Request, form: Any, who: HubModerator, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    hub = who[0]
    actor = _actor(request, form)
    return await _page(request, form, hub, error, status,
                       standing=await sanctions.standing(svc, hub, actor),
                       posts=await sanctions.recent_posts(svc, hub, actor))  # fmt: skip


@routes.get("/hubs/{username}/moderate/person")
async def hub_person_page(request: web.Request) -> web.Response:
    return await _hub_page(request, None, await require_hub_moderator(request))


async def _act_in_hub(request: web.Request, form: Any, who: HubModerator) -> str:
    hub, _, by = who
    svc = request.app[services_key]
    actor, action = _actor(request, form), form_text(form, "action")
    if action == "warn":
        await sanctions.warn(svc, by, hub, actor, _said(form))
    elif action == "ban":
        days = sanctions.read_days(form_text(form, "days"))
        await sanctions.ban(svc, by, hub, actor, _said(form), days)
    elif action == "unban":
        await sanctions.unban(svc, by, hub, actor, _said(form))
    elif action == "remove":
        await sanctions.remove_member(svc, by, hub, actor, _said(form))
    else:
        raise BadRequest("unknown action")
    return _back(request.path, actor, action)


@routes.post("/hubs/{username}/moderate/person")
async def hub_person_act(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_hub_moderator, _act_in_hub, _hub_page)


# The instance's admins


async def require_admin_moderator(request: web.Request) -> Moderator:
    account = await require_signed_in(request)
    return await local_moderator(request.app[services_key], account, None)  # 403 otherwise


async def _local_account(request: web.Request, actor: str) -> Account | None:
    svc = request.app[services_key]
    local = await actors.actor_for_uri(svc.db, svc.config.base_url, actor)
    if local is None or local.kind != "person":
        return None
    return await sanctions.account_named(svc, local.username)


async def _admin_page(
    request: web.Request, form: Any, who: Moderator, error: str | None = None, status: int = 200
) -> web.Response:
    account = await _local_account(request, _actor(request, form))
    return await _page(request, form, None, error, status, subject=account)


@routes.get("/admin/moderate/person")
async def admin_person_page(request: web.Request) -> web.Response:
    return await _admin_page(request, None, await require_admin_moderator(request))


async def _act_as_admin(request: web.Request, form: Any, by: Moderator) -> str:
    svc = request.app[services_key]
    actor, action = _actor(request, form), form_text(form, "action")
    account = await _local_account(request, actor)
    if account is None:
        raise NotFound("There is no account %(handle)s on this server.", handle=actor)
    if action == "suspend":
        await sanctions.suspend(svc, by, account, _said(form))
    elif action == "unsuspend":
        await sanctions.unsuspend(svc, by, account, _said(form))
    else:
        raise BadRequest("unknown action")
    return _back(request.path, actor, action)


@routes.post("/admin/moderate/person")
async def admin_person_act(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_admin_moderator, _act_as_admin, _admin_page)
