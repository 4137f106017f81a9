"""A hub post at its own id: the ActivityStreams object, or its page."""

from __future__ import annotations

from aiohttp import web

from fedihub.actors.model import post_uri
from fedihub.actors.views import actor_from_request
from fedihub.errors import NotFound
from fedihub.hubs import store as posts
from fedihub.hubs.service import post_object
from fedihub.keys import services_key
from fedihub.outbox import compose
from fedihub.web.respond import activity_json, html, wants_json


async def post_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    post = await posts.get_post(svc.db, actor.id, int(request.match_info["post_id"]))
    if post is None:
        raise NotFound("no such post")
    base = svc.config.base_url
    if post.deleted_at is not None:
        tombstone = {"id": post_uri(base, actor, post.id), "type": "Tombstone"}
        return activity_json(tombstone, status=410)
    if wants_json(request):
        return activity_json({"@context": compose.POST_CONTEXT, **post_object(base, actor, post)})
    return html(
        request,
        "post.html",
        actor=actor,
        actor_uri=actor.uri(base),
        post=post_object(base, actor, post),
    )


def add_post_routes(app: web.Application) -> None:
    for prefix in ("hubs", "users"):
        app.router.add_get(rf"/{prefix}/{{username}}/posts/{{post_id:\d{{1,18}}}}", post_document)
