"""Appeals from the browser: the person an action was about appeals it at
/moderation/ENTRY/appeal (signed in, or with their username and password, since a suspended
account cannot sign in: no session is started for them), and moderators review open appeals at
/hubs/SLUG/appeals (a hub's actions) and /admin/appeals (the instance's)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import Conflict, FedihubError, Forbidden
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.moderation.appeals import service as appeals
from fedihub.moderation.appeals import store
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.store import Entry
from fedihub.web.auth import (
    current_account,
    form_action,
    form_page,
    password_holder,
    require_signed_in,
)
from fedihub.web.forms import form_number, form_text
from fedihub.web.respond import in_their_words

routes = web.RouteTableDef()
ENTRY = r"{entry_id:[0-9]{1,18}}"


def _entry_id(request: web.Request) -> int:
    return int(request.match_info["entry_id"])


async def _scope_name(request: web.Request, entry: Entry) -> str:
    """The hub an action was taken in, by name ('' for the instance's admins)."""
    if entry.hub_id is None:
        return ""
    hub = await actors.get_actor_by_id(request.app[services_key].db, entry.hub_id)
    return hub.name if hub is not None else ""


async def _appeal_page(
    request: web.Request,
    form: Any,
    who: Account | None,
    error: str | None = None,
    status: int = 200,
    *,
    shown: store.Appeal | None = None,
) -> web.Response:
    """The action, and the form to appeal it or (`shown`, or the signed-in appellant's own)
    the appeal's state. The form comes back with what was typed, never the password."""
    svc = request.app[services_key]
    entry = await appeals.entry_of(svc, _entry_id(request))
    appeal, refusal = shown, None
    if who is not None and appeal is None:
        appeals.check_affected(entry, who.actor.uri(svc.config.base_url))
        appeal = await store.of_entry(svc.db, entry.id)
    if appeal is None:
        try:
            await appeals.check_appealable(svc, entry)
        except FedihubError as e:
            refusal = in_their_words(request, e)
    return await form_page(
        request, "appeal.html", status=status, error=error, entry=entry, appeal=appeal,
        refusal=refusal, action_name=appeals.APPEALABLE.get(entry.action, entry.action),
        scope=await _scope_name(request, entry), signed_in=who is not None,
        # The decision names whom it is about: shown only to them (signed in, or having given
        # their password), never to a passer-by, whom the public log names by instance policy.
        details=who is not None or shown is not None,
        text=form_text(form, "text") if form is not None else "",
        username=form_text(form, "username") if form is not None else "",
        max_chars=appeals.MAX_APPEAL_CHARS,
    )  # fmt: skip


@routes.get(f"/moderation/{ENTRY}/appeal")
async def appeal_page(request: web.Request) -> web.Response:
    return await _appeal_page(request, None, await current_account(request))


async def _maybe_signed_in(request: web.Request) -> Account | None:
    return await current_account(request)


async def _password_account(request: web.Request, form: Any) -> Account:
    """The account whose username and password the form holds, under sign-in's throttle; no
    session is started (a suspended account may not have one)."""
    account = await password_holder(request, form_text(form, "username").lower(),
                                    form_text(form, "password", strip=False))  # fmt: skip
    if account is None:
        raise Forbidden("That username and password do not match.")
    return account


async def _appeal(request: web.Request, form: Any, who: Account | None) -> str | web.Response:
    svc = request.app[services_key]
    account = who or await _password_account(request, form)
    entry_id = _entry_id(request)
    entry = await appeals.entry_of(svc, entry_id)
    appeals.check_affected(entry, account.actor.uri(svc.config.base_url))
    existing = await store.of_entry(svc.db, entry_id)
    if existing is None:
        try:
            existing = await appeals.appeal_from_account(svc, account, entry_id,
                                                         form_text(form, "text"))  # fmt: skip
        except Conflict:  # appealed a moment ago, in another tab, or undone since
            existing = await store.of_entry(svc.db, entry_id)
            if existing is None:
                raise
    if who is not None:
        return request.path  # the page shows a signed-in appellant their appeal
    return await _appeal_page(request, None, None, shown=existing)


@routes.post(f"/moderation/{ENTRY}/appeal")
async def appeal(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _maybe_signed_in, _appeal, _appeal_page)


# Reviewing: a hub's moderators (and admins) for its actions, admins for the instance's.
Reviewer = tuple[LocalActor | None, Account]


async def _hub_reviewer(request: web.Request) -> Reviewer:
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    await local_moderator(svc, account, hub)  # 403 otherwise
    return hub, account


async def _admin_reviewer(request: web.Request) -> Reviewer:
    account = await require_signed_in(request)
    await local_moderator(request.app[services_key], account, None)  # 403 otherwise
    return None, account


async def _appeals_page(
    request: web.Request, form: Any, who: Reviewer, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    hub, account = who
    waiting = await appeals.open_for(svc, hub)
    people = await actors.people(svc.db, svc.config.base_url, svc.config.domain,
                                 [a.appellant_uri for a, _ in waiting])  # fmt: skip
    done = request.query.get("done", "")
    return await form_page(
        request, "appeals.html", status=status, error=error, hub=hub, waiting=waiting,
        people=people, me=account.actor.uri(svc.config.base_url), names=appeals.APPEALABLE,
        form=form or {}, done=done if done in ("upheld", "overturned", "undone") else "",
        action=request.path,
    )  # fmt: skip


async def _decide(request: web.Request, form: Any, who: Reviewer) -> str:
    hub, account = who
    appeal_id = form_number(form, "appeal", "which appeal?")
    decided, undone = await appeals.decide(request.app[services_key], account, hub, appeal_id,
                                           form_text(form, "decision"),
                                           form_text(form, "note"))  # fmt: skip
    return f"{request.path}?done={'undone' if undone else decided.decision}"


@routes.get("/hubs/{username}/appeals")
async def hub_appeals(request: web.Request) -> web.Response:
    return await _appeals_page(request, None, await _hub_reviewer(request))


@routes.post("/hubs/{username}/appeals")
async def hub_decide(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _hub_reviewer, _decide, _appeals_page)


@routes.get("/admin/appeals")
async def admin_appeals(request: web.Request) -> web.Response:
    return await _appeals_page(request, None, await _admin_reviewer(request))


@routes.post("/admin/appeals")
async def admin_decide(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _admin_reviewer, _decide, _appeals_page)
