"""Running a hub from the browser: its settings (with avatar and header), its members, roles
and pending requests, the posts waiting for moderators, and how deliveries are going. Only its
organisers (or an admin) get here; every change is a CSRF-checked form."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.actors.model import LocalActor
from fedihub.content import render_markdown
from fedihub.errors import BadRequest
from fedihub.follows import service as follows
from fedihub.groups import membership, resharing
from fedihub.groups import store as groups
from fedihub.groups.store import Role
from fedihub.hubs.service import read_hub_name, read_join_policy
from fedihub.keys import services_key
from fedihub.media.service import store_upload
from fedihub.outbox import store as outbox
from fedihub.posts.fieldreaders import parse_languages, parse_timezone
from fedihub.reports import service as reports
from fedihub.reports import store as report_store
from fedihub.web.auth import form_action, form_page
from fedihub.web.forms import form_number, form_text, uploaded_bytes
from fedihub.web.organise import POLICY_NAMES, Organiser, require_organiser

routes = web.RouteTableDef()
RECENT_FAILURES = 20
# What people read for each policy and role; translated in the template.
ROLE_NAMES: dict[Role, str] = {"admin": "Admin", "moderator": "Moderator", "member": "Member"}


async def _manage_page(
    request: web.Request, form: Any, who: Organiser, error: str | None = None, status: int = 200
) -> web.Response:
    hub = who[0]
    svc = request.app[services_key]
    return await form_page(
        request, "manage.html", status=status, hub=hub, error=error,
        members=await groups.members(svc.db, hub.id),
        follow_requests=await follows.list_followers(svc, hub, "pending"),
        queued=await groups.queued(svc.db, hub.id),
        reports=await report_store.open_reports(svc.db, hub.id),
        counts=await outbox.delivery_counts(svc.db, hub.id),
        failures=await outbox.recent_failures(svc.db, hub.id, RECENT_FAILURES),
        roles=ROLE_NAMES, policies=POLICY_NAMES,
    )  # fmt: skip


@routes.get("/hubs/{username}/manage")
async def manage_page(request: web.Request) -> web.Response:
    return await _manage_page(request, None, await require_organiser(request))


def _back(hub: LocalActor) -> str:
    return f"/hubs/{hub.username}/manage"


async def _image(svc: Any, hub: Any, form: Any, field: str, alt: str) -> str | None:
    data = uploaded_bytes(form, field)
    return (await store_upload(svc, hub, data, alt)).name if data else None


async def _save_settings(request: web.Request, form: Any, who: Organiser) -> str:
    hub = who[0]
    svc = request.app[services_key]
    name = read_hub_name(form_text(form, "name"))
    settings: dict[str, object] = {
        "name": name,
        "summary": render_markdown(form_text(form, "summary"))[1],
        "timezone": parse_timezone(form_text(form, "timezone", "UTC")).key,
        "languages": parse_languages(form_text(form, "languages", " ".join(hub.languages))),
        "join_policy": read_join_policy(form_text(form, "join_policy", hub.join_policy)),
        "posting_restricted_to_mods": int(form.get("posting_restricted_to_mods") == "on"),
    }
    for field in ("icon", "header"):
        stored = await _image(svc, hub, form, field, f"{name} ({field})")
        if stored:
            settings[field] = stored
    await groups.set_hub_settings(svc.db, hub.id, **settings)
    return _back(hub)


@routes.post("/hubs/{username}/manage/settings")
async def save_settings(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _save_settings, _manage_page)


async def _change_member(request: web.Request, form: Any, who: Organiser) -> str:
    hub = who[0]
    svc = request.app[services_key]
    actor, action = form_text(form, "actor"), form_text(form, "action")
    if action == "role":
        await membership.set_member(svc, hub, actor, role=form_text(form, "role", "member"))
    elif action == "remove":
        await membership.left(svc, hub, actor)
    elif action in ("approve", "reject"):
        if form.get("kind") == "follow":
            await follows.answer_request(svc, hub, actor, approve=action == "approve")
        else:
            await membership.answer_pending(svc, hub, actor, approve=action == "approve")
    else:
        raise BadRequest("unknown action")
    return _back(hub)


@routes.post("/hubs/{username}/manage/member")
async def change_member(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _change_member, _manage_page)


async def _resolve_report(request: web.Request, form: Any, who: Organiser) -> str:
    hub, account = who
    report = form_number(form, "report", "which report?")
    await reports.resolve(request.app[services_key], report, hub.id, account.actor.username,
                          form_text(form, "resolution"))  # fmt: skip
    return _back(hub)


@routes.post("/hubs/{username}/manage/report")
async def resolve_report(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _resolve_report, _manage_page)


async def _decide(request: web.Request, form: Any, who: Organiser) -> str:
    hub = who[0]
    item = form_number(form, "item", "which post?")
    await resharing.decide_queued(request.app[services_key], hub, item,
                                  form.get("action") == "approve")  # fmt: skip
    return _back(hub)


@routes.post("/hubs/{username}/manage/queue")
async def decide(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _decide, _manage_page)
