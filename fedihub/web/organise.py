"""Organisers' pages: start a hub, write any kind of post (with a preview), edit one. The
forms call the same capability functions as the CLI; only a hub's organisers (or an admin)
may post in it or edit it."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fedihub.accounts.service import require_can_act_for
from fedihub.accounts.store import Account
from fedihub.actors.model import JoinPolicy, LocalActor
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import services_key, templates_key
from fedihub.media.service import store_upload, stored_upload
from fedihub.newswire import intake
from fedihub.posts import fieldreaders as read
from fedihub.posts import formfields, render
from fedihub.posts import service as posts
from fedihub.posts.formfields import MAX_ROWS, PREFIX, Values, values_of
from fedihub.posts.frontmatter import split_front_matter
from fedihub.posts.kind import NEWSWIRE_KEY, PostDraft, PostKind, PostKinds, parse_draft
from fedihub.posts.store import Post
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_text, uploaded_bytes
from fedihub.web.posts import page_part_of
from fedihub.web.respond import reader_words

# How the join policies read on pages (translated there).
POLICY_NAMES: dict[JoinPolicy, str] = {"open": "Anyone may join",
                                       "approval": "A moderator approves",
                                       "invite": "By invitation only"}  # fmt: skip
routes = web.RouteTableDef()
# The compose form as read, for showing it again after an error.
COMPOSE_KEY: web.RequestKey[object] = web.RequestKey("compose")
ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
WEEKDAY_NAMES = (("MO", "Monday"), ("TU", "Tuesday"), ("WE", "Wednesday"), ("TH", "Thursday"),
                 ("FR", "Friday"), ("SA", "Saturday"), ("SU", "Sunday"))  # fmt: skip
Organiser = tuple[LocalActor, Account]  # a hub, and who acts for it


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


async def require_organiser(request: web.Request) -> Organiser:
    account = await require_signed_in(request)
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    await require_can_act_for(request.app[services_key].db, account, hub)  # 403 otherwise
    return hub, account


# Writing a post. Each kind's form comes from its declaration (PostKind.form, posts/formfields):
# its values become the front matter a file would have, and the text goes the CLI's way
# (posts.publish/edit). "Write as a file" shows that text for people who prefer it. A preview, an
# error, more rows or another kind shows the page again with everything that was typed: the
# image too, stored once and carried by its name.
MODES = ("form", "file")
MORE_ROWS = 3


@dataclass
class Compose:
    """What the compose page shows and sends back."""

    kind: PostKind
    mode: str = "form"
    title: str = ""
    body: str = ""
    text: str = ""  # the whole file, in the file mode
    values: Values = field(default_factory=dict)
    language: str | None = None
    post_id: int | None = None
    media: str = ""  # an image stored already (on a preview or an error), by its name
    alt: str = ""
    more: dict[str, int] = field(default_factory=dict)  # rows added to repeated fields
    newswire: bool = False  # a new hub post: also send it to the instance's newswire


def _compose_state(form: Any, kinds: PostKinds) -> Compose:
    post_id = (
        int(form["post_id"]) if re.fullmatch(r"[0-9]{1,18}", form_text(form, "post_id")) else None
    )
    mode = form_text(form, "mode") or ("file" if "text" in form else "form")  # a script's post
    more = {}
    for key in form:
        if isinstance(key, str) and key.startswith("more."):
            count = read.whole_number(form_text(form, key))
            more[key[5:]] = min(count or 0, MAX_ROWS)
    return Compose(
        kinds.get(form_text(form, "kind")),
        mode if mode in MODES else "form",
        form_text(form, "title"),
        form_text(form, "body", strip=False),
        form_text(form, "text"),
        values_of(form),
        form_text(form, "language") or None,  # offered when the hub writes in several
        post_id,
        form_text(form, "media"),
        form_text(form, "alt"),
        more,
        form_text(form, "newswire") == "yes",
    )


def _text(state: Compose, hub: LocalActor) -> str:
    """The post as a file, whichever way it was written."""
    if state.mode == "file":
        return state.text
    meta = formfields.form_meta(state.kind.form, state.values, hub.timezone)
    return formfields.form_text(meta, state.title, state.body)


def _from_text(state: Compose, text: str, hub: LocalActor) -> None:
    """The form's fields filled from a file (an edited post, or the file mode)."""
    meta, state.title, state.body = formfields.read_text(text)
    state.values = formfields.form_values(state.kind.form, meta, hub.timezone)
    state.text = text


def _rows(state: Compose) -> dict[str, int]:
    """How many rows each repeated field shows: what was typed, some empty ones, more asked."""
    rows = {}
    for f in state.kind.form:
        key = PREFIX + f.name + (".task" if f.input == "actions" else "")
        filled = len([v for v in state.values.get(key, []) if v.strip()])
        wanted = max(filled + 1, f.rows) + MORE_ROWS * state.more.get(f.name, 0)
        rows[f.name] = min(wanted, MAX_ROWS)
    return rows


async def _compose_page(
    request: web.Request, hub: LocalActor, state: Compose, *, error: str | None = None,
    preview: dict[str, Any] | None = None, status: int = 200,
) -> web.Response:  # fmt: skip
    svc = request.app[services_key]
    kinds = svc.kinds
    zone_guess = hub.timezone in ("", "UTC")  # no zone of its own: the browser's (compose.js)
    context = {"hub": hub, "kinds": kinds.names, "kind": state.kind.name, "state": state,
               "fields": state.kind.form_for(svc.config), "values": state.values,
               "suggestions": await state.kind.suggestions(svc.db, hub),
               "rows": _rows(state),
               "text": state.text, "error": error, "preview": preview, "post_id": state.post_id,
               "kind_names": {k.name: k.label for k in kinds.kinds}, "zones": ZONES,
               "zone_guess": zone_guess, "hub_timezone": hub.timezone or "UTC",
               "weekdays": WEEKDAY_NAMES,
               "media_url": f"/media/{state.media}" if state.media else None,
               "language": state.language or hub.language}  # fmt: skip
    return await form_page(request, "compose.html", status=status, **context)


@routes.get("/hubs/{username}/compose")
async def compose_page(request: web.Request) -> web.Response:
    hub, _ = await require_organiser(request)
    kinds = request.app[services_key].kinds
    asked = request.query.get("kind", "")
    kind = kinds.get(asked) if asked in kinds.names else kinds.kinds[0]
    state = Compose(kind, text=kind.example)
    state.values = {PREFIX + f.name: [f.default] for f in kind.form if f.default}
    if request.query.get("mode") == "file" or (kind.form == () and kind.allowed != {"title"}):
        state.mode = "file"  # a kind that declares no form is written as a file
    return await _compose_page(request, hub, state)


async def _image(svc: Any, hub: LocalActor, form: Any, state: Compose) -> list[dict[str, Any]]:
    """The form's image as an attachment: uploaded now (stored, and carried from then on by its
    name) or earlier; its description is required."""
    data = uploaded_bytes(form, "image")
    if data is not None:
        media = await store_upload(svc, hub, data, state.alt)
        state.media = media.name
    elif state.media:
        found = await stored_upload(svc, hub, state.media, state.alt)
        if found is None:
            state.media = ""
            raise BadRequest("the image is no longer kept: choose it again")
        media = found
    else:
        return []
    return [media.as_attachment(svc.config.base_url)]


def _warnings(
    kind: PostKind, draft: PostDraft, text: str, now: float, from_example: bool
) -> list[str]:
    """What looks like a mistake, said before publishing (the post may still be published).
    The example's dates are a mistake only in a text that began as the example (a new post
    written as a file): a date typed in the form is the person's, even when it is the same."""
    warnings = []
    if draft.starts_at is not None and draft.starts_at < now:
        warnings.append("It starts in the past: check the date.")
    if kind.is_question and draft.ends_at is not None and draft.ends_at <= now:
        warnings.append("Voting would close in the past: people could not vote.")
    if not from_example or not kind.example.startswith("---"):
        return warnings
    example, _ = split_front_matter(kind.example)
    meta, _ = split_front_matter(text)
    for key in ("start", "closes", "meeting_date"):
        if key in example and str(meta.get(key, "")).replace("T", " ") == example[key]:
            warnings.append("The date is still the example's: check it.")
            break
    return warnings


async def _preview(
    request: web.Request, hub: LocalActor, state: Compose, draft: PostDraft,
    images: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """The draft as its page will show it: the post page's own parts (the kind's page_template
    and its render), on a post that is not stored."""
    svc = request.app[services_key]
    now = svc.clock.now()
    fields = {**draft.fields, **({"attachments": images} if images else {})}
    post = Post(0, hub.id, None, draft.kind, draft.title, draft.source_markdown,
                draft.content_html, fields, draft.starts_at, draft.ends_at, draft.status, None,
                now, None, None)  # fmt: skip
    hub_uri = hub.uri(svc.config.base_url)
    # In the reader's words, as the post's page will show it to them.
    obj = render.post_object(hub_uri, post, state.kind, language=state.language or hub.language,
                             reader=reader_words(request))  # fmt: skip
    page: dict[str, Any] = {"take_part_open": False, "mine": None}
    page.update(await state.kind.page(svc.db, post, None, now))
    page["take_part_open"] = False  # nobody takes part in a preview
    return {"obj": obj, "post": post, "summary": obj.get("summary"), "page": page,
            "hub_uri": hub_uri,
            "page_part": page_part_of(request.app[templates_key], state.kind)}  # fmt: skip


async def _compose(request: web.Request, form: Any, who: Organiser) -> str | web.Response:
    hub, account = who
    svc = request.app[services_key]
    state = _compose_state(form, svc.kinds)
    request[COMPOSE_KEY] = state  # shown again, as it is by now, if anything below refuses
    images = await _image(svc, hub, form, state) if state.post_id is None else []
    asked_kind = form_text(form, "to_kind")
    if asked_kind and state.post_id is None:  # another kind, keeping title, body and language
        state.kind = svc.kinds.get(asked_kind)
        if state.mode == "file":
            _, state.title, state.body = formfields.read_text(state.text)
        state.mode = "form"
        return await _compose_page(request, hub, state)
    asked_mode = form_text(form, "to_mode")
    if asked_mode in MODES and asked_mode != state.mode:
        if asked_mode == "file":
            state.text = _text(state, hub)
        else:
            _from_text(state, state.text, hub)
        state.mode = asked_mode
        return await _compose_page(request, hub, state)
    more = form_text(form, "more")
    if more:
        state.more[more] = min(state.more.get(more, 0) + 1, MAX_ROWS)
        return await _compose_page(request, hub, state)
    text = _text(state, hub)
    if "preview" in form:
        draft = parse_draft(svc.kinds.get(state.kind.name), text, hub.timezone, state.language)
        draft = await state.kind.prepare(svc, hub, draft)
        preview = await _preview(request, hub, state, draft, images)
        from_example = state.mode == "file" and state.post_id is None
        preview["warnings"] = _warnings(state.kind, draft, text, svc.clock.now(), from_example)
        return await _compose_page(request, hub, state, preview=preview)
    if state.post_id is not None:
        post = await posts.edit(svc, hub, state.post_id, text, language=state.language)
    else:
        draft = parse_draft(state.kind, text, hub.timezone, state.language)
        if (
            state.kind.is_question
            and draft.ends_at is not None
            and draft.ends_at <= svc.clock.now()
        ):
            raise BadRequest("closes: voting would close in the past; choose a later time")
        post = await posts.publish(svc, hub, account, state.kind.name, text, attachments=images,
                                   language=state.language)  # fmt: skip
        sent_on = state.newswire or read.flag(split_front_matter(text)[0], NEWSWIRE_KEY)
        if sent_on and hub.kind == "group":
            await intake.submit_post(svc, hub, post)
    return render.post_uri(hub.path(), post.id)  # the page, on this site


async def _compose_again(
    request: web.Request, form: Any, who: Organiser, error: str, status: int
) -> web.Response:
    state = request.get(COMPOSE_KEY)
    if not isinstance(state, Compose):  # refused before it was read (an unknown kind)
        kinds = request.app[services_key].kinds
        state = Compose(kinds.kinds[0], title=form_text(form, "title"),
                        text=form_text(form, "text"),
                        body=form_text(form, "body", strip=False))  # fmt: skip
    return await _compose_page(request, who[0], state, error=error, status=status)


@routes.post("/hubs/{username}/compose")
async def compose(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _compose, _compose_again)


@routes.get(r"/hubs/{username}/posts/{post_id:\d{1,18}}/edit")
async def edit_page(request: web.Request) -> web.Response:
    hub, _ = await require_organiser(request)
    svc = request.app[services_key]
    post_id = int(request.match_info["post_id"])
    post = await posts.require_post(svc, hub, post_id)
    state = Compose(svc.kinds.of(post), post_id=post.id, language=post.fields.get("language"))
    try:
        _from_text(state, post.source_markdown, hub)
    except BadRequest:
        state.mode = "file"
    if request.query.get("mode") == "file":
        state.mode = "file"
    return await _compose_page(request, hub, state)
