"""Running a hub from the browser: its settings (with avatar and header), its members, roles
and pending requests, the posts waiting for moderators, and how deliveries are going. Only its
organisers (or an admin) get here; every change is a CSRF-checked form, every destructive one
asks again on a page of its own, and every change done says so when the page comes back."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.content import render_markdown, sanitize_html
from fedihub.errors import BadRequest
from fedihub.follows import service as follows
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.groups.resharing import read_review_first_posts
from fedihub.groups.store import Queued, Role
from fedihub.hubs.service import read_hub_name, read_join_policy
from fedihub.keys import services_key
from fedihub.media.service import store_upload
from fedihub.moderation import conduct, remote, reporting
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.conduct import clause_choices
from fedihub.moderation.sanctions import service as sanctions
from fedihub.moderation.sanctions.service import Sanction
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
# What the page says after a change (`?done=`); the words are in the template, translated.
DONE = frozenset({"saved", "added", "invited", "role", "removed", "approved", "rejected",
                  "resolved", "reshared"})  # fmt: skip
MAX_SUMMARY_CHARS = 5000


def _held(q: Queued) -> dict[str, str]:
    """A held post as moderators read it: its text sanitised here (the queue keeps the
    activity as it came) and its name, if any."""
    obj = q.activity.get("object")
    obj = obj if isinstance(obj, dict) else {}
    content, name = obj.get("content"), obj.get("name")
    return {"html": sanitize_html(content) if isinstance(content, str) else "",
            "name": name[:200] if isinstance(name, str) else ""}  # fmt: skip


def _with_remote_images(response: web.Response, insecure_http: bool) -> web.Response:
    """Organisers see the avatars of the people they run the hub with, which live on those
    people's servers: this page alone lets images come from elsewhere."""
    policy = response.headers.get("Content-Security-Policy", "")
    sources = "https: http:" if insecure_http else "https:"
    response.headers["Content-Security-Policy"] = policy.replace(
        "img-src 'self'", f"img-src 'self' {sources}"
    )
    return response


async def _manage_page(
    request: web.Request, form: Any, who: Organiser, error: str | None = None, status: int = 200
) -> web.Response:
    hub = who[0]
    svc = request.app[services_key]
    members = await groups.members(svc.db, hub.id)
    follow_requests = await follows.list_followers(svc, hub, "pending")
    queued = await groups.queued(svc.db, hub.id)
    open_reports = await report_store.open_reports(svc.db, hub.id)
    uris = ([m.actor_uri for m in members] + list(follow_requests)
            + [q.actor_uri for q in queued] + [r.reporter_uri for r in open_reports])  # fmt: skip
    done = request.query.get("done", "")
    response = await form_page(
        request, "manage.html", status=status, hub=hub, error=error, form=form or {},
        done=done if done in DONE and error is None else "",
        summary_source=await actors.summary_source(svc.db, hub.id),
        people=await actors.people(svc.db, svc.config.base_url, svc.config.domain, uris),
        members=members, follow_requests=follow_requests,
        queued=[(q, _held(q)) for q in queued], reports=open_reports,
        about=await reports.subjects_of(svc, open_reports),
        clauses=await clause_choices(svc, hub),
        counts=await outbox.delivery_counts(svc.db, hub.id),
        failures=await outbox.recent_failures(svc.db, hub.id, RECENT_FAILURES),
        roles=ROLE_NAMES, policies=POLICY_NAMES,
        review_first_posts=await groups.review_first_posts(svc.db, hub.id),
    )  # fmt: skip
    return _with_remote_images(response, svc.config.insecure_http)


@routes.get("/hubs/{username}/manage")
async def manage_page(request: web.Request) -> web.Response:
    return await _manage_page(request, None, await require_organiser(request))


def _back(hub: LocalActor, done: str) -> str:
    return f"/hubs/{hub.username}/manage?done={done}"


async def _confirm(request: web.Request, form: Any, who: Organiser, question: str) -> web.Response:
    """A destructive action is never one click: its form comes back as a page asking again
    (`question` names the words, in the template), with the same fields and `confirm=yes`."""
    svc = request.app[services_key]
    person = form_text(form, "actor")
    found = await actors.people(svc.db, svc.config.base_url, svc.config.domain, [person])
    fields = {k: v for k, v in form.items() if k not in ("csrf", "confirm") and isinstance(v, str)}
    fields = {k: v for k, v in fields.items() if k not in ("reason", "clause")}
    clauses = await conduct.clause_choices(svc, who[0]) if question == "remove" else []
    return await form_page(request, "manage_confirm.html", hub=who[0], question=question,
                           action=request.path, fields=fields, clauses=clauses, form=form,
                           error=None, person=found[person] if person else None)  # fmt: skip


def _confirmed(form: Any) -> bool:
    return bool(form.get("confirm") == "yes")


async def _image(svc: Any, hub: Any, form: Any, field: str, alt: str) -> str | None:
    data = uploaded_bytes(form, field)
    return (await store_upload(svc, hub, data, alt)).name if data else None


async def _save_settings(request: web.Request, form: Any, who: Organiser) -> str:
    hub = who[0]
    svc = request.app[services_key]
    name = read_hub_name(form_text(form, "name"))
    source = form_text(form, "summary")
    if len(source) > MAX_SUMMARY_CHARS:
        raise BadRequest("the description may be at most %(max)s characters",
                         max=MAX_SUMMARY_CHARS)  # fmt: skip
    settings: dict[str, object] = {
        "name": name,
        "summary": render_markdown(source)[1] if source else "",
        "summary_source": source,
        "timezone": parse_timezone(form_text(form, "timezone", "UTC")).key,
        "languages": parse_languages(form_text(form, "languages", " ".join(hub.languages))),
        "join_policy": read_join_policy(form_text(form, "join_policy", hub.join_policy)),
        "posting_restricted_to_mods": int(form.get("posting_restricted_to_mods") == "on"),
        "review_first_posts": read_review_first_posts(form_text(form, "review_first_posts", "0")),
    }
    for field in ("icon", "header"):
        stored = await _image(svc, hub, form, field, f"{name} ({field})")
        if stored:
            settings[field] = stored
    await groups.set_hub_settings(svc.db, hub.id, **settings)
    return _back(hub, "saved")


@routes.post("/hubs/{username}/manage/settings")
async def save_settings(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _save_settings, _manage_page)


async def _add_person(request: web.Request, form: Any, who: Organiser) -> str:
    """An organiser names someone (@name@server, or a name here): on an invite hub they are
    invited (an Invite goes to them; joining accepts it), elsewhere they become a member now."""
    hub = who[0]
    svc = request.app[services_key]
    role = form_text(form, "role", "member")
    if role not in membership.ROLES:
        raise BadRequest("role: one of %(choices)s", choices=", ".join(membership.ROLES))
    uri = await membership.find_person(svc, form_text(form, "handle"))
    invite = hub.join_policy == "invite"
    by = await local_moderator(svc, who[1], hub)  # a moderating role is logged as a change
    await sanctions.set_role(svc, by, hub, uri, role, invite=invite)
    return _back(hub, "invited" if invite else "added")


@routes.post("/hubs/{username}/manage/people")
async def add_person(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _add_person, _manage_page)


async def _change_member(request: web.Request, form: Any, who: Organiser) -> str | web.Response:
    hub = who[0]
    svc = request.app[services_key]
    actor, action = form_text(form, "actor"), form_text(form, "action")
    if action == "role":
        by = await local_moderator(svc, who[1], hub)
        await sanctions.set_role(svc, by, hub, actor, form_text(form, "role", "member"))
        return _back(hub, "role")
    if action == "remove":
        if not _confirmed(form):
            return await _confirm(request, form, who, "remove")
        said = Sanction(form_text(form, "reason"), form_text(form, "clause"))
        await sanctions.remove_member(
            svc, await local_moderator(svc, who[1], hub), hub, actor, said
        )
        return _back(hub, "removed")
    if action not in ("approve", "reject"):
        raise BadRequest("unknown action")
    if action == "reject" and not _confirmed(form):
        return await _confirm(request, form, who, "reject-request")
    if form.get("kind") == "follow":
        await follows.answer_request(svc, hub, actor, approve=action == "approve")
    else:
        await membership.answer_pending(svc, hub, actor, approve=action == "approve")
    return _back(hub, "approved" if action == "approve" else "rejected")


@routes.post("/hubs/{username}/manage/member")
async def change_member(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _change_member, _manage_page)


async def _resolve_report(request: web.Request, form: Any, who: Organiser) -> str:
    hub, account = who
    report = form_number(form, "report", "which report?")
    svc = request.app[services_key]
    by = await local_moderator(svc, account, hub)
    await reporting.resolve(svc, by, report, form_text(form, "resolution"),
                            form_text(form, "clause"))  # fmt: skip
    return _back(hub, "resolved")


@routes.post("/hubs/{username}/manage/report")
async def resolve_report(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _resolve_report, _manage_page)


async def _decide(request: web.Request, form: Any, who: Organiser) -> str | web.Response:
    hub = who[0]
    item = form_number(form, "item", "which post?")
    approve = form.get("action") == "approve"
    if not approve and not _confirmed(form):
        return await _confirm(request, form, who, "reject-post")
    svc = request.app[services_key]
    by = await local_moderator(svc, who[1], hub)
    await remote.decide(svc, by, hub, item, approve, form_text(form, "reason"))
    return _back(hub, "reshared" if approve else "rejected")


@routes.post("/hubs/{username}/manage/queue")
async def decide(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _decide, _manage_page)
