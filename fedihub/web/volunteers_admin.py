"""The coordinators' pages of a hub's relief effort, under /hubs/SLUG/volunteers: the home
(counts and links, a site's coordinator seeing only their sites), the volunteers' list and one
volunteer (dispatchers; each page view audited), roles, the audit log and the sign-up settings
(the hub's organisers), and the CSV export (a POST with its CSRF token: it is personal data).

Every page starts with require_coordinator (web/volunteer_access.py), is never stored by a
browser or a proxy (no-store), sends no referrer and asks not to be indexed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from fedihub.errors import BadRequest
from fedihub.keys import services_key
from fedihub.volunteers import coordination, roles_store, sites_store, store
from fedihub.volunteers.access import Access, Need
from fedihub.volunteers.export import availability_text, skills_text, transport_text
from fedihub.volunteers.model import DAYS, SKILLS, AuditAction, Role
from fedihub.web.auth import form_action, form_page
from fedihub.web.forms import form_number, form_text
from fedihub.web.respond import html, in_their_words, words_for
from fedihub.web.volunteer_access import require_coordinator
from fedihub.words import N_

routes = web.RouteTableDef()
BASE = "/hubs/{username}/volunteers"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}  # fmt: skip
AUDIT_PAGE = 100
NUMBER = re.compile(r"[0-9]{1,18}")
ROLE_NAMES: dict[Role, str] = {
    "lead": N_("Organiser"), "dispatcher": N_("Dispatcher"), "site": N_("Site coordinator"),
}  # fmt: skip
ACTION_NAMES: dict[AuditAction, str] = {
    "list": N_("listed volunteers"), "view": N_("read a volunteer's details"),
    "board": N_("opened the dispatch board"), "site": N_("saw who is coming to a site"),
    "export": N_("exported the volunteers"), "assign": N_("assigned a volunteer"),
    "check_in": N_("checked a volunteer in"), "grant": N_("gave a role"),
    "revoke": N_("took a role back"), "delete": N_("deleted a volunteer"),
    "expire": N_("deleted volunteers whose consent ran out"),
}  # fmt: skip
DONE = ("granted", "revoked", "saved")


def _private(response: web.Response) -> web.Response:
    response.headers.update(PRIVATE)
    return response


async def _access(request: web.Request, need: Need) -> Access:
    return (await require_coordinator(request, need))[2]


async def _lead(request: web.Request) -> Access:
    return await _access(request, "lead")


async def _dispatcher(request: web.Request) -> Access:
    return await _access(request, "dispatch")


def _base(access: Access) -> str:
    return f"/hubs/{access.hub.username}/volunteers"


def _done(request: web.Request) -> str:
    done = request.query.get("done", "")
    return done if done in DONE else ""


def _before(request: web.Request) -> int | None:
    """?before=ID: the next page starts after that volunteer, or that log entry."""
    given = request.query.get("before")
    if given is None:
        return None
    if not NUMBER.fullmatch(given):
        raise BadRequest("before: the number of the last one on the page before")
    return int(given)


@routes.get(BASE)
async def home(request: web.Request) -> web.Response:
    access = await _access(request, "site")
    overview = await coordination.overview(request.app[services_key], access)
    return _private(html(request, "volunteers_home.html", hub=access.hub, access=access,
                         overview=overview, base=_base(access)))  # fmt: skip


# The volunteers


@routes.get(BASE + "/people")
async def people(request: web.Request) -> web.Response:
    access = await _dispatcher(request)
    svc = request.app[services_key]
    q = request.query
    typed = {name: q.get(name, "") for name in ("q", "area", "skill", "language", "day")}
    error, listing, next_url = None, None, ""
    try:
        search = coordination.read_search(typed["q"], typed["area"], typed["skill"],
                                          typed["language"], typed["day"])  # fmt: skip
        before = _before(request)
        listing = await coordination.people(svc, access, search, before)
        if listing.more is not None:
            pairs = [*search.pairs(), ("before", str(listing.more))]
            next_url = f"{_base(access)}/people?{urlencode(pairs)}"
    except BadRequest as e:  # the search stays in its boxes, to be put right
        error = in_their_words(request, e)
    words = words_for(request).gettext
    return _private(html(
        request, "volunteers_people.html", status=400 if error else 200, hub=access.hub,
        base=_base(access), typed=typed, error=error, skills=SKILLS, days=DAYS,
        volunteers=listing.volunteers if listing else [], next_url=next_url,
        skills_of=lambda bits: skills_text(bits, words),
        filtered=any(typed.values()), first_page=q.get("before") is None,
    ))  # fmt: skip


@routes.get(BASE + r"/people/{volunteer_id:[0-9]{1,18}}")
async def person(request: web.Request) -> web.Response:
    access = await _dispatcher(request)
    svc = request.app[services_key]
    found, asked = await coordination.volunteer(
        svc, access, int(request.match_info["volunteer_id"])
    )
    words = words_for(request).gettext
    return _private(html(
        request, "volunteers_person.html", hub=access.hub, base=_base(access), v=found,
        asked=asked, skills=skills_text(found.skills, words),
        availability=availability_text(found.availability, words),
        transport=transport_text(found.transport, words),
    ))  # fmt: skip


# Roles


async def _roles_page(
    request: web.Request, form: Any, access: Access, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    hub_sites = await sites_store.sites(svc.db, access.hub.id)
    return _private(await form_page(
        request, "volunteers_roles.html", status=status, error=error, hub=access.hub,
        base=_base(access), grants=await roles_store.grants(svc.db, access.hub.id),
        sites={s.id: s.name for s in hub_sites}, role_names=ROLE_NAMES, form=form or {},
        done=_done(request) if error is None else "",
    ))  # fmt: skip


@routes.get(BASE + "/roles")
async def roles_page(request: web.Request) -> web.Response:
    return await _roles_page(request, None, await _lead(request))


async def _grant(request: web.Request, form: Any, access: Access) -> str:
    role = form_text(form, "role")
    site = form_number(form, "site", "site: which site?") if role == "site" else None
    await coordination.grant(request.app[services_key], access, form_text(form, "username"),
                             role, site)  # fmt: skip
    return f"{_base(access)}/roles?done=granted"


async def _revoke(request: web.Request, form: Any, access: Access) -> str:
    grant_id = form_number(form, "grant", "which role?")
    await coordination.revoke(request.app[services_key], access, grant_id)
    return f"{_base(access)}/roles?done=revoked"


@routes.post(BASE + "/roles/grant")
async def grant(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _lead, _grant, _roles_page)


@routes.post(BASE + "/roles/revoke")
async def revoke(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _lead, _revoke, _roles_page)


# The audit log


@routes.get(BASE + "/audit")
async def audit(request: web.Request) -> web.Response:
    access = await _lead(request)
    svc = request.app[services_key]
    before = _before(request)
    entries = await roles_store.entries(svc.db, access.hub.id, AUDIT_PAGE, before)
    more = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return _private(html(
        request, "volunteers_audit.html", hub=access.hub, base=_base(access), entries=entries,
        action_names=ACTION_NAMES,
        next_url=f"{_base(access)}/audit?before={more}" if more else "",
    ))  # fmt: skip


# Settings


async def _settings_page(
    request: web.Request, form: Any, access: Access, error: str | None = None, status: int = 200
) -> web.Response:
    effort = await store.effort(request.app[services_key].db, access.hub.id)
    if form is not None:  # what was typed, not what is stored
        effort = type(effort)(effort.hub_id, form_text(form, "signup_open") == "yes",
                              form_text(form, "intro", strip=False))  # fmt: skip
    return _private(await form_page(
        request, "volunteers_settings.html", status=status, error=error, hub=access.hub,
        base=_base(access), effort=effort, max_intro=coordination.MAX_INTRO,
        done=_done(request) if error is None else "",
    ))  # fmt: skip


@routes.get(BASE + "/settings")
async def settings_page(request: web.Request) -> web.Response:
    return await _settings_page(request, None, await _lead(request))


async def _save_settings(request: web.Request, form: Any, access: Access) -> str:
    await coordination.save_settings(request.app[services_key], access,
                                     form_text(form, "signup_open") == "yes",
                                     form_text(form, "intro", strip=False))  # fmt: skip
    return f"{_base(access)}/settings?done=saved"


@routes.post(BASE + "/settings")
async def save_settings(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _lead, _save_settings, _settings_page)


# The export


async def _export_page(
    request: web.Request, form: Any, access: Access, error: str | None = None, status: int = 200
) -> web.Response:
    count = await store.count(request.app[services_key].db, access.hub.id)
    return _private(await form_page(request, "volunteers_export.html", status=status,
                                    error=error, hub=access.hub, base=_base(access),
                                    count=count))  # fmt: skip


@routes.get(BASE + "/export.csv")
async def export_page(request: web.Request) -> web.Response:
    return await _export_page(request, None, await _dispatcher(request))


async def _export(request: web.Request, form: Any, access: Access) -> web.Response:
    svc = request.app[services_key]
    text = await coordination.export(svc, access.hub, access.person_id,
                                     words_for(request).gettext)  # fmt: skip
    day = datetime.fromtimestamp(svc.clock.now(), UTC).date().isoformat()
    name = f"volunteers-{access.hub.username}-{day}.csv"
    return web.Response(
        text=text, content_type="text/csv", charset="utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"',
                 "X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


@routes.post(BASE + "/export.csv")
async def export(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _dispatcher, _export, _export_page)
