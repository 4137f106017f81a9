"""The newswire's pages for people: its front page (the HTML face of the @newswire actor) with
filters by tag and language, each item's page (the newswire's own Note for ActivityPub
clients, 410 once unpublished), and its Atom feed. The submission form is in
newswire_submit.py, the editors' pages in newswire_editors.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors.model import NEWSWIRE_USERNAME, LocalActor
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follow_store
from fedihub.keys import services_key
from fedihub.moderation.authority import Moderator
from fedihub.moderation.conduct import clause_choices
from fedihub.newswire import render, service, store
from fedihub.newswire.editors import editor, may_edit
from fedihub.newswire.fields import TAG
from fedihub.newswire.model import Item, item_path
from fedihub.newswire.newsletter import store as newsletters
from fedihub.newswire.newsletter.service import issue_path
from fedihub.posts.fieldreaders import LANGUAGE
from fedihub.services import Services
from fedihub.web import feeds, newswire_editors, newswire_submit
from fedihub.web.auth import current_account, form_action, form_page, require_signed_in
from fedihub.web.forms import form_text
from fedihub.web.page_cache import shared
from fedihub.web.respond import activity_json, atom_response, wants_json

FEED_SIZE = 50


def _filters(request: web.Request) -> tuple[str, str, int | None]:
    """?tag=, ?language= and ?before= as the page reads them; BadRequest for nonsense."""
    tag = request.query.get("tag", "").strip().lstrip("#").lower()
    language = request.query.get("language", "").strip()
    before = request.query.get("before", "").strip()
    if tag and not TAG.match(tag):
        raise BadRequest("tag: %(tag)r is not a word (letters, digits, - and _)", tag=tag[:60])
    if language and not LANGUAGE.match(language):
        raise BadRequest("language: a language tag such as en, es or pt-BR")
    if before and not (before.isascii() and before.isdigit() and len(before) < 16):
        raise BadRequest("before: the number of an item")
    return tag, language, int(before) if before else None


def _query(tag: str, language: str, before: int | None) -> str:
    pairs = [(k, v) for k, v in (("tag", tag), ("language", language)) if v]
    if before is not None:
        pairs.append(("before", str(before)))
    return "/newswire" + ("?" + urlencode(pairs) if pairs else "")


async def newswire_page(request: web.Request, actor: LocalActor) -> web.Response:
    svc = request.app[services_key]
    tag, language, before = _filters(request)
    items = await store.published_page(svc.db, before_id=before, tag=tag, language=language)
    more = _query(tag, language, items[-1].id) if len(items) == store.PAGE else None
    account = await current_account(request)
    return await form_page(
        request,
        "newswire.html",
        actor=actor,
        handle=f"@{actor.username}@{svc.config.host}",
        items=items,
        tag=tag,
        language=language,
        paged=before is not None,
        first_page=_query(tag, language, None),
        more=more,
        editor=await may_edit(svc, account),
        followers=await follow_store.accepted_count(svc.db, "followers", actor.id),
        feed_url=f"{svc.config.base_url}/newswire/feed.atom",
    )


def item_entry(item: Item, base_url: str) -> feeds.FeedEntry:
    """An item as an entry of the newswire's Atom feed: its page, its words as on Mastodon."""
    page = base_url + item_path(item.id)
    return feeds.FeedEntry(
        id=item.object_uri if item.own_note else page,
        url=page,
        title=item.headline,
        content_html=render.item_html(item, base_url),
        published=item.published_at or item.submitted_at,
        updated=None,
        author_name=item.hub_name,
        categories=item.tags,
    )


def issue_entry(issue: newsletters.Issue, base_url: str) -> feeds.FeedEntry:
    """A newsletter issue as an entry of the newswire's feed: the whole issue, as its page."""
    page = base_url + issue_path(issue.id)
    return feeds.FeedEntry(id=page, url=page, title=issue.title, content_html=issue.html,
                           published=issue.created_at, updated=None,
                           author_name="", categories=("newsletter",))  # fmt: skip


async def feed_entries(svc: Services) -> list[feeds.FeedEntry]:
    """What the newswire's Atom feed carries, newest first: its latest published items and the
    weekly newsletter's issues, each an entry of its own."""
    base = svc.config.base_url
    items = await store.published_page(svc.db, limit=FEED_SIZE)
    entries = [item_entry(i, base) for i in items]
    entries += [issue_entry(i, base) for i in await newsletters.issues(svc.db, limit=FEED_SIZE)]
    entries.sort(key=lambda e: e.published, reverse=True)
    return entries[:FEED_SIZE]


@shared
async def newswire_atom(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    base = svc.config.base_url
    entries = await feed_entries(svc)
    self_url = f"{base}/newswire/feed.atom"
    body = feeds.build_atom(
        entries,
        feed_id=self_url,
        title=f"{svc.config.instance_name}: newswire",
        subtitle=svc.config.instance_summary,
        self_url=self_url,
        html_url=f"{base}/{NEWSWIRE_USERNAME}",
        updated=max((e.updated or e.published for e in entries), default=0.0),
    )
    return atom_response(body)


async def _item(svc: Services, raw: str) -> Item:
    item = None
    if raw.isascii() and raw.isdigit() and len(raw) < 16:
        item = await store.get_item(svc.db, int(raw))
    if item is None:
        raise NotFound("no such item")
    return item


async def _item_page(
    request: web.Request, form: Any, who: Any, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    item = await _item(svc, request.match_info["item_id"])
    account = await current_account(request)
    editing = await may_edit(svc, account)
    if item.state in ("queued", "rejected") and not editing:
        raise NotFound("no such item")
    gone = item.state == "unpublished"
    if wants_json(request):
        if not item.own_note or (item.state != "published" and not gone):
            raise NotFound("no such item")  # a boost: the post is its author's, at its address
        if gone:
            return activity_json(render.tombstone(item, item.decided_at or 0.0), status=410)
        uri = f"{svc.config.base_url}/{NEWSWIRE_USERNAME}"
        return activity_json(render.item_note(item, uri, svc.config.base_url))
    return await form_page(
        request, "newswire_item.html", status=410 if gone and status == 200 else status,
        item=item, gone=gone, editing=editing and item.state == "published", error=error,
        form=form or {}, clauses=await clause_choices(svc, None) if editing else [],
        contact=await store.contact_of(svc.db, item.id) if editing else None,
    )  # fmt: skip


@shared
async def item_page(request: web.Request) -> web.Response:
    return await _item_page(request, None, None)


async def an_editor(request: web.Request) -> Moderator:
    """The signed-in account acting as an editor: signed-out visitors are sent to sign in,
    anyone else refused (403)."""
    account: Account = await require_signed_in(request)
    return await editor(request.app[services_key], account)


async def _unpublish(request: web.Request, form: Any, by: Moderator) -> str:
    svc = request.app[services_key]
    item = await _item(svc, request.match_info["item_id"])
    await service.unpublish(svc, by, item.id, form_text(form, "reason"), form_text(form, "clause"))
    return item_path(item.id)


async def unpublish_item(request: web.Request) -> web.StreamResponse:
    return await form_action(request, an_editor, _unpublish, _item_page)


def add_newswire_routes(app: web.Application) -> None:
    app.router.add_get("/newswire/feed.atom", newswire_atom)
    app.router.add_get("/newswire/items/{item_id}", item_page)
    app.router.add_post("/newswire/items/{item_id}/unpublish", unpublish_item)
    newswire_submit.add_routes(app)
    newswire_editors.add_routes(app, an_editor)
