"""The public moderation log, as a page and an Atom feed: the instance's and every hub's actions
(`/moderation`), or one hub's (`/hubs/SLUG/moderation`), newest first, paged with `?before=ID`.
Each entry says when, where, what, about whom (named or described, by the instance's policy:
moderation/public.py), under which clause, why, and who acted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from markupsafe import Markup

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.content import html_text
from fedihub.errors import BadRequest
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key, templates_key
from fedihub.moderation import log
from fedihub.moderation.public import Target, public_target
from fedihub.moderation.store import Entry
from fedihub.services import Services
from fedihub.web import feeds
from fedihub.web.respond import atom_response, html, reader_words

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Row:
    entry: Entry
    hub: LocalActor | None  # the hub whose moderators acted; None: the instance's admins
    hub_url: str
    zone: str  # the hub's time zone (UTC for the instance's own actions)
    target: Target
    code_version: str = ""  # a code of conduct's change: the version it made ("2")
    code_url: str = ""


def _before(request: web.Request) -> int | None:
    given = request.query.get("before")
    if given is None:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", given):
        raise BadRequest("before: the number of a log entry")
    return int(given)


async def _rows(
    svc: Services, hub: LocalActor | None, before: int | None
) -> tuple[list[Row], int | None]:
    """A page of the log (`hub` None: every scope) and the `before` of the next page, if any."""
    entries = await log.recent(svc.db, hub.id if hub else None, everywhere=hub is None,
                               before=before)  # fmt: skip
    hubs: dict[int, LocalActor | None] = {} if hub is None else {hub.id: hub}
    rows = []
    for entry in entries:
        scope = None
        if entry.hub_id is not None:
            if entry.hub_id not in hubs:
                hubs[entry.hub_id] = await actors.get_actor_by_id(svc.db, entry.hub_id)
            scope = hubs[entry.hub_id]
        target = public_target(entry, svc.config.moderation_log_names, svc.config.domain)
        version = entry.target_label.removeprefix("v")
        if entry.action != "conduct_change" or not version.isdecimal():
            version = ""
        code = f"{svc.config.base_url}{_paths(scope)[1]}?version={version}" if version else ""
        rows.append(Row(entry, scope, scope.uri(svc.config.base_url) if scope else "",
                        scope.timezone if scope else "UTC", target, version, code))  # fmt: skip
    more = entries[-1].id if len(entries) == log.PAGE else None
    return rows, more


def _paths(hub: LocalActor | None) -> tuple[str, str]:
    """The log's page and the code of conduct it cites."""
    return ("/moderation", "/conduct") if hub is None else (
        f"/hubs/{hub.username}/moderation", f"/hubs/{hub.username}/conduct")  # fmt: skip


async def _page(request: web.Request, hub: LocalActor | None) -> web.Response:
    svc = request.app[services_key]
    rows, more = await _rows(svc, hub, _before(request))
    page, code = _paths(hub)
    words = reader_words(request)
    title = (words("Moderation log of %(hub)s", hub=hub.name) if hub
             else words("Moderation log"))  # fmt: skip
    return html(request, "moderation.html", hub=hub, rows=rows, title=title,
                feed_url=f"{page}.atom", conduct_url=code,
                next_url=f"{page}?before={more}" if more else "")  # fmt: skip


async def _atom(request: web.Request, hub: LocalActor | None) -> web.Response:
    svc = request.app[services_key]
    rows, _ = await _rows(svc, hub, _before(request))
    base = svc.config.base_url
    page = base + _paths(hub)[0]
    words = reader_words(request)
    # The page's own macros write each entry, in the reader's language.
    macros: Any = request.app[templates_key].get_template("_modlog.html").make_module(
        {"_": words.gettext, "gettext": words.gettext, "ngettext": words.ngettext,
         "reader": words, "lang": words.language})  # fmt: skip
    entries = [
        feeds.FeedEntry(id=f"{base}/moderation#entry-{row.entry.id}",
                        url=f"{page}#entry-{row.entry.id}",
                        title=html_text(str(macros.entry_title(row))),
                        content_html=str(Markup(macros.entry_body(row))),
                        published=row.entry.created_at, updated=None,
                        author_name=row.entry.by_label)
        for row in rows
    ]  # fmt: skip
    title = (words("Moderation log of %(hub)s", hub=hub.name) if hub
             else words("Moderation log"))  # fmt: skip
    updated = rows[0].entry.created_at if rows else (hub.created_at if hub else 0.0)
    body = feeds.build_atom(entries, feed_id=page + ".atom", title=title, self_url=page + ".atom",
                            html_url=page, updated=updated)  # fmt: skip
    response = atom_response(body)
    response.headers["Vary"] = "Accept-Language, Cookie"  # written in the reader's language
    return response


@routes.get("/moderation")
async def instance_log(request: web.Request) -> web.Response:
    return await _page(request, None)


@routes.get("/moderation.atom")
async def instance_log_atom(request: web.Request) -> web.Response:
    return await _atom(request, None)


@routes.get("/hubs/{username}/moderation")
async def hub_log(request: web.Request) -> web.Response:
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    return await _page(request, hub)


@routes.get("/hubs/{username}/moderation.atom")
async def hub_log_atom(request: web.Request) -> web.Response:
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    return await _atom(request, hub)
