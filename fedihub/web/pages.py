"""Pages for people that belong to no actor: remote interaction and remote following."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from fedihub.activitystreams import host_of
from fedihub.errors import BadRequest, FedihubError, TooManyRequests
from fedihub.follows.service import parse_handle
from fedihub.hubs.service import require_hub
from fedihub.keys import follow_lookups_key, services_key
from fedihub.web.auth import client_address
from fedihub.web.respond import html

log = logging.getLogger(__name__)
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
    target = f"{hub.username}@{svc.config.domain}"
    # Visitors are told what to do; what a socket said is for the operator's log.
    try:
        username, domain = parse_handle(request.query.get("handle", ""))
    except FedihubError as e:
        raise BadRequest("Write your address as @name@your.server.") from e
    if ":" in domain and not svc.config.insecure_http:  # a real server's address has no port
        raise BadRequest("Write your address as @name@your.server.")
    try:
        template = await svc.client.subscribe_template(username, domain)
        if host_of(template) != host_of(f"https://{domain}"):
            # Only ever to the visitor's own server: never an open redirect for anyone else.
            raise BadRequest("that server's follow page is on another host")
    except FedihubError as e:
        log.info("no follow page for a visitor of %s at %s: %s", hub.username, domain, e.message)
        raise BadRequest(
            "We could not reach that server, or it offers no follow page. Check the address,"
            " or follow the hub by searching for %(hub)s in your app.",
            hub=f"@{target}",
        ) from e
    raise web.HTTPSeeOther(template.replace("{uri}", quote(target, safe="@")))
