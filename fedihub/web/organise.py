"""Organisers' pages: start a hub, write any kind of post (with a preview), edit one. The
forms call the same capability functions as the CLI; only a hub's organisers (or an admin)
may post in it or edit it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.service import require_can_act_for
from fedihub.accounts.store import Account
from fedihub.actors.model import JoinPolicy, LocalActor
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import services_key
from fedihub.kinds import parse_draft
from fedihub.media.service import store_upload
from fedihub.posts import render
from fedihub.posts import service as posts
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_text, uploaded_bytes

# How the join policies read on pages (translated there).
POLICY_NAMES: dict[JoinPolicy, str] = {"open": "Anyone may join",
                                       "approval": "A moderator approves",
                                       "invite": "By invitation only"}  # fmt: skip
routes = web.RouteTableDef()
Organiser = tuple[LocalActor, Account]  # a hub, and who acts for it


async def _compose_page(
    request: web.Request, hub: LocalActor, kind: str, text: str, post_id: int | None,
    *, error: str | None = None, preview: Any = None, status: int = 200,
    language: str | None = None,
) -> web.Response:  # fmt: skip
    # Each kind's label and example text come from its module (PostKind).
    kinds = request.app[services_key].kinds
    context = {"hub": hub, "kinds": kinds.names, "kind": kind, "text": text, "error": error,
               "preview": preview, "post_id": post_id,
               "kind_names": {k.name: k.label for k in kinds.kinds},
               "language": language or hub.language}  # fmt: skip
    return await form_page(request, "compose.html", status=status, **context)


async def _new_hub_page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    values = _new_hub_values(form) if form is not None else {}
    return await form_page(request, "hub_new.html", status=status, error=error, values=values,
                           policies=POLICY_NAMES)  # fmt: skip


@routes.get("/hubs/new")
async def new_hub_page(request: web.Request) -> web.Response:
    return await _new_hub_page(request, None, await require_signed_in(request))


def _new_hub_values(form: Any) -> dict[str, str]:
    # Left out (not left blank), languages and join policy take the defaults a new hub has.
    defaults = {"slug": "", "name": "", "summary": "", "timezone": "", "languages": "en",
                "join_policy": "open"}  # fmt: skip
    return {k: form_text(form, k, default) for k, default in defaults.items()}


async def _new_hub(request: web.Request, form: Any, account: Account) -> str:
    values = _new_hub_values(form)
    svc = request.app[services_key]
    await create_hub(svc.db, values["slug"].lower(), name=values["name"],
                     summary=values["summary"], organizer=account,
                     timezone=values["timezone"] or "UTC", languages=values["languages"],
                     join_policy=values["join_policy"], clock=svc.clock)  # fmt: skip
    return f"/hubs/{values['slug'].lower()}"


@routes.post("/hubs/new")
async def new_hub(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_signed_in, _new_hub, _new_hub_page)


async def _uploaded_images(svc: Any, hub: LocalActor, form: Any) -> list[dict[str, Any]]:
    """The form's image, re-encoded and stored, as an attachment; its alt text is required."""
    data = uploaded_bytes(form, "image")
    if data is None:
        return []
    media = await store_upload(svc, hub, data, form_text(form, "alt"))
    return [media.as_attachment(svc.config.base_url)]


async def require_organiser(request: web.Request) -> Organiser:
    account = await require_signed_in(request)
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    await require_can_act_for(request.app[services_key].db, account, hub)  # 403 otherwise
    return hub, account


@routes.get("/hubs/{username}/compose")
async def compose_page(request: web.Request) -> web.Response:
    hub, _ = await require_organiser(request)
    kinds = request.app[services_key].kinds
    asked = request.query.get("kind", "")
    kind = kinds.get(asked) if asked in kinds.names else kinds.kinds[0]
    return await _compose_page(request, hub, kind.name, kind.example, None)


def _draft_of(form: Any) -> tuple[str, str, int | None, str | None]:
    """What the compose form sent: kind, text, the post edited (if any), its language."""
    post_id = int(form["post_id"]) if form_text(form, "post_id").isdigit() else None
    language = form_text(form, "language") or None  # offered when the hub writes in several
    return form_text(form, "kind"), form_text(form, "text"), post_id, language


async def _compose(request: web.Request, form: Any, who: Organiser) -> str | web.Response:
    hub, account = who
    svc = request.app[services_key]
    kind, text, post_id, language = _draft_of(form)
    if "preview" in form:
        # Checked as it would be, not stored.
        draft = parse_draft(kind, text, hub.timezone, language)
        return await _compose_page(request, hub, kind, text, post_id, preview=draft,
                                   language=language)  # fmt: skip
    if post_id is not None:
        post = await posts.edit(svc, hub, post_id, text, language=language)
    else:
        images = await _uploaded_images(svc, hub, form)
        post = await posts.publish(svc, hub, account, kind, text, attachments=images,
                                   language=language)  # fmt: skip
    return render.post_uri(hub.path(), post.id)  # the page, on this site


async def _compose_again(
    request: web.Request, form: Any, who: Organiser, error: str, status: int
) -> web.Response:
    kind, text, post_id, language = _draft_of(form)
    return await _compose_page(request, who[0], kind, text, post_id, error=error, status=status,
                               language=language)  # fmt: skip


@routes.post("/hubs/{username}/compose")
async def compose(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _compose, _compose_again)


@routes.get(r"/hubs/{username}/posts/{post_id:\d{1,18}}/edit")
async def edit_page(request: web.Request) -> web.Response:
    hub, _ = await require_organiser(request)
    post_id = int(request.match_info["post_id"])
    post = await posts.require_post(request.app[services_key], hub, post_id)
    return await _compose_page(request, hub, post.kind, post.source_markdown, post.id,
                               language=post.fields.get("language"))  # fmt: skip
