"""A hub's organisers answer a match from its dashboard: accept it, decline it, or say it was
fulfilled (wholly, or partly with the quantity delivered). Each answer is a form on the hub's
page (its CSRF token, organisers only: 403 for others) that calls resources/service.py and goes
back to the page with what happened; a refused answer shows the page again with the error
beside the match and the quantity as typed."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from fedihub.errors import BadRequest, NotFound
from fedihub.keys import services_key
from fedihub.resources import service
from fedihub.resources.model import MAX_QUANTITY, Match
from fedihub.web.auth import form_action
from fedihub.web.dashboard import hub_page
from fedihub.web.forms import form_text
from fedihub.web.organise import Organiser, require_organiser
from fedihub.web.resources import Refused

routes = web.RouteTableDef()
MATCH = r"/hubs/{username}/matches/{match_id:[0-9]{1,18}}"
# Where the dashboard goes after an answer, and what it says (dashboard.html).
DONE = {"accepted": "match-accepted", "declined": "match-declined",
        "partly_fulfilled": "match-partly", "fulfilled": "match-fulfilled"}  # fmt: skip


def _match_id(request: web.Request) -> int:
    return int(request.match_info["match_id"])


def read_quantity(form: Any) -> int | None:
    """What was delivered; empty: all of it."""
    typed = form_text(form, "quantity")
    if not typed:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", typed) or not 1 <= int(typed) <= MAX_QUANTITY:
        raise BadRequest("quantity: a whole number from 1 to %(max)s, or empty for all of it",
                         max=MAX_QUANTITY)  # fmt: skip
    return int(typed)


def _back(who: Organiser, match: Match) -> str:
    return f"/hubs/{who[0].username}?done={DONE[match.state]}#resources"


async def _accept(request: web.Request, form: Any, who: Organiser) -> str:
    svc = request.app[services_key]
    hub, account = who
    by = account.actor.uri(svc.config.base_url)
    return _back(who, await service.accept(svc, hub, _match_id(request), by))


async def _decline(request: web.Request, form: Any, who: Organiser) -> str:
    svc = request.app[services_key]
    hub, account = who
    by = account.actor.uri(svc.config.base_url)
    return _back(who, await service.decline(svc, hub, _match_id(request), by))


async def _fulfil(request: web.Request, form: Any, who: Organiser) -> str:
    svc = request.app[services_key]
    hub, account = who
    by = account.actor.uri(svc.config.base_url)
    quantity = read_quantity(form)
    return _back(who, await service.fulfil(svc, hub, _match_id(request), quantity, by))


async def _again(
    request: web.Request, form: Any, who: Organiser, error: str, status: int
) -> web.Response:
    """The dashboard once more, the error beside the match (a 404 stays a 404: another hub's
    match is not shown here)."""
    if status == 404:
        raise NotFound("this hub has no such match")
    refused = Refused(_match_id(request), error, form_text(form, "quantity")[:20])
    return await hub_page(request, who[0], refused=refused, status=status)


@routes.post(MATCH + "/accept")
async def accept(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _accept, _again)


@routes.post(MATCH + "/decline")
async def decline(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _decline, _again)


@routes.post(MATCH + "/fulfil")
async def fulfil(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_organiser, _fulfil, _again)
