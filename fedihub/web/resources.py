"""Needs and offers for people: the instance's list and each hub's (the open ones, filtered by
side, category and place, paged), their Atom feeds, and what a hub's organisers see of their
needs, offers and matches on its dashboard. The answers to a match (accept, decline, fulfilled)
are in web/matches.py.

Every line is written here in the reader's words (the feed's: its hub's language), so the page
and the feed say the same thing."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from babel.numbers import format_decimal
from markupsafe import escape

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.resources import store
from fedihub.resources.kind import categories as kind_categories
from fedihub.resources.model import SIDES, Intent, Match, MatchState, Side
from fedihub.resources.render import category_label
from fedihub.services import Services
from fedihub.web import feeds
from fedihub.web.page_cache import shared
from fedihub.web.respond import atom_response, html, reader_words
from fedihub.words import N_, Words, words_for

routes = web.RouteTableDef()
PAGE = 30
FEED_SIZE = 50
MAX_PLACE = 100  # characters of a place to look for
MAX_URI = 2048
# What a person may type into the place filter: no control characters (PostgreSQL refuses NUL).
CONTROL = re.compile("[\x00-\x1f\x7f]")
# `before` is a time as repr() writes a float: digits, a point, perhaps an exponent.
NUMBER = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?(e[-+]?[0-9]{1,3})?")

SIDE_NAMES: dict[Side, str] = {"need": N_("Needed"), "offer": N_("On offer")}
# What the dashboard says after an answer to a match (web/matches.py sends it there with ?done=).
MATCH_DONE = ("match-accepted", "match-declined", "match-partly", "match-fulfilled")
STATE_NAMES: dict[MatchState, str] = {
    "proposed": N_("proposed"), "accepted": N_("accepted"), "declined": N_("declined"),
    "partly_fulfilled": N_("partly fulfilled"), "fulfilled": N_("fulfilled"),
}  # fmt: skip


def categories(svc: Services) -> tuple[str, ...]:
    """The categories people may pick: the shared list and the instance's own."""
    return kind_categories(svc.config.resource_categories)


@dataclass(frozen=True)
class Filters:
    side: Side | None
    category: str
    place: str
    before: float | None  # published_at of the last one on the page before
    before_uri: str | None  # and its uri, for those published in that same instant

    def pairs(self) -> list[tuple[str, str]]:
        """The filters as a query string's pairs (not the page)."""
        found = [("side", self.side or ""), ("category", self.category), ("place", self.place)]
        return [(k, v) for k, v in found if v]


def read_filters(query: Mapping[str, str], known: Sequence[str]) -> Filters:
    """?side=, ?category=, ?place=, ?before= and ?last= as the lists read them; BadRequest for
    anything else than what the form sends (an unknown side or category is refused, not
    ignored: a list that silently shows everything would mislead whoever shared the link)."""
    side = query.get("side", "").strip()
    category = query.get("category", "").strip()
    place = query.get("place", "")
    before = query.get("before", "").strip()
    last = query.get("last", "").strip()
    if side and side not in SIDES:
        raise BadRequest("side: need or offer")
    if category and category not in known:
        raise BadRequest("category: %(category)r is not one of the categories listed here",
                         category=category[:60])  # fmt: skip
    if CONTROL.search(place):
        raise BadRequest("place: a name or a town, without control characters")
    place = " ".join(place.split())
    if len(place) > MAX_PLACE:
        raise BadRequest("place: at most %(max)s characters", max=MAX_PLACE)
    moment = None
    if before:
        moment = float(before) if len(before) <= 40 and NUMBER.fullmatch(before) else math.nan
        if not math.isfinite(moment):
            raise BadRequest("before: the time of the last one on the page before")
    if last and (len(last) > MAX_URI or CONTROL.search(last)
                 or not last.startswith(("https://", "http://"))):  # fmt: skip
        raise BadRequest("last: the address of the last one on the page before")
    return Filters(next((s for s in SIDES if s == side), None), category, place, moment,
                   last or None)  # fmt: skip


@dataclass(frozen=True)
class Listed:
    """A need or an offer as a list, a feed or the dashboard shows it."""

    intent: Intent
    side: str  # "Needed" / "On offer", in the reader's words
    link: str  # its page here (a path), or its address on its own server
    remote: bool
    amount: str  # "50 sleeping bags", "12 of 50 sleeping bags still needed"
    category: str
    place: str
    until_iso: str  # the day, for <time datetime>; "" when none
    until: str  # "Needed by Monday, December 7, 2026"; "" when none
    hub_name: str
    hub_link: str


def _number(n: int, words: Words) -> str:
    return format_decimal(n, locale=words.locale)


def amount_line(intent: Intent, words: Words) -> str:
    """How many, and how many are still needed or offered, in `words`."""
    unit = intent.unit
    if intent.quantity is None:
        return words("any quantity of %(unit)s", unit=unit) if unit else words("any quantity")
    left = intent.quantity if intent.remaining is None else intent.remaining
    quantity, remaining = _number(intent.quantity, words), _number(left, words)
    if left >= intent.quantity:
        return f"{quantity} {unit}".strip()
    if intent.side == "need":
        line = words("%(remaining)s of %(quantity)s %(unit)s still needed",
                     remaining=remaining, quantity=quantity, unit=unit)  # fmt: skip
    else:
        line = words("%(remaining)s of %(quantity)s %(unit)s still offered",
                     remaining=remaining, quantity=quantity, unit=unit)  # fmt: skip
    return " ".join(line.split())  # no unit: no double space


def until_line(intent: Intent, words: Words) -> tuple[str, str]:
    """(ISO day, "Needed by …" / "Available until …"); empty when it has no date. The day as
    its hub wrote it (`until_at` ends it in the hub's zone: another day in UTC)."""
    if intent.until_day is None:
        return "", ""
    try:
        day = dt.date.fromisoformat(intent.until_day)
    except ValueError:
        return "", ""
    if intent.side == "need":
        return day.isoformat(), words("Needed by %(day)s", day=words.date(day))
    return day.isoformat(), words("Available until %(day)s", day=words.date(day))


def _link(uri: str, base_url: str) -> tuple[str, bool]:
    """Ours by its path on this site; another server's by its address (the template's
    http_url filter refuses any other scheme)."""
    if uri.startswith(base_url + "/"):
        return uri[len(base_url) :], False
    return uri, True


async def listed(svc: Services, intents: Sequence[Intent], words: Words) -> list[Listed]:
    """Intents with what people read of them, their hubs named in one lookup."""
    base = svc.config.base_url
    hubs = await actors.people(svc.db, base, svc.config.domain, [i.hub_uri for i in intents])
    found = []
    for intent in intents:
        link, remote = _link(intent.uri, base)
        hub = hubs.get(intent.hub_uri)
        until_iso, until = until_line(intent, words)
        found.append(Listed(
            intent=intent, side=words(SIDE_NAMES[intent.side]), link=link, remote=remote,
            amount=amount_line(intent, words), category=category_label(intent.category, words),
            place=intent.place, until_iso=until_iso, until=until,
            hub_name=hub.name if hub else intent.hub_uri,
            hub_link=_link(hub.profile if hub else intent.hub_uri, base)[0],
        ))  # fmt: skip
    return found


async def _local_hub_uris(svc: Services, hub: LocalActor | None) -> list[str]:
    base = svc.config.base_url
    hubs = [hub] if hub else await actors.list_actors(svc.db, "group")
    return [h.uri(base) for h in hubs]


def _path(hub: LocalActor | None) -> str:
    return f"/hubs/{hub.username}/resources" if hub else "/resources"


def _address(path: str, pairs: list[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(pairs) if pairs else "")


async def _list_page(request: web.Request, hub: LocalActor | None) -> web.Response:
    svc = request.app[services_key]
    known = categories(svc)
    chosen = read_filters(request.query, known)
    words = reader_words(request)
    intents = await store.open_listing(
        svc.db, now=svc.clock.now(), hub_uris=await _local_hub_uris(svc, hub),
        side=chosen.side, category=chosen.category or None, place=chosen.place or None,
        before=chosen.before, before_uri=chosen.before_uri, limit=PAGE,
    )  # fmt: skip
    path = _path(hub)
    more = None
    if len(intents) == PAGE:
        last = intents[-1]
        more = _address(path, [*chosen.pairs(), ("before", repr(last.published_at)),
                               ("last", last.uri)])  # fmt: skip
    return html(
        request, "resources.html", hub=hub, items=await listed(svc, intents, words),
        filters=chosen, side_names=[(s, words(SIDE_NAMES[s])) for s in SIDES],
        category_names=[(c, category_label(c, words)) for c in known],
        filtered=bool(chosen.pairs()), paged=chosen.before is not None,
        first_page=_address(path, chosen.pairs()), everything=path, more=more,
        feed_url=_address(path + "/feed.atom", chosen.pairs()),
    )  # fmt: skip


@routes.get("/resources")
@shared
async def instance_list(request: web.Request) -> web.Response:
    return await _list_page(request, None)


@routes.get("/hubs/{username}/resources")
@shared
async def hub_list(request: web.Request) -> web.Response:
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    return await _list_page(request, hub)


def entry_html(item: Listed) -> str:
    """A need or an offer as a feed reader shows it: what, how many, where and by when."""
    lines = [item.amount, " · ".join(x for x in (item.category, item.place, item.until) if x),
             item.hub_name]  # fmt: skip
    return "".join(f"<p>{escape(line)}</p>" for line in lines if line)


async def _atom(request: web.Request, hub: LocalActor | None) -> web.Response:
    """The list as a feed, with the same filters (its newest only: feed readers do not page)."""
    svc = request.app[services_key]
    chosen = read_filters(request.query, categories(svc))
    words = words_for(hub.language if hub else None)  # not the reader's: a feed is shared
    intents = await store.open_listing(
        svc.db, now=svc.clock.now(), hub_uris=await _local_hub_uris(svc, hub),
        side=chosen.side, category=chosen.category or None, place=chosen.place or None,
        limit=FEED_SIZE,
    )  # fmt: skip
    base = svc.config.base_url
    entries = [
        feeds.FeedEntry(
            id=item.intent.uri,
            url=item.link if item.remote else base + item.link,
            title=f"{item.side}: {item.intent.title}",
            content_html=entry_html(item),
            published=item.intent.published_at,
            updated=item.intent.updated_at,
            author_name=item.hub_name,
            categories=(item.intent.side, item.intent.category),
        )
        for item in await listed(svc, intents, words)
    ]
    path = _path(hub)
    self_url = base + _address(path + "/feed.atom", chosen.pairs())
    name = hub.name if hub else svc.config.instance_name
    what = words("needs and offers")
    body = feeds.build_atom(
        entries, feed_id=self_url, title=f"{name}: {what}",
        self_url=self_url, html_url=base + _address(path, chosen.pairs()),
        updated=max((e.updated or e.published for e in entries), default=0.0),
    )  # fmt: skip
    return atom_response(body)


@routes.get("/resources/feed.atom")
@shared
async def instance_atom(request: web.Request) -> web.Response:
    return await _atom(request, None)


@routes.get("/hubs/{username}/resources/feed.atom")
@shared
async def hub_atom(request: web.Request) -> web.Response:
    hub = await require_hub(request.app[services_key].db, request.match_info["username"])
    return await _atom(request, hub)


# The dashboard's part: what the hub's organisers have open, and the matches to answer.


@dataclass(frozen=True)
class MatchShown:
    match: Match
    need: Listed | None  # None: forgotten since (its post deleted)
    offer: Listed | None
    other_hub: str  # the other side's hub, by name
    state: str
    score: str
    can_accept: bool
    can_decline: bool
    can_fulfil: bool
    # What the other hub said it delivered and our organisers have not confirmed, no more than
    # is left of ours (0: nothing waiting); `reported_whole`: all of it, with no quantity said.
    to_confirm: int = 0
    reported_whole: bool = False


@dataclass(frozen=True)
class Refused:
    """An answer to a match that was refused: shown again beside it, with what was typed."""

    match_id: int
    error: str
    quantity: str


@dataclass(frozen=True)
class Organising:
    """The dashboard's "Needs and offers" section, for the hub's organisers."""

    intents: list[Listed]
    matches: list[MatchShown]
    refused: Refused | None
    error: str  # the refusal of an answer to a match no longer listed (declined already)


async def organising(
    svc: Services, hub: LocalActor, words: Words, refused: Refused | None = None
) -> Organising:
    """The hub's open needs and offers (closed ones leave this list; their pages stay) and its
    live matches, each with both sides."""
    hub_uri = hub.uri(svc.config.base_url)
    now = svc.clock.now()
    mine = await store.open_listing(svc.db, now=now, hub_uris=[hub_uri], limit=100)
    matches = await store.matches_of_hub(svc.db, hub.id, settleable_by=hub_uri)
    held: dict[str, Intent] = {}
    for m in matches:
        for uri in (m.need_uri, m.offer_uri):
            if uri not in held and (known := await store.intent(svc.db, uri)) is not None:
                held[uri] = known
    shown = {i.intent.uri: i for i in await listed(svc, list(held.values()), words)}
    found = []
    for m in matches:
        need, offer = shown.get(m.need_uri), shown.get(m.offer_uri)
        theirs = next((s for s in (need, offer) if s and s.intent.hub_uri != hub_uri), None)
        mine_side = next((s for s in (need, offer) if s and s.intent.hub_uri == hub_uri), None)
        # A side no longer on record (its post deleted) leaves nothing to settle: shown, unanswered.
        whole = need is not None and offer is not None
        other_open = theirs is not None and theirs.intent.is_open(now)
        pending = m.reported_quantity - m.fulfilled_quantity if m.report_pending else 0
        if pending and mine_side and mine_side.intent.remaining is not None:
            pending = min(pending, mine_side.intent.remaining)
        found.append(MatchShown(
            match=m, need=need, offer=offer, other_hub=theirs.hub_name if theirs else hub.name,
            state=words(STATE_NAMES[m.state]),
            score=format_decimal(m.score, format="0.00", locale=words.locale),
            can_accept=whole and other_open and m.state == "proposed",
            can_decline=m.state in ("proposed", "accepted"),
            can_fulfil=whole and (other_open or m.report_pending)
            and m.state in ("proposed", "accepted", "partly_fulfilled"),
            to_confirm=max(pending, 0), reported_whole=m.report_pending and m.reported_whole,
        ))  # fmt: skip
    listed_ids = {m.id for m in matches}
    elsewhere = refused.error if refused and refused.match_id not in listed_ids else ""
    return Organising(await listed(svc, mine, words), found, refused, elsewhere)
