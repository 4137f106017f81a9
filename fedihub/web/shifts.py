"""/hubs/SLUG/shifts: a hub's coming shifts that still need people, by day (in the hub's zone)
and then by site, for anyone, without an account. Counts only: how many places are open of how
many are needed, never who fills them; and a site's name and area, never its address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiohttp import web

from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.posts import render
from fedihub.volunteers import sites_store
from fedihub.volunteers.model import SKILLS, Places, Shift, Site, skills_of
from fedihub.web.page_cache import shared
from fedihub.web.respond import html, reader_words
from fedihub.words import Words

routes = web.RouteTableDef()
SKILL_LABELS = dict(SKILLS)
MAX_SHIFTS = 500  # the page's length: a month of a large effort's shifts


@dataclass(frozen=True)
class ShiftRow:
    url: str  # the shift's post, on this site
    starts_iso: str
    hours: str  # "08:00–14:00", or with the end's day when it ends another day
    skills: tuple[str, ...]  # labels, translated in the template
    languages: tuple[str, ...]
    places: Places


@dataclass(frozen=True)
class SiteGroup:
    name: str
    area: str
    needs: str
    shifts: list[ShiftRow]


@dataclass(frozen=True)
class Day:
    label: str
    sites: list[SiteGroup]


def _hours(shift: Shift, zone: ZoneInfo, words: Words) -> str:
    start = dt.datetime.fromtimestamp(shift.starts_at, zone)
    end = dt.datetime.fromtimestamp(shift.ends_at, zone)
    if end.date() == start.date():
        return f"{words.time(start)}–{words.time(end)}"
    return f"{words.time(start)} – {words.date(end)} {words.time(end)}"


def group_by_day_and_site(
    shifts: list[Shift], places: dict[int, Places], by_id: dict[int, Site], hub_path: str,
    zone: ZoneInfo, words: Words,
) -> list[Day]:  # fmt: skip
    """Shifts (soonest first) with open places, by the day they start and then by site, each
    site in the order its first shift comes."""
    days: dict[dt.date, dict[int, list[ShiftRow]]] = {}
    for shift in shifts:
        open_places = places[shift.post_id]
        if open_places.open == 0 or shift.site_id not in by_id:
            continue
        start = dt.datetime.fromtimestamp(shift.starts_at, zone)
        row = ShiftRow(
            url=render.post_uri(hub_path, shift.post_id), starts_iso=start.isoformat(),
            hours=_hours(shift, zone, words),
            skills=tuple(SKILL_LABELS[k] for k in skills_of(shift.skills)),
            languages=shift.languages, places=open_places,
        )  # fmt: skip
        days.setdefault(start.date(), {}).setdefault(shift.site_id, []).append(row)
    return [
        Day(words.date(day), [
            SiteGroup(by_id[site_id].name, by_id[site_id].area, by_id[site_id].needs, rows)
            for site_id, rows in at_sites.items()
        ])
        for day, at_sites in days.items()
    ]  # fmt: skip


@routes.get("/hubs/{username}/shifts")
@shared
async def shifts_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    coming = await sites_store.coming_shifts(svc.db, hub.id, svc.clock.now(), limit=MAX_SHIFTS)
    places = await sites_store.places(svc.db, coming)
    by_id = {s.id: s for s in await sites_store.sites(svc.db, hub.id)}
    zone = ZoneInfo(hub.timezone or "UTC")
    days = group_by_day_and_site(coming, places, by_id, hub.path(), zone, reader_words(request))
    return html(request, "shifts.html", hub=hub, days=days, zone=zone.key,
                signup=f"/hubs/{hub.username}/volunteer")  # fmt: skip
