"""The live tally a facilitator shares during a call: a page that updates itself from a stream of
server-sent events, and the one-line result to paste into the minutes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from fedihub.errors import NotFound, TooBusy
from fedihub.keys import services_key, shutting_down_key, tally_streams_key
from fedihub.polls.kind import written_in
from fedihub.polls.store import current_tally, question_fields
from fedihub.polls.tally import result_text
from fedihub.posts import render
from fedihub.posts import store as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.web.actors import actor_from_request
from fedihub.web.respond import html
from fedihub.words import words_for

STREAM_LIFETIME_S = 3600.0  # EventSource reconnects by itself; no stream lives for ever
KEEPALIVE_S = 15.0


async def _question(request: web.Request) -> tuple[Any, Post]:
    svc = request.app[services_key]
    hub = await actor_from_request(request)
    post = await posts.get_post(svc.db, hub.id, int(request.match_info["post_id"]))
    if post is None or post.deleted_at is not None or not svc.kinds.of(post).is_question:
        raise NotFound("no poll or proposal here with that number")
    return hub, post


async def live_state(svc: Services, post: Post) -> dict[str, Any]:
    current = await posts.get_post_by_id(svc.db, post.id) or post
    tally = await current_tally(svc.db, current)
    closed = (
        current.closed_at is not None
        or current.deleted_at is not None
        or (current.ends_at or 0) <= svc.clock.now()
    )
    outcome = question_fields(current).outcome
    return {
        **tally.as_dict(),
        "closed": closed,
        "result": result_text(
            render.display_title(current, svc.kinds.of(current)),
            tally,
            closed=closed,
            outcome=outcome,
            words=words_for(await written_in(svc.db, current)),  # a line for the minutes
        ),
    }


async def live_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub, post = await _question(request)
    hub_uri = hub.uri(svc.config.base_url)
    return html(
        request,
        "live.html",
        hub=hub,
        post=post,
        post_url=render.post_uri(hub_uri, post.id),
        title=render.display_title(post, svc.kinds.of(post)),
        state=await live_state(svc, post),
        stream_url=f"{render.post_uri(hub_uri, post.id)}/tally",
    )


async def tally_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the tally now, then again whenever it changes, until the poll closes.
    Streams are capped per process: each polls the database once a second."""
    svc = request.app[services_key]
    _, post = await _question(request)
    slots = request.app[tally_streams_key]
    if slots.locked():
        raise TooBusy("too many live tallies are open; reload the page in a minute")
    async with slots:
        return await _stream(request, svc, post)


async def _stream(request: web.Request, svc: Services, post: Post) -> web.StreamResponse:
    closing = request.app[shutting_down_key]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    deadline, last, last_sent = loop.time() + STREAM_LIFETIME_S, "", loop.time()
    with contextlib.suppress(ConnectionResetError):
        while not closing.is_set() and loop.time() < deadline:
            state = await live_state(svc, post)
            payload = json.dumps(state)
            if payload != last:
                await response.write(f"data: {payload}\n\n".encode())
                last, last_sent = payload, loop.time()
            if state["closed"]:
                break  # the result is final: nothing more will change
            elif loop.time() - last_sent > KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                last_sent = loop.time()
            # Polling the database keeps this right whichever process recorded the vote.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), timeout=1.0)
    return response


def add_poll_routes(app: web.Application) -> None:
    base = r"/hubs/{username}/posts/{post_id:\d{1,18}}"
    app.router.add_get(base + "/live", live_page)
    app.router.add_get(base + "/tally", tally_stream)
