"""Pages for people that belong to no actor: remote interaction."""

from __future__ import annotations

from aiohttp import web

from fedihub.web.respond import html

routes = web.RouteTableDef()


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    return html(request, "interact.html", uri=request.query.get("uri", ""))  # fmt: skip
