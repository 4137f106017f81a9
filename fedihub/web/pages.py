"""Pages for people that belong to no actor: remote interaction and remote following."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedihub.activitystreams import host_of, is_actor_type
from fedihub.content import html_text
from fedihub.errors import BadRequest, FedihubError, FetchError, TooManyRequests
from fedihub.follows import service as following
from fedihub.follows.service import parse_handle
from fedihub.hubs.service import require_hub
from fedihub.keys import follow_lookups_key, services_key
from fedihub.polls import service as polls
from fedihub.posts import render
from fedihub.posts.service import local_post
from fedihub.services import Services
from fedihub.web.auth import client_address, current_account, form_page
from fedihub.web.respond import in_their_words

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Interaction:
    """What a link from elsewhere is about, once fetched: an actor to follow, an event to go
    to, a proposal to respond to or a poll to vote in."""

    uri: str
    what: str  # actor / event / proposal / poll
    name: str
    summary: str = ""
    options: tuple[str, ...] = ()
    multiple: bool = False
    handle: str = ""


def _named(doc: dict[str, Any]) -> str:
    for key in ("name", "preferredUsername"):
        if isinstance(doc.get(key), str) and doc[key].strip():
            return str(doc[key])
    content = doc.get("content")
    return html_text(content)[:200] if isinstance(content, str) else str(doc.get("id", ""))


def _summary(doc: dict[str, Any]) -> str:
    for key in ("summary", "content"):
        if isinstance(doc.get(key), str):
            return html_text(doc[key])[:1000]
    return ""


async def _fetched(svc: Services, uri: str) -> Interaction:
    """The remote object `uri` names, as the confirm page shows it. A visitor reads why it
    failed in their words; what a socket said goes to the operator's log."""
    try:
        doc = await svc.resolver.fetch_object(uri)
    except FetchError as e:
        log.info("authorize_interaction: could not fetch %s: %s", uri, e.message)
        raise BadRequest(
            "We could not fetch that address from its server: it may be down, private or not"
            " a fediverse address."
        ) from e
    kind = doc.get("type")
    if is_actor_type(kind):
        actor = await svc.resolver.actor(uri)
        handle = f"@{actor.preferred_username}@{host_of(uri)}" if actor.preferred_username else ""
        return Interaction(uri, "actor", _named(doc), _summary(doc), handle=handle)
    if kind == "Event":
        return Interaction(uri, "event", _named(doc), _summary(doc))
    if kind == "Question":
        what = "proposal" if polls.is_proposal(doc) else "poll"
        return Interaction(uri, what, _named(doc), _summary(doc),
                           tuple(polls.option_names(doc)), "anyOf" in doc)  # fmt: skip
    raise BadRequest("This address is not an event, a poll, a proposal or someone to follow.")


async def interaction_for(svc: Services, given: str) -> str | Interaction:
    """A path of ours to go to (our own hub or post), or what to confirm about another server's."""
    given = given.strip()
    if given.startswith("acct:"):
        given = given[5:]
    if not given.startswith(("https://", "http://")):
        if "@" not in given or given.startswith(("javascript:", "data:")):
            raise BadRequest("This is not a web address (https://…) or a handle like @name@host.")
        try:
            ours = await following.local_target(svc, given)
            if ours is not None:
                return ours.path()
            username, domain = following.parse_handle(given)
            given = await svc.client.webfinger(username, domain)
        except FedihubError as e:
            log.info("authorize_interaction: no actor for %s: %s", given, e.message)
            raise BadRequest("We could not find %(handle)s on its server.", handle=given) from e
    ours_post = await local_post(svc, given)
    if ours_post is not None:
        return render.post_uri(ours_post[0].path(), ours_post[1].id) + "#take-part"
    if host_of(given) == host_of(svc.config.base_url):
        local = await following.local_target(svc, given)
        if local is not None:
            return local.path()
    return await _fetched(svc, given)


async def interact_page(
    request: web.Request, uri: str, error: str | None = None, status: int = 200
) -> web.Response:
    """The confirm page: for a signed-in account, what the address is and the form to follow,
    go, respond or vote; for anyone else, how to sign in first."""
    account = await current_account(request)
    found: Interaction | None = None
    if account is not None and uri and error is None:
        svc = request.app[services_key]
        try:
            target = await interaction_for(svc, uri)
        except FedihubError as e:
            error, status = in_their_words(request, e), e.http_status
        else:
            if isinstance(target, str):
                raise web.HTTPSeeOther(target)
            found = target
    return await form_page(request, "interact.html", status=status, uri=uri, found=found,
                           error=error, done=request.query.get("done", ""))  # fmt: skip


@routes.get("/authorize_interaction")
async def authorize_interaction(request: web.Request) -> web.Response:
    """Where other servers send a person to follow or take part (WebFinger's subscribe
    template, as Mastodon's): `uri` is a handle or the address of an actor, event or poll."""
    return await interact_page(request, request.query.get("uri", "")[:2000])


@routes.get("/interact")
async def interact(request: web.Request) -> web.Response:
    return await interact_page(request, request.query.get("uri", "")[:2000])


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
