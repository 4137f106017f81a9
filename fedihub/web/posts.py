"""A hub post at its own id: the ActivityStreams object, its page, its calendar file."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from fedihub.activitystreams import POST_CONTEXT
from fedihub.db import Database
from fedihub.errors import NotFound
from fedihub.events import store as events
from fedihub.keys import account_key, services_key
from fedihub.network.present import present
from fedihub.polls import store as polls
from fedihub.polls.tally import result_text
from fedihub.posts import federate, render
from fedihub.posts import store as posts
from fedihub.posts.federate import current_tally
from fedihub.posts.store import Post
from fedihub.web import feeds
from fedihub.web.actors import actor_from_request
from fedihub.web.dashboard import calendar_entry
from fedihub.web.respond import activity_json, calendar_response, html, wants_json


async def _post_from_request(request: web.Request) -> tuple[Post, str]:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    post = await posts.get_post(svc.db, actor.id, int(request.match_info["post_id"]))
    if post is None:
        raise NotFound("no such post")
    return post, actor.uri(svc.config.base_url)


async def post_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub = await actor_from_request(request)
    post, hub_uri = await _post_from_request(request)
    if post.deleted_at is not None:
        return activity_json(render.tombstone(hub_uri, post, post.deleted_at), status=410)
    obj = await federate.object_for(svc.db, svc.config.base_url, hub, post)
    if wants_json(request):
        return activity_json({"@context": POST_CONTEXT, **obj})
    series = await posts.get_post_by_id(svc.db, post.series_id) if post.series_id else None
    attendance = await events.attendance(svc.db, post.id) if post.is_scheduled else None
    question = await _question_view(svc.db, post) if post.is_question else None
    account = request.get(account_key)
    mine = await _viewers_part(svc, post, account) if account is not None else None
    return html(
        request,
        "post.html",
        hub=hub,
        hub_uri=hub_uri,
        post=post,
        series=series,
        obj=obj,
        attendance=attendance,
        summary=render.summary_line(post, series) if post.is_scheduled else obj.get("summary"),
        now=time.time(),
        question=question,
        mine=mine,
    )


async def _viewers_part(svc: Any, post: Post, account: Any) -> dict[str, Any]:
    """What the signed-in viewer has done here: their votes and reason, or their place."""
    me = account.actor.uri(svc.config.base_url)
    votes = await polls.votes(svc.db, post.id, me) if post.is_question else []
    place = await events.participant(svc.db, post.id, me) if post.is_scheduled else None
    return {"choices": {v.choice for v in votes}, "reason": next((v.reason for v in votes), ""),
            "place": place.state if place else None}  # fmt: skip


async def _question_view(db: Database, post: Post) -> dict[str, Any]:
    """What a poll's or proposal's page shows besides the post: the tally, blocks with their
    reasons, the thread of questions and reasons, and how many have spoken (never who most)."""
    tally = await current_tally(db, post)
    closed = post.closed_at is not None or (post.ends_at or 0) <= time.time()
    replies = [present(r) for r in await polls.replies(db, post.id)]
    reasons = [v for v in await polls.votes(db, post.id) if v.reason]
    return {
        "tally": tally,
        "closed": closed,
        "result": result_text(render.display_title(post), tally, closed=closed,
                              outcome=post.fields.get("outcome")),
        "replies": replies,
        "reasons": reasons,
        "spoken": tally.reasons,
        "responded": len(tally.voter_uris),
    }  # fmt: skip


async def post_calendar(request: web.Request) -> web.Response:
    """One event (or a whole call series, with its rule) as an .ics download."""
    svc = request.app[services_key]
    hub = await actor_from_request(request)
    post, hub_uri = await _post_from_request(request)
    if post.deleted_at is not None or post.kind not in ("event", "call"):
        raise NotFound("only events and calls have a calendar file")
    entry = await calendar_entry(svc.db, hub_uri, hub.name, post)
    body = feeds.build_calendar([entry], name=post.title or hub.name, now=time.time())
    return calendar_response(body, filename=f"{hub.username}-{post.id}.ics")


def add_post_routes(app: web.Application) -> None:
    for prefix in ("hubs", "users"):
        base = rf"/{prefix}/{{username}}/posts/{{post_id:\d{{1,18}}}}"
        app.router.add_get(base, post_document)
        app.router.add_get(base + ".ics", post_calendar)
