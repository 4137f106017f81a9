"""HTTP views for actors and discovery: actor documents, collections, posts, WebFinger,
host-meta and NodeInfo. JSON for ActivityPub clients, a small HTML page for browsers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fedihub.activitystreams import ACTIVITY_JSON, host_of, id_of
from fedihub.actors import store
from fedihub.actors.model import LocalActor, post_uri
from fedihub.actors.render import (
    PAGE_SIZE,
    render_actor,
    render_collection,
    render_collection_page,
    render_host_meta,
    render_nodeinfo,
    render_nodeinfo_links,
    render_webfinger,
)
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follow_store
from fedihub.hubs import store as posts
from fedihub.hubs.service import post_object
from fedihub.keys import services_key
from fedihub.outbox import compose
from fedihub.web.respond import activity_json, html, wants_json

routes = web.RouteTableDef()
ACTOR_PATHS = ("/hubs/{username}", "/users/{username}")
KIND_BY_PREFIX = {"hubs": "group", "users": "person"}


async def _actor_from_request(request: web.Request) -> LocalActor:
    db = request.app[services_key].db
    prefix = request.path.split("/")[1]
    if prefix == "actor":
        return await store.get_instance_actor(db)
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


async def actor_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await _actor_from_request(request)
    base = svc.config.base_url
    organizers_uri = f"{actor.uri(base)}/moderators" if actor.kind == "group" else None
    if wants_json(request):
        return activity_json(render_actor(actor, base, organizers_uri))
    latest = await posts.latest_posts(svc.db, actor.id, limit=20)
    followers = await follow_store.accepted_count(svc.db, "followers", actor.id)
    return html(
        request,
        "actor.html",
        actor=actor,
        actor_uri=actor.uri(base),
        handle=f"@{actor.username}@{svc.config.domain}",
        posts=[_post_view(base, actor, p) for p in latest],
        followers=followers,
        organizers=await store.organizers(svc.db, actor.id) if actor.kind == "group" else [],
        instance_name=svc.config.instance_name,
    )


def _post_view(base_url: str, actor: LocalActor, post: posts.Post) -> dict[str, Any]:
    return {
        "uri": post_uri(base_url, actor, post.id),
        "title": post.title,
        "content_html": post.content_html,
        "published_at": post.published_at,
    }


async def post_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await _actor_from_request(request)
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
        post=_post_view(base, actor, post),
        instance_name=svc.config.instance_name,
    )


async def _collection(
    request: web.Request, total: int, items_for_page: object, title: str
) -> web.Response:
    svc = request.app[services_key]
    uri = svc.config.base_url + request.path
    page = _page_number(request)
    if page is None:
        document = render_collection(uri, total)
    else:
        items = await items_for_page(PAGE_SIZE, (page - 1) * PAGE_SIZE)  # type: ignore[operator]
        document = render_collection_page(uri, page, items, total)
    if wants_json(request):
        return activity_json(document)
    items_html = document.get("orderedItems")
    return html(request, "collection.html", title=title, document=document, items=items_html,
                instance_name=svc.config.instance_name)  # fmt: skip


async def _relation_collection(
    request: web.Request, relation: follow_store.Relation, title: str
) -> web.Response:
    svc = request.app[services_key]
    actor = await _actor_from_request(request)
    total = await follow_store.accepted_count(svc.db, relation, actor.id)

    async def items(limit: int, offset: int) -> list[str]:
        return await follow_store.accepted_page(svc.db, relation, actor.id, limit, offset)

    return await _collection(request, total, items, title.format(name=actor.name))


async def followers_collection(request: web.Request) -> web.Response:
    return await _relation_collection(request, "followers", "Followers of {name}")


async def following_collection(request: web.Request) -> web.Response:
    return await _relation_collection(request, "following", "Followed by {name}")


async def outbox_collection(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await _actor_from_request(request)
    where = "actor_id = ? AND is_public = 1"
    total = await svc.db.fetchval(
        f"SELECT count(*) FROM outbox_activities WHERE {where}", (actor.id,)
    )

    async def items(limit: int, offset: int) -> list[dict]:
        rows = await svc.db.fetchall(
            f"SELECT document FROM outbox_activities WHERE {where} ORDER BY id DESC"
            " LIMIT ? OFFSET ?",
            (actor.id, limit, offset),
        )
        documents = [json.loads(r[0]) for r in rows]
        for d in documents:
            d.pop("@context", None)
        return documents

    return await _collection(request, total, items, f"Posts by {actor.name}")


async def featured_collection(request: web.Request) -> web.Response:
    actor = await _actor_from_request(request)

    async def items(limit: int, offset: int) -> list[dict]:
        return []

    return await _collection(request, 0, items, f"Featured by {actor.name}")


async def moderators_collection(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    actor = await _actor_from_request(request)
    people = await store.organizers(svc.db, actor.id)
    uris = [p.uri(svc.config.base_url) for p in people]

    async def items(limit: int, offset: int) -> list[str]:
        return uris[offset : offset + limit]

    return await _collection(request, len(uris), items, f"Organisers of {actor.name}")


@routes.get("/activities/{activity_id}")
async def activity_document(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    uri = svc.config.base_url + request.path
    document = await svc.db.fetchval("SELECT document FROM outbox_activities WHERE uri = ?", (uri,))
    if document is None:
        raise NotFound("no such activity")
    activity = json.loads(document)
    if wants_json(request):
        return activity_json(activity)
    return html(
        request,
        "activity.html",
        activity=activity,
        object_id=id_of(activity.get("object")),
        instance_name=svc.config.instance_name,
    )


@routes.get("/.well-known/webfinger")
async def webfinger(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    resource = request.query.get("resource", "").strip()
    if not resource:
        raise BadRequest("the resource parameter is required")
    actor = None
    if resource.startswith("acct:"):
        username, _, domain = resource[5:].lstrip("@").rpartition("@")
        if domain.lower() in (svc.config.domain, svc.config.host):
            actor = await store.get_actor_by_username(svc.db, username)
    elif host_of(resource) == host_of(svc.config.base_url):
        actor = await store.actor_for_uri(svc.db, svc.config.base_url, resource)
    if actor is None:
        raise NotFound("no such account on this instance")
    return web.json_response(
        render_webfinger(actor, svc.config.base_url, svc.config.domain),
        content_type="application/jrd+json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@routes.get("/.well-known/host-meta")
async def host_meta(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    return web.Response(
        text=render_host_meta(svc.config.base_url), content_type="application/xrd+xml"
    )


@routes.get("/.well-known/nodeinfo")
async def nodeinfo_links(request: web.Request) -> web.Response:
    return web.json_response(render_nodeinfo_links(request.app[services_key].config.base_url))


@routes.get(r"/nodeinfo/{version:2\.[01]}")
async def nodeinfo(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    version = request.match_info["version"]
    counts = await svc.db.fetchone(
        "SELECT (SELECT count(*) FROM accounts) AS users,"
        " (SELECT count(*) FROM local_actors WHERE kind = 'group') AS hubs,"
        " (SELECT count(*) FROM posts WHERE deleted_at IS NULL) AS posts"
    )
    assert counts is not None
    document = render_nodeinfo(
        version,
        users=counts["users"],
        hubs=counts["hubs"],
        local_posts=counts["posts"],
        name=svc.config.instance_name,
        summary=svc.config.instance_summary,
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.Response(
        body=json.dumps(document).encode(),
        headers={"Content-Type": f'application/json; profile="{profile}"'},
    )


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    if wants_json(request):
        raise web.HTTPFound(svc.config.base_url + "/actor")
    hubs = await store.list_actors(svc.db, "group")
    return html(request, "home.html", hubs=hubs, domain=svc.config.domain,
                instance_name=svc.config.instance_name,
                instance_summary=svc.config.instance_summary)  # fmt: skip


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    return html(request, "interact.html", uri=request.query.get("uri", ""),
                instance_name=svc.config.instance_name)  # fmt: skip


def add_actor_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
    for base in ("/actor", *ACTOR_PATHS):
        app.router.add_get(base, actor_document)
        app.router.add_get(base + "/outbox", outbox_collection)
        app.router.add_get(base + "/followers", followers_collection)
        app.router.add_get(base + "/following", following_collection)
        app.router.add_get(base + "/featured", featured_collection)
    app.router.add_get("/hubs/{username}/moderators", moderators_collection)
    app.router.add_get(r"/hubs/{username}/posts/{post_id:\d{1,18}}", post_document)
    app.router.add_get(r"/users/{username}/posts/{post_id:\d{1,18}}", post_document)


__all__ = ["ACTIVITY_JSON", "add_actor_routes"]
