"""Coordinators' pages for an effort's sites: /hubs/SLUG/volunteers/sites (the list, and a form
to add one) and /hubs/SLUG/volunteers/sites/ID (one site; its form to change it). Leads and
dispatchers add and change sites; a site's coordinator sees their own site's page, address
included. The address is private (it goes to the volunteers assigned there), so these pages are
never cached nor indexed. A site of another hub is not found, whatever the id."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors.model import LocalActor
from fedihub.errors import NotFound
from fedihub.keys import services_key
from fedihub.volunteers import sites_store
from fedihub.volunteers.access import Access
from fedihub.volunteers.model import Site
from fedihub.web.auth import form_action, form_page
from fedihub.web.forms import form_text
from fedihub.web.volunteer_access import require_coordinator

routes = web.RouteTableDef()
SITES = "/hubs/{username}/volunteers/sites"
ONE_SITE = SITES + r"/{site_id:\d{1,18}}"
FIELDS = ("name", "area", "address", "needs")
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}  # fmt: skip
Coordinator = tuple[LocalActor, Account, Access]


def _private(response: web.Response) -> web.Response:
    response.headers.update(PRIVATE)
    return response


def _typed(form: Any) -> dict[str, str]:
    """What was typed, to show again after an error (nothing typed is lost)."""
    return {name: form_text(form, name)[:5000] for name in FIELDS} if form is not None else {}


async def _dispatcher(request: web.Request) -> Coordinator:
    return await require_coordinator(request, "dispatch")


async def _sites_page(
    request: web.Request, form: Any, who: Coordinator, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    hub, _, access = who
    svc = request.app[services_key]
    shown = [s for s in await sites_store.sites(svc.db, hub.id) if access.sees_site(s.id)]
    return _private(await form_page(
        request, "volunteer_sites.html", status=status, error=error, hub=hub, sites=shown,
        may_edit=access.dispatches, values=_typed(form) if error else {},
        done=request.query.get("done") == "added" and error is None,
    ))  # fmt: skip


@routes.get(SITES)
async def sites_page(request: web.Request) -> web.Response:
    return await _sites_page(request, None, await require_coordinator(request, "site"))


async def _add(request: web.Request, form: Any, who: Coordinator) -> str:
    hub = who[0]
    svc = request.app[services_key]
    typed = _typed(form)
    site = sites_store.checked_site(hub.id, 0, **typed)
    async with svc.db.transaction() as tx:
        site_id = await sites_store.save_site(tx, site, svc.clock.now())
    return f"/hubs/{hub.username}/volunteers/sites/{site_id}?done=added"


@routes.post(SITES)
async def add_site(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _dispatcher, _add, _sites_page)


def _site_id(request: web.Request) -> int:
    return int(request.match_info["site_id"])


async def _site_of(request: web.Request, hub: LocalActor) -> Site:
    found = await sites_store.site(request.app[services_key].db, hub.id, _site_id(request))
    if found is None:
        raise NotFound("%(hub)s has no such site", hub=hub.username)
    return found


async def _site_page(
    request: web.Request, form: Any, who: Coordinator, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    hub, _, access = who
    site = await _site_of(request, hub)
    svc = request.app[services_key]
    coming = await sites_store.coming_shifts(svc.db, hub.id, svc.clock.now(), site_id=site.id)
    done = request.query.get("done", "")
    values = _typed(form) if error else {n: getattr(site, n) for n in FIELDS}
    return _private(await form_page(
        request, "volunteer_sites_edit.html", status=status, error=error, hub=hub, site=site,
        may_edit=access.dispatches, values=values, coming=len(coming),
        done=done if done in ("added", "saved") and error is None else "",
    ))  # fmt: skip


async def _viewer(request: web.Request) -> Coordinator:
    """A site's coordinator sees their own site; leads and dispatchers every site."""
    return await require_coordinator(request, "site", _site_id(request))


@routes.get(ONE_SITE)
async def site_page(request: web.Request) -> web.Response:
    return await _site_page(request, None, await _viewer(request))


async def _save(request: web.Request, form: Any, who: Coordinator) -> str:
    hub = who[0]
    svc = request.app[services_key]
    site = await _site_of(request, hub)  # this hub's, or 404 before anything is read
    changed = sites_store.checked_site(hub.id, site.id, **_typed(form))
    async with svc.db.transaction() as tx:
        await sites_store.save_site(tx, changed, svc.clock.now())
    return f"/hubs/{hub.username}/volunteers/sites/{site.id}?done=saved"


@routes.post(ONE_SITE)
async def save_site(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _dispatcher, _save, _site_page)
