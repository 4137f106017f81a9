"""A hub post at its own id: the ActivityStreams object, its page, its calendar file."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from fedihub.accounts.service import require_can_act_for
from fedihub.accounts.store import Account
from fedihub.activitystreams import POST_CONTEXT
from fedihub.actors.model import LocalActor
from fedihub.errors import Forbidden, NotFound
from fedihub.events import roster
from fedihub.keys import account_key, services_key, templates_key
from fedihub.moderation.authority import local_moderator
from fedihub.polls.kind import QuestionKind
from fedihub.polls.tally import OUTCOMES
from fedihub.posts import federate, render
from fedihub.posts import store as posts
from fedihub.posts.kind import PostKind
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.web import feeds
from fedihub.web.actors import actor_from_request
from fedihub.web.dashboard import calendar_entry
from fedihub.web.page_cache import shared
from fedihub.web.respond import (
    activity_json,
    calendar_response,
    html,
    reader_words,
    wants_json,
)


def page_part_of(templates: jinja2.Environment, kind: PostKind) -> str | jinja2.Template | None:
    """The kind's part of post.html: a template beside it, or one its module writes out
    (compiled when shown: the kinds fedihub comes with all have theirs beside it)."""
    if kind.page_part is not None:
        return templates.from_string(kind.page_part)
    return kind.page_template


async def _post_from_request(request: web.Request) -> tuple[Post, str]:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    post = await posts.get_post(svc.db, actor.id, int(request.match_info["post_id"]))
    if post is None:
        raise NotFound("no such post")
    return post, actor.uri(svc.config.base_url)


@shared
async def post_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub = await actor_from_request(request)
    post, hub_uri = await _post_from_request(request)
    kind = svc.kinds.get(post.kind)
    if post.deleted_at is not None:
        if wants_json(request) or "text/html" not in request.headers.get("Accept", ""):
            return activity_json(render.tombstone(hub_uri, post, kind, post.deleted_at), status=410)
        # A browser (an organiser who just deleted it, or a visitor with an old link).
        return html(request, "post_deleted.html", status=410, hub=hub, hub_uri=hub_uri,
                    done=request.query.get("done"))  # fmt: skip
    if wants_json(request):
        obj = await federate.object_for(svc.kinds, svc.db, svc.config.base_url, hub, post)
        return activity_json({"@context": POST_CONTEXT, **obj})
    return await post_page(request, hub, post)


async def post_page(
    request: web.Request, hub: LocalActor, post: Post, *, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    """A post's page; to its hub's organisers with what they may do to it (and `error`, what
    their last try at it met)."""
    svc = request.app[services_key]
    hub_uri = hub.uri(svc.config.base_url)
    kind = svc.kinds.get(post.kind)
    # The page: what the post's kind writes ("Where: …", dates, options) in the reader's words.
    obj = await federate.object_for(
        svc.kinds, svc.db, svc.config.base_url, hub, post, reader=reader_words(request)
    )
    series = await posts.get_post_by_id(svc.db, post.series_id) if post.series_id else None
    account = request.get(account_key)
    viewer = account.actor.uri(svc.config.base_url) if isinstance(account, Account) else None
    now = svc.clock.now()
    # What its kind shows besides the post (in its page_template), and the viewer's part in it.
    page: dict[str, Any] = {"take_part_open": False, "mine": None}
    page.update(await kind.page(svc.db, post, viewer, now))
    manage = await _manage(svc, account, hub, post, kind, series, page) if account else None
    return html(
        request,
        "post.html",
        status=status,
        hub=hub,
        hub_uri=hub_uri,
        post=post,
        kind=kind,
        page_part=page_part_of(request.app[templates_key], kind),
        series=series,
        obj=obj,
        summary=obj.get("summary"),  # an event's states when and where
        now=now,
        manage=manage,
        moderate_url=await _moderate_url(svc, account, hub, post),
        done=request.query.get("done") if manage else None,
        error=error,
        **page,
    )


async def _moderate_url(svc: Services, account: object, hub: LocalActor, post: Post) -> str | None:
    """Where the hub's moderators remove the post with a reason; None for everyone else."""
    if hub.kind != "group" or not isinstance(account, Account) or post.deleted_at is not None:
        return None
    try:
        await local_moderator(svc, account, hub)
    except Forbidden:
        return None
    uri = render.post_uri(hub.uri(svc.config.base_url), post.id)
    return f"/hubs/{hub.username}/moderate/post?object={quote(uri, safe='')}"


async def _manage(
    svc: Services, account: Account, hub: LocalActor, post: Post, kind: PostKind,
    series: Post | None, page: dict[str, Any],
) -> dict[str, Any] | None:  # fmt: skip
    """What the hub's organisers (and admins) may do to the post from its page; None for
    everyone else."""
    if hub.kind != "group":
        return None
    try:
        await require_can_act_for(svc.db, account, hub)
    except Forbidden:
        return None
    question = page.get("question")
    closed = bool(question and question["closed"])
    edits = series if post.is_occurrence else (None if closed else post)
    scheduled = kind.is_scheduled(post)
    return {
        "edit": f"{render.post_uri(hub.path(), edits.id)}/edit" if edits else None,
        "edit_series": post.is_occurrence,
        "cancel": scheduled and post.status != "cancelled",
        "close": kind.is_question and not closed,
        "outcome": isinstance(kind, QuestionKind) and kind.records_outcome,
        "outcomes": OUTCOMES,
        "series": kind.has_occurrences and not post.is_occurrence,
        "participants": await roster.participants(svc, post) if scheduled else None,
    }


async def post_calendar(request: web.Request) -> web.Response:
    """One event (or a whole call series, with its rule) as an .ics download."""
    svc = request.app[services_key]
    hub = await actor_from_request(request)
    post, hub_uri = await _post_from_request(request)
    kind = svc.kinds.get(post.kind)
    if post.deleted_at is not None or not kind.has_calendar:
        raise NotFound("only events and calls have a calendar file")
    entry = await calendar_entry(svc.db, hub_uri, hub.name, post, kind, hub.language)
    body = feeds.build_calendar([entry], name=post.title or hub.name, now=svc.clock.now())
    return calendar_response(body, filename=f"{hub.username}-{post.id}.ics")


def add_post_routes(app: web.Application) -> None:
    for prefix in ("hubs", "users"):
        base = rf"/{prefix}/{{username}}/posts/{{post_id:\d{{1,18}}}}"
        app.router.add_get(base, post_document)
        app.router.add_get(base + ".ics", post_calendar)
