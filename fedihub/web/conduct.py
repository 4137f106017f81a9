"""Codes of conduct for people: the instance's and each hub's, every version readable; editing
them (admins the instance's, a hub's moderators its own) with a preview of the clauses
moderators will cite; and accepting them, explicitly and by version, before joining a hub."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors.model import LocalActor
from fedihub.content import render_markdown
from fedihub.errors import BadRequest, Forbidden, NotFound
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.moderation import conduct
from fedihub.moderation import store as codes
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.store import Code
from fedihub.services import Services
from fedihub.web.auth import current_account, form_action, form_page, require_signed_in
from fedihub.web.forms import form_text
from fedihub.web.respond import html, in_their_words

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Shown:
    """A code as a page shows it: which version, its text as HTML, and when it was written."""

    code: Code
    title: str | None
    html: str


def shown(code: Code) -> Shown:
    title, body = render_markdown(code.text)
    return Shown(code, title, body)


def _version(request: web.Request) -> int | None:
    given = request.query.get("version")
    if given is None:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", given) or int(given) < 1:
        raise BadRequest("version: a whole number from 1")
    return int(given)


async def _scope_page(svc: Services, hub: LocalActor | None, version: int | None) -> dict[str, Any]:
    """A scope's code (a version asked for, else the current one) and its versions."""
    scope = conduct.scope_of(hub)
    history = await codes.code_history(svc.db, scope)
    if version is not None:
        chosen = next((c for c in history if c.version == version), None)
        if chosen is None:
            raise NotFound("there is no version %(version)s of this code of conduct",
                           version=version)  # fmt: skip
    else:
        chosen = history[0] if history else None
    return {"code": shown(chosen) if chosen else None, "history": history,
            "latest": history[0].version if history else None}  # fmt: skip


@routes.get("/conduct")
async def instance_code(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    return html(
        request,
        "conduct.html",
        hub=None,
        own=None,
        instance=await _scope_page(svc, None, _version(request)),
    )


@routes.get("/hubs/{username}/conduct")
async def hub_code(request: web.Request) -> web.Response:
    """The hub's own code (`?version=` one of its versions) and the instance's, which holds in
    every hub."""
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    own = await _scope_page(svc, hub, _version(request))
    account = await current_account(request)
    try:
        can_edit = account is not None and bool(await local_moderator(svc, account, hub))
    except Forbidden:
        can_edit = False
    return html(
        request,
        "conduct.html",
        hub=hub,
        own=own,
        can_edit=can_edit,
        instance=await _scope_page(svc, None, None),
    )


# Editing. Who may: the instance's admins its code, a hub's moderators (and admins) the hub's.

Editor = tuple[LocalActor | None, Moderator]


async def _instance_editor(request: web.Request) -> Editor:
    account = await require_signed_in(request)
    return None, await local_moderator(request.app[services_key], account, None)


async def _hub_editor(request: web.Request) -> Editor:
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    return hub, await local_moderator(svc, account, hub)


def _edit_path(hub: LocalActor | None) -> str:
    return "/admin/conduct" if hub is None else f"/hubs/{hub.username}/manage/conduct"


def _page_path(hub: LocalActor | None) -> str:
    return "/conduct" if hub is None else f"/hubs/{hub.username}/conduct"


async def _edit_page(
    request: web.Request, form: Any, who: Editor, error: str | None = None, status: int = 200
) -> web.Response:
    hub = who[0]
    svc = request.app[services_key]
    current = await conduct.current(svc, hub)
    text = form_text(form, "text", strip=False) if form is not None else (
        current.text if current else "")  # fmt: skip
    preview = None
    if form is not None and error is None:  # a preview: the code as it would read
        draft = Code(conduct.scope_of(hub), (current.version if current else 0) + 1, text, 0, "")
        where = "instance" if hub is None else "hub"
        preview = {"shown": shown(draft), "clauses": conduct.clauses(draft, where)}
    done = request.query.get("saved", "")
    return await form_page(request, "conduct_edit.html", status=status, hub=hub, error=error,
                           text=text, current=current, preview=preview,
                           saved=done if done.isdigit() and error is None else "",
                           action=_edit_path(hub), page=_page_path(hub))  # fmt: skip


async def _save(request: web.Request, form: Any, who: Editor) -> str | web.Response:
    hub, moderator = who
    svc = request.app[services_key]
    text = form_text(form, "text", strip=False)
    if form_text(form, "action") == "preview":
        conduct.read_code(text)  # too long or empty says so now, not at saving
        render_markdown(text)
        return await _edit_page(request, form, who)
    version = await conduct.set_code(svc, moderator, hub, text)
    return f"{_edit_path(hub)}?saved={version}"


@routes.get("/admin/conduct")
async def instance_edit_page(request: web.Request) -> web.Response:
    return await _edit_page(request, None, await _instance_editor(request))


@routes.post("/admin/conduct")
async def instance_save(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _instance_editor, _save, _edit_page)


@routes.get("/hubs/{username}/manage/conduct")
async def hub_edit_page(request: web.Request) -> web.Response:
    return await _edit_page(request, None, await _hub_editor(request))


@routes.post("/hubs/{username}/manage/conduct")
async def hub_save(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _hub_editor, _save, _edit_page)


# Accepting. A code someone has not accepted in its current version is shown before they join;
# the form carries the version they read, so a code changed meanwhile is asked again.


@dataclass(frozen=True)
class ToAccept:
    field: str  # the form's names: accept_<field>, version_<field>
    hub: LocalActor | None
    shown: Shown


async def still_to_accept(svc: Services, actor_uri: str, hub: LocalActor | None) -> list[ToAccept]:
    """The codes `actor_uri` must accept before joining `hub` (None: signing up)."""
    found = []
    for field, scope in (("hub", hub), ("instance", None)) if hub else (("instance", None),):
        code = await conduct.still_to_accept(svc, actor_uri, scope)
        if code is not None:
            found.append(ToAccept(field, scope, shown(code)))
    return found


def accepted_in(form: Any, needed: list[ToAccept]) -> None:
    """Every code shown was ticked, in the version now current: BadRequest otherwise."""
    for item in needed:
        ticked = form is not None and form_text(form, f"accept_{item.field}") == "yes"
        version = form_text(form, f"version_{item.field}") if form is not None else ""
        conduct.check_acceptance(item.shown.code, ticked, version)


async def record_acceptances(svc: Services, actor_uri: str, needed: list[ToAccept]) -> None:
    for item in needed:
        await conduct.accept(svc, actor_uri, item.hub, item.shown.code.version)


async def join_after_accepting(
    request: web.Request, form: Any, svc: Services, hub: LocalActor, account: Account
) -> web.Response | None:
    """Before an account joins `hub`: a page showing the codes it has still to accept (None
    when there are none, or they were accepted now, which is recorded)."""
    person = account.actor.uri(svc.config.base_url)
    needed = await still_to_accept(svc, person, hub)
    if not needed:
        return None
    asked = form is not None and "accept_asked" in form
    try:
        accepted_in(form, needed)
    except BadRequest as e:
        error = in_their_words(request, e) if asked else None
        return await form_page(request, "join_conduct.html", status=400 if asked else 200,
                               hub=hub, needed=needed, error=error)  # fmt: skip
    await record_acceptances(svc, person, needed)
    return None
