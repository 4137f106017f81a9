"""POST to an inbox: cap, parse, verify, check origins, store durably, answer 202."""

from __future__ import annotations

import contextlib

from aiohttp import web

from fedihub.activitystreams import host_of
from fedihub.actors import store as actors
from fedihub.errors import Forbidden, PayloadTooLarge, SignatureError, TooManyRequests
from fedihub.inbox.precheck import precheck
from fedihub.inbox.validate import (
    ForeignDelete,
    check_origins,
    is_self_delete,
    parse_activity,
)
from fedihub.keys import (
    inbox_budgets_key,
    inbox_writer_key,
    metrics_key,
    services_key,
    watchdog_key,
)
from fedihub.signatures import SignedRequest, verify_request
from fedihub.web.forms import body_deadline  # the one deadline for every body read

INBOX_PATHS = (
    "/inbox",
    "/actor/inbox",
    "/newswire/inbox",
    "/hubs/{username}/inbox",
    "/users/{username}/inbox",
)


async def read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge("the body is larger than %(limit)s bytes", limit=limit)
    if request.content_length is not None and request.content.is_eof():
        # All of it came with the headers (an activity usually does): taken as it is, with no
        # await for a deadline to watch. Measured again: a compressed body is inflated.
        if len(body := request.content.read_nowait()) > limit:
            raise PayloadTooLarge("the body is larger than %(limit)s bytes", limit=limit)
        return body
    chunks: list[bytes] = []
    size = 0
    timeout_s = request.app[services_key].config.body_timeout_s
    with body_deadline(request.app[watchdog_key], timeout_s):
        while chunk := await request.content.read(65_536):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge("the body is larger than %(limit)s bytes", limit=limit)
            chunks.append(chunk)
    return b"".join(chunks)


async def post_inbox(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    if "username" in request.match_info:
        kind = "group" if request.path.startswith("/hubs/") else "person"
        if await actors.get_actor(svc.db, kind, request.match_info["username"]) is None:  # type: ignore[arg-type]
            raise web.HTTPNotFound(text="no such actor")
    body = await read_body(request, svc.config.max_inbox_body_bytes)
    activity = parse_activity(body)
    host = host_of(activity.actor)
    if await svc.blocked.refuses(activity.actor):  # its host, or it alone
        raise Forbidden("this instance does not accept activities from that host or account")
    budgets = request.app[inbox_budgets_key]
    if (wait_s := budgets.wait_s(host)) > 0:
        raise TooManyRequests(
            "this server has sent more than this instance accepts: try again later",
            retry_after_s=wait_s,
        )
    # Pure checks on what the activity claims, before any key is fetched to verify the claim.
    # A Delete of a post on another host: a hub's moderator? inbox/precheck.py checks they are.
    with contextlib.suppress(ForeignDelete):
        check_origins(activity, own_host=host_of(svc.config.base_url))
    if is_self_delete(activity) and await actors.get_remote_actor(svc.db, activity.actor) is None:
        # An account we never knew was deleted: nothing to do, and its key is gone anyway.
        return web.Response(status=202)
    try:
        signer = await verify_request(
            SignedRequest(
                method=request.method,
                url=svc.config.base_url + request.path_qs,
                headers=request.headers,
                body=body,
            ),
            lambda key_id, refresh: svc.resolver.key(key_id, refresh=refresh),
            now=svc.clock.now(),
        )
        if signer != activity.actor:
            raise SignatureError("the activity's actor is not the owner of the signing key")
    except SignatureError:
        request.app[metrics_key].inbox_signature_failed()
        raise
    fresh = False
    try:
        await precheck(svc, activity)
        fresh = await request.app[inbox_writer_key].store(activity)  # it wakes the workers
    finally:  # refused by a precheck or not, it was a request
        budgets.charge(host, requests=1, stored_bytes=len(body) if fresh else 0)
    return web.Response(status=202)


async def get_inbox(request: web.Request) -> web.Response:
    raise web.HTTPMethodNotAllowed("GET", ["POST"])


def add_inbox_routes(app: web.Application) -> None:
    for path in INBOX_PATHS:
        app.router.add_post(path, post_inbox)
        app.router.add_get(path, get_inbox)
