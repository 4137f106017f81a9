"""HTTP views for actors and discovery: actor documents, collections, posts, WebFinger,
host-meta and NodeInfo. JSON for ActivityPub clients, a small HTML page for browsers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fedihub.activitystreams import JsonObject
from fedihub.actors import store
from fedihub.actors.model import NEWSWIRE_USERNAME, LocalActor
from fedihub.actors.render import (
    PAGE_SIZE,
    render_actor,
    render_collection,
    render_collection_page,
)
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follow_store
from fedihub.groups.membership import moderators
from fedihub.keys import services_key
from fedihub.kinds import post_object
from fedihub.outbox import store as outbox
from fedihub.posts import store as posts
from fedihub.web.dashboard import hub_page
from fedihub.web.newswire import newswire_page
from fedihub.web.page_cache import shared
from fedihub.web.respond import activity_json, html, wants_json

ACTOR_PATHS = ("/hubs/{username}", "/users/{username}")
KIND_BY_PREFIX = {"hubs": "group", "users": "person"}


async def actor_from_request(request: web.Request) -> LocalActor:
    db = request.app[services_key].db
    prefix = request.path.split("/")[1]
    if prefix == "actor":
        return await store.get_instance_actor(db)
    if prefix == NEWSWIRE_USERNAME:
        newswire = await store.get_actor(db, "service", NEWSWIRE_USERNAME)
        if newswire is None:
            raise NotFound("no such actor")
        return newswire
    actor = await store.get_actor(db, KIND_BY_PREFIX[prefix], request.match_info["username"])  # type: ignore[arg-type]
    if actor is None:
        raise NotFound("no such actor")
    return actor


def _page_number(request: web.Request) -> int | None:
    page = request.query.get("page")
    if page is None:
        return None
    if not page.isdigit() or int(page) < 1 or int(page) > 1_000_000:
        raise BadRequest("page must be a positive whole number")
    return int(page)


@shared
async def actor_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    base = svc.config.base_url
    if wants_json(request):
        return activity_json(render_actor(actor, base))
    if actor.kind == "group":
        return await hub_page(request, actor)
    if actor.kind == "service":
        return await newswire_page(request, actor)
    latest = await posts.latest_posts(svc.db, actor.id, limit=20)
    followers = await follow_store.accepted_count(svc.db, "followers", actor.id)
    return html(
        request,
        "actor.html",
        actor=actor,
        actor_uri=actor.uri(base),
        handle=f"@{actor.username}@{svc.config.domain}",
        posts=[post_object(actor.uri(base), p) for p in latest],
        followers=followers,
        organizers=[],  # only a hub has organisers, and hubs have their own page
    )


PageOfItems = Callable[[int, int], Awaitable[list[Any]]]  # (limit, offset) -> items


async def _collection(
    request: web.Request, total: int, items_for_page: PageOfItems, title: str
) -> web.Response:
    svc = request.app[services_key]
    uri = svc.config.base_url + request.path
    page = _page_number(request)
    if page is None:
        document = render_collection(uri, total)
    else:
        items = await items_for_page(PAGE_SIZE, (page - 1) * PAGE_SIZE)
        document = render_collection_page(uri, page, items, total)
    if wants_json(request):
        return activity_json(document)
    items_html = document.get("orderedItems")
    return html(request, "collection.html", title=title, document=document, items=items_html)


async def _relation_collection(
    request: web.Request, relation: follow_store.Relation, title: str
) -> web.Response:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    total = await follow_store.accepted_count(svc.db, relation, actor.id)

    async def items(limit: int, offset: int) -> list[str]:
        return await follow_store.accepted_page(svc.db, relation, actor.id, limit, offset)

    return await _collection(request, total, items, title.format(name=actor.name))


@shared
async def followers_collection(request: web.Request) -> web.Response:
    return await _relation_collection(request, "followers", "Followers of {name}")


@shared
async def following_collection(request: web.Request) -> web.Response:
    return await _relation_collection(request, "following", "Followed by {name}")


@shared
async def outbox_collection(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    total = await outbox.public_activity_count(svc.db, actor.id)

    async def items(limit: int, offset: int) -> list[JsonObject]:
        documents = await outbox.public_activities(svc.db, actor.id, limit, offset)
        for d in documents:
            d.pop("@context", None)
        return documents

    return await _collection(request, total, items, f"Posts by {actor.name}")


@shared
async def featured_collection(request: web.Request) -> web.Response:
    actor = await actor_from_request(request)

    async def items(limit: int, offset: int) -> list[JsonObject]:
        return []

    return await _collection(request, 0, items, f"Featured by {actor.name}")


@shared
async def moderators_collection(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await actor_from_request(request)
    uris = await moderators(svc, actor)

    async def items(limit: int, offset: int) -> list[str]:
        return uris[offset : offset + limit]

    return await _collection(request, len(uris), items, f"Moderators of {actor.name}")


def add_actor_routes(app: web.Application) -> None:
    for base in ("/actor", "/" + NEWSWIRE_USERNAME, *ACTOR_PATHS):
        app.router.add_get(base, actor_document)
        app.router.add_get(base + "/outbox", outbox_collection)
        app.router.add_get(base + "/followers", followers_collection)
        app.router.add_get(base + "/following", following_collection)
        app.router.add_get(base + "/featured", featured_collection)
    app.router.add_get("/hubs/{username}/moderators", moderators_collection)
