"""Discovery documents: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import json

from aiohttp import web

from fedihub.accounts import store as accounts
from fedihub.activitystreams import JsonObject, host_of, iso
from fedihub.actors import store
from fedihub.actors.render import (
    render_host_meta,
    render_nodeinfo,
    render_nodeinfo_links,
    render_webfinger,
)
from fedihub.db import Database
from fedihub.errors import BadRequest, NotFound
from fedihub.keys import services_key
from fedihub.moderation import store as codes

routes = web.RouteTableDef()


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


async def _conduct(db: Database, base_url: str) -> JsonObject | None:
    """The instance's current code of conduct, for NodeInfo's free-form metadata (Mastodon
    offers its rules at /api/v1/instance; NodeInfo is what every server reads)."""
    code = await codes.current_code(db, codes.INSTANCE_SCOPE)
    if code is None:
        return None
    return {"url": f"{base_url}/conduct", "version": code.version, "text": code.text,
            "updated": iso(code.created_at)}  # fmt: skip


@routes.get(r"/nodeinfo/{version:2\.[01]}")
async def nodeinfo(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    version = request.match_info["version"]
    counts = await accounts.usage(svc.db)
    document = render_nodeinfo(
        version,
        users=counts.users,
        hubs=counts.hubs,
        local_posts=counts.local_posts,
        name=svc.config.instance_name,
        summary=svc.config.instance_summary,
        open_registrations=svc.config.signup_mode == "open",
        conduct=await _conduct(svc.db, svc.config.base_url),
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.Response(
        body=json.dumps(document).encode(),
        headers={"Content-Type": f'application/json; profile="{profile}"'},
    )
