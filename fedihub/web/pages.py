"""Pages for people that belong to no actor: remote interaction and remote following."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from fedihub.activitystreams import host_of
from fedihub.errors import BadRequest, FedihubError, TooManyRequests
from fedihub.follows.service import parse_handle
from fedihub.hubs.service import require_hub
from fedihub.keys import follow_lookups_key, services_key
from fedihub.web.auth import client_address
from fedihub.web.respond import html

routes = web.RouteTableDef()


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    return html(request, "interact.html", uri=request.query.get("uri", ""))  # fmt: skip


@routes.get("/follow")
async def follow_from_your_server(request: web.Request) -> web.StreamResponse:
    """The "follow from your own server" box: looks up the visitor's server (WebFinger) and
    sends them to its follow page for the hub, where they are already signed in."""
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.query.get("hub", ""))
    if not request.app[follow_lookups_key].allow(client_address(request)):
        raise TooManyRequests("too many look-ups from your address: try again in a minute")
    try:
        username, domain = parse_handle(request.query.get("handle", ""))
        if ":" in domain and not svc.config.insecure_http:
            raise BadRequest("a server's address has no port")
        template = await svc.client.subscribe_template(username, domain)
        if host_of(template) != host_of(f"https://{domain}"):
            # Only ever to the visitor's own server: never an open redirect for anyone else.
            raise BadRequest("that server's follow page is on another host")
    except FedihubError as e:
        raise BadRequest("could not find your server's follow page: %(reason)s", reason=e) from e
    target = f"{hub.username}@{svc.config.domain}"
    raise web.HTTPSeeOther(template.replace("{uri}", quote(target, safe="@")))
