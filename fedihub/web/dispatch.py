"""Dispatch pages of a hub's relief effort: the board (coming shifts with open places; one
shift with who is asked and whom to propose, to tick and assign), a site's list of who is
coming with a check-in button per person, and the volunteer's answer page behind their link.

Coordinators' pages start with require_coordinator and write an audit entry for each view and
action (they show personal data). The answer page needs no account: the token in its address
is the proof; a GET shows the shift and two buttons and changes nothing, the POST answers.
Pages with personal data or a private link are not cached, indexed or referred from."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from fedihub.errors import BadRequest, FedihubError, NotFound
from fedihub.events.render import when_line
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key, watchdog_key
from fedihub.services import Services
from fedihub.volunteers import assignments, assignments_store, board, roles_store, sites_store
from fedihub.volunteers.access import Access
from fedihub.volunteers.model import SKILLS, Shift
from fedihub.web.auth import form_action
from fedihub.web.forms import form_number, form_text, read_form
from fedihub.web.respond import html, in_their_words, reader_words
from fedihub.web.volunteer_access import require_coordinator
from fedihub.words import N_

routes = web.RouteTableDef()
BOARD = "/hubs/{username}/volunteers/board"
SHIFT = BOARD + "/{post_id:[0-9]{1,18}}"
COMING = "/hubs/{username}/volunteers/sites/{site_id:[0-9]{1,18}}/coming"
ANSWER = "/hubs/{username}/volunteer/answer/{token}"
MAX_TOKEN = 100
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
LINK = {**PRIVATE, "Referrer-Policy": "no-referrer"}
# What the pages call each state of an assignment.
STATE_NAMES = {
    "invited": N_("Invited, no answer yet"),
    "confirmed": N_("Confirmed"),
    "declined": N_("Declined"),
    "cancelled": N_("Cancelled"),
    "checked_in": N_("Checked in"),
}
DONE = {
    "assigned": N_("Asked: each gets their link by e-mail or direct message."),
    "cancelled": N_("The invitation was cancelled."),
    "checked_in": N_("Checked in."),
}


def _when(request: web.Request, zone: str) -> Callable[[Shift], str]:
    """A shift's time as the reader's language writes it, in the hub's zone."""
    words, where = reader_words(request), _zone(zone)
    return lambda shift: when_line(shift.starts_at, shift.ends_at, where, words)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _private(response: web.Response, headers: dict[str, str] = PRIVATE) -> web.Response:
    response.headers.update(headers)
    return response


def _post_id(request: web.Request) -> int:
    return int(request.match_info["post_id"])


def _site_id(request: web.Request) -> int:
    return int(request.match_info["site_id"])


# The board


@routes.get(BOARD)
async def board_page(request: web.Request) -> web.Response:
    hub, _, who = await require_coordinator(request, "dispatch")
    svc = request.app[services_key]
    now = svc.clock.now()
    coming = await sites_store.coming_shifts(svc.db, hub.id, now)
    places = await sites_store.places(svc.db, coming)
    names = {s.id: s.name for s in await sites_store.sites(svc.db, hub.id)}
    titles = await sites_store.titles(svc.db, hub.id, [s.post_id for s in coming])
    await roles_store.record(svc.db, hub.id, who.person_id, "board", now, None, "coming shifts")
    rows = [(s, places[s.post_id], names.get(s.site_id, ""), titles.get(s.post_id, ""))
            for s in coming]  # fmt: skip
    return _private(html(request, "volunteer_board.html", hub=hub, rows=rows,
                         when=_when(request, hub.timezone)))  # fmt: skip


def _wanted(request: web.Request) -> board.Wanted:
    query = request.query
    skill = query.get("skill", "")
    language = query.get("language", "").strip().lower()[:20]
    return board.Wanted(
        skill=skill if skill in dict(SKILLS) else "",
        area=query.get("area", "").strip()[:100],
        language=language if board.LANGUAGE_CODE.match(language) else "",
    )


async def _shift_of(svc: Services, hub_id: int, post_id: int) -> Shift:
    shift = await sites_store.shift(svc.db, hub_id, post_id)
    if shift is None:
        raise NotFound("this effort has no such shift")
    return shift


async def _shift_page(
    request: web.Request, who: Access, error: str | None = None, status: int = 200,
    ticked: frozenset[int] = frozenset(),
) -> web.Response:  # fmt: skip
    svc = request.app[services_key]
    hub, now = who.hub, svc.clock.now()
    shift = await _shift_of(svc, hub.id, _post_id(request))
    site = await sites_store.site(svc.db, hub.id, shift.site_id)
    if site is None:
        raise NotFound("this effort has no such shift")
    wanted = _wanted(request)
    proposed = await board.proposals(svc.db, hub.id, shift, site, now=now, wanted=wanted)
    asked = await assignments_store.assigned(svc.db, hub.id, shift.post_id)
    places = (await sites_store.places(svc.db, [shift]))[shift.post_id]
    title = (await sites_store.titles(svc.db, hub.id, [shift.post_id])).get(shift.post_id, "")
    await roles_store.record(svc.db, hub.id, who.person_id, "board", now, None,
                             f"shift {shift.post_id}: {len(proposed)} proposed")  # fmt: skip
    done = request.query.get("done", "")
    return _private(html(
        request, "volunteer_board_shift.html", status=status, hub=hub, shift=shift, site=site,
        title=title, places=places, asked=asked, proposed=proposed, wanted=wanted,
        skills=SKILLS, skill_names=dict(SKILLS), state_names=STATE_NAMES, error=error,
        done=DONE.get(done, ""), ticked=ticked, when=_when(request, hub.timezone),
        over=shift.state == "cancelled" or shift.ends_at <= now,
    ))  # fmt: skip


@routes.get(SHIFT)
async def shift_page(request: web.Request) -> web.Response:
    _, _, who = await require_coordinator(request, "dispatch")
    return await _shift_page(request, who)


async def _dispatcher(request: web.Request) -> Access:
    return (await require_coordinator(request, "dispatch"))[2]


def _ticked(form: Any) -> list[int]:
    values = [v for v in form.getall("volunteer", []) if isinstance(v, str)]
    if any(not re.fullmatch(r"[0-9]{1,18}", v) for v in values):
        raise BadRequest("volunteer: a volunteer's number")
    return [int(v) for v in values]


async def _assign(request: web.Request, form: Any, who: Access) -> str:
    svc = request.app[services_key]
    shift = await _shift_of(svc, who.hub.id, _post_id(request))
    await assignments.assign(svc, who, shift, _ticked(form))
    return f"/hubs/{who.hub.username}/volunteers/board/{shift.post_id}?done=assigned"


async def _again(
    request: web.Request, form: Any, who: Access, error: str, status: int
) -> web.Response:
    """The shift's board again with the error, the ticks kept (another effort's shift stays a
    404, never shown)."""
    try:
        ticked = frozenset(_ticked(form))
    except FedihubError:
        ticked = frozenset()
    return await _shift_page(request, who, error, status, ticked)


@routes.post(SHIFT + "/assign")
async def assign(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _dispatcher, _assign, _again)


async def _cancel(request: web.Request, form: Any, who: Access) -> str:
    svc = request.app[services_key]
    shift = await _shift_of(svc, who.hub.id, _post_id(request))
    number = form_number(form, "assignment", "assignment: which one to cancel")
    found = await assignments_store.assignment(svc.db, who.hub.id, number)
    if found is None or found.shift_id != shift.post_id:
        raise NotFound("this shift has no such assignment")
    await assignments.cancel(svc, who, number)
    return f"/hubs/{who.hub.username}/volunteers/board/{shift.post_id}?done=cancelled"


@routes.post(SHIFT + "/cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _dispatcher, _cancel, _again)


# A site's list of who is coming


async def _coming_page(
    request: web.Request, who: Access, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    hub, now = who.hub, svc.clock.now()
    site = await sites_store.site(svc.db, hub.id, _site_id(request))
    if site is None:
        raise NotFound("this effort has no such site")
    coming = await sites_store.coming_shifts(svc.db, hub.id, now, site.id)
    people = await assignments_store.coming_to_site(svc.db, hub.id, site.id, now)
    titles = await sites_store.titles(svc.db, hub.id, [s.post_id for s in coming])
    places = await sites_store.places(svc.db, coming)
    await roles_store.record(svc.db, hub.id, who.person_id, "site", now, None,
                             f"site {site.id}: who is coming")  # fmt: skip
    return _private(html(
        request, "volunteer_site_coming.html", status=status, hub=hub, site=site,
        shifts=coming, people=people, titles=titles, places=places, state_names=STATE_NAMES,
        error=error, done=DONE.get(request.query.get("done", ""), ""),
        when=_when(request, hub.timezone),
    ))  # fmt: skip


@routes.get(COMING)
async def coming_page(request: web.Request) -> web.Response:
    _, _, who = await require_coordinator(request, "site", _site_id(request))
    return await _coming_page(request, who)


async def _site_coordinator(request: web.Request) -> Access:
    return (await require_coordinator(request, "site", _site_id(request)))[2]


async def _check_in(request: web.Request, form: Any, who: Access) -> str:
    svc = request.app[services_key]
    number = form_number(form, "assignment", "assignment: whom to check in")
    await assignments.check_in(svc, who, _site_id(request), number)
    return f"/hubs/{who.hub.username}/volunteers/sites/{_site_id(request)}/coming?done=checked_in"


async def _coming_again(
    request: web.Request, form: Any, who: Access, error: str, status: int
) -> web.Response:
    return await _coming_page(request, who, error, status)


@routes.post(COMING + "/check_in")
async def check_in(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _site_coordinator, _check_in, _coming_again)


# The volunteer's answer


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if len(token) > MAX_TOKEN or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise NotFound("this link is unknown")
    return token


def _answer_page(
    request: web.Request, found: assignments.Answer, token: str, *, status: int = 200,
    said: str = "", error: str = "",
) -> web.Response:  # fmt: skip
    hub_name = request.match_info["username"]
    svc = request.app[services_key]
    choice = request.query.get("choice", "")
    return _private(html(
        request, "volunteer_answer.html", status=status, found=found, token=token,
        slug=hub_name, choice=choice if choice in assignments.CHOICES else "", said=said,
        error=error, state_names=STATE_NAMES, when=_when(request, found.zone),
        past=found.shift.ends_at <= svc.clock.now(),
    ), LINK)  # fmt: skip


@routes.get(ANSWER)
async def answer_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    token = _token(request)
    return _answer_page(request, await assignments.look(svc, hub, token), token)


@routes.post(ANSWER)
async def answer(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    token = _token(request)
    form = await read_form(request, request.app[watchdog_key], svc.config.body_timeout_s)
    choice = form_text(form, "choice")
    if choice not in assignments.CHOICES:
        raise BadRequest("choice: confirm or decline")
    try:
        found = await assignments.answer(svc, hub, token, "confirm" if choice == "confirm"
                                         else "decline")  # fmt: skip
    except FedihubError as e:
        if e.http_status == 404:
            raise
        seen = await assignments.look(svc, hub, token)
        return _answer_page(request, seen, token, status=e.http_status,
                            error=in_their_words(request, e))  # fmt: skip
    return _answer_page(request, found, token, said=choice)
