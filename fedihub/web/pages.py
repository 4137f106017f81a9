"""Pages for people that belong to no actor: the instance home page, remote interaction."""

from __future__ import annotations

from aiohttp import web

from fedihub.actors import store
from fedihub.keys import services_key
from fedihub.web.respond import html, wants_json

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    if wants_json(request):
        raise web.HTTPFound(svc.config.base_url + "/actor")
    hubs = await store.list_actors(svc.db, "group")
    return html(request, "home.html", hubs=hubs)


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    return html(request, "interact.html", uri=request.query.get("uri", ""))  # fmt: skip
