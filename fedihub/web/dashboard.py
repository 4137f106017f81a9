"""The hub dashboard, the instance home page, and the calendar and Atom feeds people subscribe to.

Pages render from the same stored posts and the same render helpers as federation, so what a
browser shows and what Mastodon or Mobilizon receive never drift apart.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Database
from fedihub.errors import Forbidden
from fedihub.events import render as event_render
from fedihub.events import store as events
from fedihub.events.fields import scheduled_fields
from fedihub.follows import store as follow_store
from fedihub.groups import membership
from fedihub.groups import store as group_store
from fedihub.keys import account_key, calendar_cache_key, services_key
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.blocking import service as blocking
from fedihub.network import store as network
from fedihub.network.present import NetworkItem, present
from fedihub.polls.store import question_fields
from fedihub.posts import render
from fedihub.posts import store as posts
from fedihub.posts.kind import KindName, PostKind
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.volunteers.access import access_of
from fedihub.web import feeds
from fedihub.web.page_cache import shared
from fedihub.web.resources import MATCH_DONE, Refused, organising
from fedihub.web.respond import (
    atom_response,
    calendar_response,
    html,
    reader_words,
    wants_json,
)
from fedihub.words import Words

routes = web.RouteTableDef()
UPCOMING = 20
LATEST = 20


@dataclass(frozen=True)
class Upcoming:
    """An event or call occurrence as the dashboard lists it."""

    url: str
    title: str
    is_call: bool
    starts_iso: str
    when: str  # in the event's own zone, which it names
    where: str
    status: str
    going: int
    capacity: int | None
    hub_name: str
    hub_url: str


@dataclass(frozen=True)
class CallSeries:
    url: str
    title: str
    schedule: str
    ics_url: str


async def _owner(db: Database, known: dict[int, LocalActor], post: Post) -> LocalActor:
    """The hub a post belongs to, looked up once per page."""
    if post.actor_id not in known:
        owner = await actors.get_actor_by_id(db, post.actor_id)
        assert owner is not None, "posts belong to local actors (foreign key)"
        known[post.actor_id] = owner
    return known[post.actor_id]


async def _upcoming(
    svc: Services,
    hub: LocalActor | None,
    now: float,
    words: Words,
    known: dict[int, LocalActor] | None = None,
    known_posts: Sequence[Post] = (),
) -> list[Upcoming]:
    """`known`: hubs, and `known_posts`: call series, the caller has read already, so they are
    not read again (a hub's page lists its newest series, whose occurrences come next)."""
    base = svc.config.base_url
    found = []
    hubs: dict[int, LocalActor] = dict(known or {})
    dated = svc.kinds.names_where(lambda kind: kind.dated)
    listed = await posts.upcoming(svc.db, hub.id if hub else None, now, UPCOMING, dated)
    # At most three queries for the whole list, not two more per event.
    all_series = {p.id: p for p in known_posts}
    missing = {p.series_id for p in listed if p.series_id and p.series_id not in all_series}
    all_series.update(await posts.posts_by_id(svc.db, missing))
    attendance = await events.attendance_of(svc.db, [p.id for p in listed])
    for post in listed:
        owner = hub or await _owner(svc.db, hubs, post)
        series = all_series.get(post.series_id) if post.series_id else None
        fields = scheduled_fields(post, series)
        assert post.starts_at is not None and post.ends_at is not None
        zone = ZoneInfo(fields.timezone)  # event_render.zone_of, without reading the fields again
        found.append(
            Upcoming(
                url=render.post_uri(owner.uri(base), post.id),
                title=(series or post).title or "",
                is_call=post.is_occurrence,  # events have none
                starts_iso=event_render.local_time(post.starts_at, zone).isoformat(),
                when=event_render.when_line(post.starts_at, post.ends_at, zone, words),
                where=event_render.place_line(fields, words),
                status=post.status,
                going=attendance[post.id].going,
                capacity=fields.capacity,
                hub_name=owner.name,
                hub_url=owner.uri(base),
            )
        )
    return found


def _section(svc: Services, section: str) -> tuple[KindName, ...]:
    """The kinds the hub page lists in `section`."""
    return svc.kinds.names_where(lambda kind: kind.hub_section == section)


def _series(hub_uri: str, post: Post, words: Words) -> CallSeries:
    schedule = event_render.series_line(post, words)
    return CallSeries(
        url=render.post_uri(hub_uri, post.id),
        title=post.title or "",
        schedule=schedule,
        ics_url=render.post_uri(hub_uri, post.id) + ".ics",
    )


async def _removable(
    svc: Services, hub: LocalActor, viewer: object, items: list[NetworkItem]
) -> set[str]:
    """The posts shown that the hub carries, when the viewer moderates it: each gets a link to
    remove it from the hub."""
    if not isinstance(viewer, Account):
        return set()
    try:
        await local_moderator(svc, viewer, hub)
    except Forbidden:
        return set()
    return {i.id for i in items if await group_store.carried(svc.db, hub.id, i.id) is not None}


async def hub_page(
    request: web.Request, hub: LocalActor, *, refused: Refused | None = None, status: int = 200
) -> web.Response:
    """The hub's page; its organisers also see its needs, offers and matches to answer, with
    an answer just `refused` beside its match."""
    svc = request.app[services_key]
    base = svc.config.base_url
    hub_uri = hub.uri(base)
    now = svc.clock.now()
    words = reader_words(request)
    series, updates, minutes, questions = await posts.latest_posts_of(
        svc.db,
        hub.id,
        [(_section(svc, "calls"), LATEST), (_section(svc, "updates"), LATEST),
         (_section(svc, "minutes"), 50), (_section(svc, "questions"), LATEST)],
    )  # fmt: skip
    calls = [
        _series(hub_uri, p, words)
        for p in series
        # One-off calls are listed with the upcoming events, with their own status.
        if p.status != "cancelled" and scheduled_fields(p).schedule
    ]
    network_items: list[NetworkItem] = [
        present(doc)
        for doc in await blocking.visible(svc, await network.seen_by(svc.db, hub.id, LATEST))
    ]
    viewer = request.get(account_key)
    can_organise = isinstance(viewer, Account) and (
        viewer.is_admin or await actors.is_organizer(svc.db, hub.id, viewer.actor.id)
    )
    # Organisers lead the hub's relief effort; its other coordinators get the link too.
    coordinates = can_organise or (
        isinstance(viewer, Account) and await access_of(svc.db, hub, viewer) is not None
    )
    standing = (
        await membership.standing(svc, hub, viewer.actor) if isinstance(viewer, Account) else None
    )
    removable = await _removable(svc, hub, viewer, network_items)
    done = request.query.get("done", "")
    return html(
        request,
        "dashboard.html",
        status=status,
        can_organise=can_organise,
        coordinates=coordinates,
        resources=await organising(svc, hub, words, refused) if can_organise else None,
        match_done=done if done in MATCH_DONE else "",
        standing=standing,
        removable=removable,
        removed=request.query.get("done") == "removed",
        hub=hub,
        hub_uri=hub_uri,
        handle=f"@{hub.username}@{svc.config.domain}",
        organizers=await actors.organizers(svc.db, hub.id),
        followers=await follow_store.accepted_count(svc.db, "followers", hub.id),
        upcoming=await _upcoming(svc, hub, now, words, known_posts=series),
        calls=calls,
        updates=[
            render.post_object(hub_uri, p, svc.kinds.get(p.kind), reader=words) for p in updates
        ],
        minutes=minutes,
        questions=[
            (
                p,
                render.display_title(p, svc.kinds.of(p)),
                p.closed_at is None and (p.ends_at or 0) > now,
                question_fields(p).outcome,
            )
            for p in questions
        ],
        network=network_items,
    )


@routes.get("/")
@shared
async def home(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    if wants_json(request):
        raise web.HTTPFound(svc.config.base_url + "/actor")
    hubs = await actors.list_actors(svc.db, "group")
    known = {h.id: h for h in hubs}
    upcoming = await _upcoming(svc, None, svc.clock.now(), reader_words(request), known)
    calendar_url = svc.config.base_url + "/calendar.ics"
    viewer = request.get(account_key)
    mine = await membership.hubs_of(svc, viewer.actor) if isinstance(viewer, Account) else []
    return html(request, "home.html", hubs=hubs, upcoming=upcoming, calendar_url=calendar_url,
                mine=mine)  # fmt: skip


async def _hub(request: web.Request) -> LocalActor:
    svc = request.app[services_key]
    hub = await actors.get_actor(svc.db, "group", request.match_info["username"])
    if hub is None:
        raise web.HTTPNotFound(text="no such hub")
    return hub


async def calendar_entry(
    db: Database, hub_uri: str, hub_name: str, post: Post, kind: PostKind, language: str = "en"
) -> feeds.CalendarEntry:
    """A post as a calendar lists it: a series with its cancelled dates, an occurrence with the
    series it borrows its text and place from; its words in the post's language, else
    `language` (its hub's)."""
    series = await posts.get_post_by_id(db, post.series_id) if post.series_id else None
    cancelled: tuple[float, ...] = ()
    if kind.has_occurrences and post.series_id is None:
        cancelled = tuple(
            o.starts_at for o in await posts.cancelled_occurrences(db, post.id) if o.starts_at
        )
        if not scheduled_fields(post).schedule and post.starts_at in cancelled:
            # A one-off call is its one occurrence: cancelling that cancels the call.
            post, cancelled = replace(post, status="cancelled"), ()
    uri = render.post_uri(hub_uri, post.id)
    return feeds.CalendarEntry(
        post=post, uid=uri, url=uri, hub_name=hub_name,
        title=render.display_title(series or post, kind), cancelled_starts=cancelled,
        series=series, language=(series or post).fields.get("language") or language,
    )  # fmt: skip


async def _calendar(request: web.Request, hub: LocalActor | None, name: str) -> web.Response:
    """A calendar is costly to write (~0.5 ms an event, in icalendar) and apps poll it often:
    it is kept under a fingerprint of its posts, answered 304 to a client that has it, and
    written off the event loop when it must be."""
    svc = request.app[services_key]
    db, base, now = svc.db, svc.config.base_url, svc.clock.now()
    day = int(now // 86_400)  # what "a month back" covers moves daily
    version = f"{await posts.calendar_fingerprint(db, hub.id if hub else None)}:{day}"
    etag = f'"{hashlib.sha256(version.encode()).hexdigest()[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    cache, key = request.app[calendar_cache_key], f"hub:{hub.id}" if hub else "instance"
    body = cache.get(key, etag)
    if body is None:
        since = now - 30 * 86_400  # a month back, so a calendar keeps recent history
        entries = []
        owners: dict[int, LocalActor] = {}
        in_calendar = svc.kinds.names_where(lambda kind: kind.has_calendar)
        series = svc.kinds.names_where(lambda kind: kind.has_occurrences)
        for post in await posts.calendar_posts(
            db, hub.id if hub else None, since, in_calendar, series
        ):
            owner = hub or await _owner(db, owners, post)
            kind = svc.kinds.get(post.kind)
            entries.append(
                await calendar_entry(db, owner.uri(base), owner.name, post, kind, owner.language)
            )
        body = await asyncio.to_thread(feeds.build_calendar, entries, name=name, now=now)
        cache.put(key, etag, body)
    return calendar_response(body, etag=etag)


@routes.get("/hubs/{username}/calendar.ics")
async def hub_calendar(request: web.Request) -> web.Response:
    hub = await _hub(request)
    return await _calendar(request, hub, hub.name)


@routes.get("/calendar.ics")
async def instance_calendar(request: web.Request) -> web.Response:
    return await _calendar(request, None, request.app[services_key].config.instance_name)


def _feed_entry(hub: LocalActor, hub_uri: str, post: Post, kind: PostKind) -> feeds.FeedEntry:
    obj = render.post_object(hub_uri, post, kind, language=hub.language)
    return feeds.FeedEntry(
        id=obj["id"],
        url=obj["url"],
        title=post.title or "",
        content_html=obj["content"],
        published=post.published_at,
        updated=post.updated_at,
        author_name=hub.name,
        categories=kind.feed_categories,
    )


async def _network_entries(svc: Services, hub: LocalActor, limit: int) -> list[feeds.FeedEntry]:
    """What the hub's dashboard shows "from the network" (what it re-shares, however it came to:
    a member's post, one approved from the queue, a followed hub's), as feed entries; the same
    query and the same block filter as the page, so the two never drift apart."""
    dated = await network.seen_by_dated(svc.db, hub.id, limit)
    shown = {id(doc) for doc in await blocking.visible(svc, [doc for doc, _ in dated])}
    entries = []
    for doc, received_at in dated:
        if id(doc) not in shown:
            continue
        item = present(doc)
        entries.append(
            feeds.FeedEntry(
                id=item.id,
                url=item.url or hub.uri(svc.config.base_url),
                title=item.title or "",
                content_html=item.content_html,
                published=received_at,
                updated=None,
                author_name=item.author or "",
            )
        )
    return entries


async def _feed_entries(svc: Services, hub: LocalActor | None) -> list[feeds.FeedEntry]:
    """A hub's feed carries what its dashboard shows: its posts and what it re-shares; the
    instance's, every hub's own posts."""
    base = svc.config.base_url
    targets = [hub] if hub else await actors.list_actors(svc.db, "group")
    in_feed = svc.kinds.names_where(lambda kind: kind.in_feed)
    entries = await _network_entries(svc, hub, 50) if hub else []
    for owner in targets:
        hub_uri = owner.uri(base)
        for post in await posts.latest_posts(svc.db, owner.id, 50, kinds=in_feed):
            entries.append(_feed_entry(owner, hub_uri, post, svc.kinds.get(post.kind)))
    entries.sort(key=lambda e: e.published, reverse=True)
    return entries[:50]


async def _atom(request: web.Request, hub: LocalActor | None) -> web.Response:
    svc = request.app[services_key]
    base = svc.config.base_url
    entries = await _feed_entries(svc, hub)
    self_url = base + request.path
    body = feeds.build_atom(
        entries,
        feed_id=self_url,
        title=hub.name if hub else svc.config.instance_name,
        self_url=self_url,
        html_url=hub.uri(base) if hub else base + "/",
        updated=max((e.updated or e.published for e in entries), default=0.0),
    )
    return atom_response(body)


@routes.get("/hubs/{username}/feed.atom")
@shared
async def hub_atom(request: web.Request) -> web.Response:
    return await _atom(request, await _hub(request))


@routes.get("/feed.atom")
@shared
async def instance_atom(request: web.Request) -> web.Response:
    return await _atom(request, None)


async def _feed_page(request: web.Request, hub: LocalActor | None) -> web.Response:
    """What a browser shows for "News feed": what a feed is, its address to copy into a feed
    reader, and what it holds now. The links people click lead here; <link rel="alternate">
    and feed readers keep the Atom document (a browser shows that as raw XML, and Chromium is
    removing XSLT, which could have styled it)."""
    svc = request.app[services_key]
    base = svc.config.base_url
    entries = await _feed_entries(svc, hub)
    return html(
        request,
        "feed.html",
        name=hub.name if hub else svc.config.instance_name,
        home_url=hub.uri(base) if hub else base + "/",
        feed_url=(hub.uri(base) if hub else base) + "/feed.atom",
        timezone=hub.timezone if hub else "UTC",
        entries=[(e, e.title or render.fallback_title(e.content_html)) for e in entries[:20]],
    )


@routes.get("/hubs/{username}/feed")
@shared
async def hub_feed_page(request: web.Request) -> web.Response:
    return await _feed_page(request, await _hub(request))


@routes.get("/feed")
@shared
async def instance_feed_page(request: web.Request) -> web.Response:
    return await _feed_page(request, None)
