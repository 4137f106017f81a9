"""Organisers manage a post from its page: cancel an event (or one occurrence of a call), delete
a post, close a poll or proposal early, record a proposal's outcome, and export an event's
participants. Each form goes through `form_action` (CSRF, organisers only, then the capability
the CLI calls) and asks for a ticked box first; then the post's page says what was done, or
shows the form again with the error."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.errors import BadRequest, NotFound
from fedihub.events import roster
from fedihub.keys import services_key
from fedihub.polls import service as polls
from fedihub.posts import render
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.web.auth import form_action
from fedihub.web.forms import form_text
from fedihub.web.organise import Organiser, require_organiser
from fedihub.web.posts import post_page

routes = web.RouteTableDef()
POST_PATH = r"/hubs/{username}/posts/{post_id:\d{1,18}}"


async def _post(request: web.Request, who: Organiser, form: Any) -> Post:
    """The post the form is about, in the organiser's own hub, once the box is ticked."""
    post = await posts.require_post(
        request.app[services_key], who[0], int(request.match_info["post_id"])
    )
    if form_text(form, "confirm") != "yes":
        raise BadRequest("tick the box to confirm")
    return post


def _done(who: Organiser, post: Post, what: str) -> str:
    """The post's page, saying what was done (post.html words it)."""
    return f"{render.post_uri(who[0].path(), post.id)}?done={what}"


async def _again(
    request: web.Request, form: Any, who: Organiser, error: str, status: int
) -> web.Response:
    """The post's page with what went wrong; a post that is gone is an error page of its own."""
    post = await posts.require_post(
        request.app[services_key], who[0], int(request.match_info["post_id"])
    )
    return await post_page(request, who[0], post, error=error, status=status)


async def _cancel(request: web.Request, form: Any, who: Organiser) -> str:
    post = await _post(request, who, form)
    if post.status == "cancelled":
        raise BadRequest("this is cancelled already")
    await posts.cancel(request.app[services_key], who[0], post.id)
    return _done(who, post, "cancelled")


@routes.post(POST_PATH + "/cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _cancel, _again)


async def _delete(request: web.Request, form: Any, who: Organiser) -> str:
    post = await _post(request, who, form)
    await posts.delete(request.app[services_key], who[0], post.id)
    return _done(who, post, "deleted")


@routes.post(POST_PATH + "/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _delete, _again)


async def _close(request: web.Request, form: Any, who: Organiser) -> str:
    post = await _post(request, who, form)
    await polls.close_now(request.app[services_key], who[0], post)
    return _done(who, post, "closed")


@routes.post(POST_PATH + "/close")
async def close(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _close, _again)


async def _outcome(request: web.Request, form: Any, who: Organiser) -> str:
    post = await _post(request, who, form)
    await polls.record_outcome(request.app[services_key], who[0], post, form_text(form, "outcome"))
    return _done(who, post, "outcome")


@routes.post(POST_PATH + "/outcome")
async def outcome(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _outcome, _again)


@routes.get(POST_PATH + "/participants.csv")
async def participants_csv(request: web.Request) -> web.Response:
    """Who is going and who waits, for the organisers: a spreadsheet, never cached."""
    hub, _ = await require_organiser(request)
    svc = request.app[services_key]
    post = await posts.require_post(svc, hub, int(request.match_info["post_id"]))
    if not svc.kinds.of(post).is_scheduled(post):
        raise NotFound("only events and call occurrences have participants")
    people = await roster.participants(svc, post)
    # A byte-order mark: spreadsheets then read the names' accents as UTF-8.
    body = "\ufeff" + roster.participants_csv(people)
    filename = f"{hub.username}-{post.id}-participants.csv"
    return web.Response(
        text=body, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "private, no-store"},
    )  # fmt: skip
