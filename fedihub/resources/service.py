"""Matching needs and offers across hubs, telling both sides, and settling a match (accepted,
declined, partly or wholly fulfilled) so the need's remaining quantity goes out everywhere.

Which of our hubs sees a match: for one of OUR intents, its own hub, against the open intents
of the hubs it follows (local hubs included); and for any intent, every local hub that follows
its hub, against its own open intents. Each new match is recorded for that hub, its
organisers are told (a list on the dashboard, a direct message to those on other servers), and
the other hub, when remote, gets a match notice: a Note addressed to it alone, in reply to its
intent, carrying

    "match": {"type": "fedihub:Match", "need": uri, "offer": uri, "state": MatchState,
              "fulfilledQuantity": n}

`fulfilledQuantity` is what the match has moved in all so far, so a repeated notice moves
nothing twice. Everything a match writes and the messages about it are one transaction. A
notice the other hub sends is read in told.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from fedihub.activitystreams import JsonObject
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follows
from fedihub.groups import store as groups
from fedihub.moderation import notices
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.resources import store
from fedihub.resources.matching import score
from fedihub.resources.model import (
    MAX_QUANTITY,
    Intent,
    IntentState,
    Match,
    MatchState,
    other_side,
)
from fedihub.services import Services
from fedihub.words import words_for

# At most this many new matches for one intent when it is saved: the best ones.
MAX_NEW_MATCHES = 10
DAY = 86_400.0
# What a match may become; fulfilled and declined are final.
TRANSITIONS: dict[MatchState, frozenset[MatchState]] = {
    "proposed": frozenset({"accepted", "declined", "partly_fulfilled", "fulfilled"}),
    "accepted": frozenset({"declined", "partly_fulfilled", "fulfilled"}),
    "partly_fulfilled": frozenset({"partly_fulfilled", "fulfilled"}),
    "declined": frozenset(),
    "fulfilled": frozenset(),
}
MATCH_TYPE = "fedihub:Match"


@dataclass(frozen=True)
class Found:
    """A pair one of our hubs sees, before it is recorded."""

    hub: LocalActor
    ours: Intent  # the hub's own need or offer
    other: Intent  # a followed hub's
    score: float

    @property
    def need(self) -> Intent:
        return self.ours if self.ours.side == "need" else self.other

    @property
    def offer(self) -> Intent:
        return self.other if self.ours.side == "need" else self.ours


async def hub_at(svc: Services, uri: str) -> LocalActor | None:
    actor = await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
    return actor if actor is not None and actor.kind == "group" else None


async def _followed(svc: Services, hub: LocalActor) -> list[str]:
    return [uri for uri, state in await follows.following(svc.db, hub.id) if state == "accepted"]


def _best(
    intent: Intent, candidates: Sequence[Intent], now: float, radius_km: float
) -> list[tuple[float, Intent]]:
    """The candidates that match, the best first (the newest first among equals)."""
    scored = [(s, c) for c in candidates if c.uri != intent.uri
              and (s := score(intent, c, now, radius_km)) is not None]  # fmt: skip
    scored.sort(key=lambda pair: (-pair[0], -pair[1].published_at, pair[1].uri))
    return scored


async def find_matches(svc: Services, intent: Intent) -> list[Match]:
    """Finds, records and tells the new matches of a saved intent; returns them (at most
    MAX_NEW_MATCHES per hub that sees it, fewer once another server's daily cap is reached)."""
    now = svc.clock.now()
    if not intent.is_open(now):
        return []
    categories = None if intent.category == "other" else [intent.category, "other"]
    # (hub, whose intents it is matched against, whether the intent is that hub's own)
    looks: list[tuple[LocalActor, list[str], bool]] = []
    own = await hub_at(svc, intent.hub_uri) if intent.local_post_id is not None else None
    if own is not None:
        looks.append((own, await _followed(svc, own), True))
    # Every hub here that follows the intent's hub, our other hubs included, against its own.
    for hub_id in await follows.local_actors_following(svc.db, intent.hub_uri):
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is not None and hub.kind == "group" and (own is None or hub.id != own.id):
            looks.append((hub, [hub.uri(svc.config.base_url)], False))
    found: list[Match] = []
    for hub, hub_uris, is_own in looks:
        # "other" matches only with a shared word: the database picks those out.
        any_word = intent.words if categories is None else None
        candidates = await store.open_candidates(
            svc.db, other_side(intent.side), hub_uris, categories, now, any_word
        )
        best = _best(intent, candidates, now, svc.config.match_radius_km)
        pairs = [Found(hub, intent, c, s) if is_own else Found(hub, c, intent, s)
                 for s, c in best]  # fmt: skip
        found += await _record(svc, pairs, now)
    if found:
        svc.wake_delivery()
    return found


async def _record(svc: Services, pairs: list[Found], now: float) -> list[Match]:
    """Records the best new pairs of one hub (within the caps), tells its organisers and the
    other side, in one transaction."""
    cap = svc.config.match_host_daily_cap
    room: dict[str, int] = {}
    new: list[Match] = []
    if not pairs:
        return new
    hub = pairs[0].hub
    # What each host has had today, read once for the hosts these matches could involve.
    hosts = {i.host for p in pairs[: MAX_NEW_MATCHES * 3] for i in (p.ours, p.other)
             if i.local_post_id is None}  # fmt: skip
    organisers = await remote_organisers(svc, hub)
    known: dict[str, RemoteActor | None] = {}
    async with svc.db.transaction() as tx:
        had = await store.matches_since_by_host(tx, sorted(hosts), now - DAY)
        for pair in pairs:
            if len(new) >= MAX_NEW_MATCHES:
                break
            remote = [i.host for i in (pair.ours, pair.other) if i.local_post_id is None]
            for host in remote:
                if host not in room:
                    room[host] = cap - (had.get(host, 0) if host in hosts else
                                        await store.matches_since(tx, host, now - DAY))  # fmt: skip
            if any(room[host] <= 0 for host in remote):
                continue
            match_id = await store.save_match(tx, pair.hub.id, pair.need.uri, pair.offer.uri,
                                              pair.score, "here", now)  # fmt: skip
            if match_id is None:
                continue
            for host in remote:
                room[host] -= 1
            match = Match(match_id, hub.id, pair.need.uri, pair.offer.uri, pair.score,
                          "proposed", 0, "here", now, now)  # fmt: skip
            new.append(match)
            await tell_organisers(tx, svc, hub, match, pair.need, pair.offer, organisers)
            await _tell_other_side(tx, svc, hub, match, pair.ours, pair.other, known)
    return new


# Telling people


def _line(hub: LocalActor, intent: Intent) -> str:
    words = words_for(hub.language)
    amount = "" if intent.remaining is None else f"{intent.remaining} {intent.unit}".strip()
    parts = [intent.title, amount, intent.place]
    text = " · ".join(p for p in parts if p)
    side = words("The need:") if intent.side == "need" else words("The offer:")
    return f'{escape(side)} <a href="{escape(intent.uri)}">{escape(text)}</a>'


def _message(hub: LocalActor, match: Match, need: Intent, offer: Intent) -> str:
    words = words_for(hub.language)
    heads: dict[MatchState, str] = {
        "proposed": words("%(hub)s: a need and an offer match.", hub=hub.name),
        "accepted": words("%(hub)s: a match was accepted.", hub=hub.name),
        "declined": words("%(hub)s: a match was declined.", hub=hub.name),
        "partly_fulfilled": words("%(hub)s: %(n)s delivered so far through a match.", hub=hub.name,
                                  n=match.fulfilled_quantity),
        "fulfilled": words("%(hub)s: a match was fulfilled.", hub=hub.name),
    }  # fmt: skip
    return (f"<p>{escape(heads[match.state])}</p><p>{_line(hub, need)}<br>"
            f"{_line(hub, offer)}</p>")  # fmt: skip


async def remote_organisers(svc: Services, hub: LocalActor) -> list[RemoteActor]:
    """The hub's admins and moderators on other servers (not blocked here)."""
    found = []
    for uri in await groups.moderator_uris(svc.db, hub.id):
        if uri.startswith(svc.config.base_url + "/"):
            continue
        person = await actors.get_remote_actor(svc.db, uri)
        if person is not None and not await svc.blocked.refuses(person.uri):
            found.append(person)
    return found


async def tell_organisers(
    tx: Transaction, svc: Services, hub: LocalActor, match: Match, need: Intent, offer: Intent,
    organisers: list[RemoteActor] | None = None,
) -> None:  # fmt: skip
    """Organisers here see the match on the dashboard (store.matches_of_hub); those on other
    servers (`organisers`, looked up when not given) get a direct message from the hub."""
    if organisers is None:
        organisers = await remote_organisers(svc, hub)
    for person in organisers:
        await notices.tell(tx, svc, hub, person, _message(hub, match, need, offer))


def notice(activity_uri: str, hub_uri: str, other: RemoteActor, handle: str, content: str,
           in_reply_to: str, match: Match) -> JsonObject:  # fmt: skip
    """The Create of a match notice: a direct Note to the other hub, with the match."""
    activity = compose.direct_note(activity_uri, hub_uri, other.uri, handle, content, in_reply_to)
    activity["object"]["match"] = {
        "type": MATCH_TYPE, "need": match.need_uri, "offer": match.offer_uri,
        "state": match.state, "fulfilledQuantity": match.fulfilled_quantity,
    }  # fmt: skip
    return activity


async def _tell_other_side(
    tx: Transaction, svc: Services, hub: LocalActor, match: Match, ours: Intent, other: Intent,
    known: dict[str, RemoteActor | None] | None = None,
) -> None:  # fmt: skip
    """The hub of `other` hears of the match (`ours` is `hub`'s): another of our hubs records
    it as told; a remote hub gets a match notice in reply to its intent. `known`: the remote
    hubs already looked up, kept across one batch of matches."""
    if other.local_post_id is not None:
        other_hub = await hub_at(svc, other.hub_uri)
        if other_hub is not None and other_hub.id != hub.id:
            await _told(tx, svc, other_hub, match)
        return
    known = {} if known is None else known
    if other.hub_uri not in known:
        person = await actors.get_remote_actor(svc.db, other.hub_uri)
        refused = person is None or await svc.blocked.refuses(person.uri)
        known[other.hub_uri] = None if refused else person
    person = known[other.hub_uri]
    if person is None:
        return
    words = words_for(hub.language)
    need, offer = (ours, other) if ours.side == "need" else (other, ours)
    content = (
        "<p>" + escape(words("%(hub)s has a match for this.", hub=hub.name)) + "</p>"
        + _message(hub, match, need, offer)
    )  # fmt: skip
    activity = notice(svc.new_activity_uri(), hub.uri(svc.config.base_url), person,
                      notices.handle_of(person), content, other.uri, match)  # fmt: skip
    await outbox.enqueue(tx, actor_id=hub.id, activity=activity,
                         targets=[personal_target(person)], is_public=False,
                         now=svc.clock.now())  # fmt: skip


async def _told(tx: Transaction, svc: Services, hub: LocalActor, told: Match) -> None:
    """Another of our hubs' match, as this hub (the other side, here too) records it."""
    now = svc.clock.now()
    need, offer = await store.intent(tx, told.need_uri), await store.intent(tx, told.offer_uri)
    if need is None or offer is None:
        return
    mine = await store.match_of(tx, hub.id, told.need_uri, told.offer_uri)
    if mine is None:
        await store.save_match(tx, hub.id, told.need_uri, told.offer_uri, told.score, "told",
                               now)  # fmt: skip
        mine = await store.match_of(tx, hub.id, told.need_uri, told.offer_uri)
        if mine is None:
            return
    ours = need if need.hub_uri == hub.uri(svc.config.base_url) else offer
    heard = await hear(tx, svc, mine, ours, told.state, told.fulfilled_quantity)
    if heard.tell:
        await tell_organisers(tx, svc, hub, await store.match(tx, mine.id) or mine, need, offer)


@dataclass(frozen=True)
class Heard:
    """What the other side's word did to our match: `why` it changed nothing, or whether our
    organisers are to be told (a report already waiting for them is only updated)."""

    changed: bool
    tell: bool = False
    why: str = ""


async def hear(
    tx: Transaction, svc: Services, match: Match, ours: Intent, state: MatchState,
    fulfilled: int,
) -> Heard:  # fmt: skip
    """What the other side says of a match our hub holds, with `ours` our side of it. That they
    accept or decline moves our record. That they delivered (`fulfilled` in all, or wholly with
    no quantity) is reported to our organisers, who confirm it with Fulfilled: each hub's need
    or offer changes only on its own organisers' word, so no other server can close or drain
    it. Organisers are told once per report waiting for them, however often it grows."""
    await store.lock_pair(tx, match.need_uri, match.offer_uri)
    current = await store.match(tx, match.id)
    if current is None:
        return Heard(False, why="the match is gone")
    if state in ("partly_fulfilled", "fulfilled"):
        if current.state in ("declined", "fulfilled"):
            return Heard(False, why=f"the match is {current.state} already")
        grown = fulfilled > max(current.reported_quantity, current.fulfilled_quantity)
        whole = state == "fulfilled" and not grown and not current.reported_whole
        if not grown and not whole:
            return Heard(False, why=f"{fulfilled} delivered was known already")
        now_ours = await store.intent(tx, ours.uri) or ours
        moved = fulfilled - current.fulfilled_quantity
        if grown and now_ours.remaining is not None and moved > now_ours.remaining:
            return Heard(False, why=f"{moved} is more than the {now_ours.remaining} still open")
        await store.set_reported(tx, current.id, max(fulfilled, current.reported_quantity),
                                 current.reported_whole or whole, svc.clock.now())  # fmt: skip
        return Heard(True, tell=not current.report_pending)
    if state == current.state:
        return Heard(False, why="nothing new")
    if state not in ("accepted", "declined") or state not in TRANSITIONS[current.state]:
        return Heard(False, why=f"a {current.state} match cannot become {state}")
    await store.set_match_state(tx, current.id, state, current.fulfilled_quantity,
                                svc.clock.now())  # fmt: skip
    return Heard(True, tell=True)


# Settling a match


async def _match_of_hub(svc: Services, hub: LocalActor, match_id: int) -> Match:
    match = await store.match(svc.db, match_id)
    if match is None or match.hub_id != hub.id:
        raise NotFound("no match %(id)s for this hub", id=match_id)
    return match


def _ours_and_other(hub_uri: str, need: Intent, offer: Intent) -> tuple[Intent, Intent]:
    return (need, offer) if need.hub_uri == hub_uri else (offer, need)


def _step(match: Match, state: MatchState) -> None:
    if state not in TRANSITIONS[match.state]:
        raise BadRequest("a %(current)s match cannot become %(wanted)s", current=match.state,
                         wanted=state)  # fmt: skip


async def settle(
    tx: Transaction, svc: Services, hub: LocalActor, match: Match, state: MatchState,
    fulfilled: int, *, tell_other: bool = True,
) -> Match:  # fmt: skip
    """Moves `match` to `state` with `fulfilled` delivered in all (the caller holds the pair,
    store.lock_pair): our intent's remaining goes down by what is new (closed at 0, or when a
    match fulfils an open-ended one), its Update goes out, and the other side is told."""
    now = svc.clock.now()
    need, offer = await store.intent(tx, match.need_uri), await store.intent(tx, match.offer_uri)
    if need is None or offer is None:
        raise NotFound("the need or the offer of match %(id)s is gone", id=match.id)
    hub_uri = hub.uri(svc.config.base_url)
    ours, other = _ours_and_other(hub_uri, need, offer)
    moved = fulfilled - match.fulfilled_quantity
    await store.set_match_state(tx, match.id, state, fulfilled, now)
    settled = await store.match(tx, match.id)
    assert settled is not None
    if (
        ours.hub_uri == hub_uri
        and ours.local_post_id is not None
        and (moved > 0 or state == "fulfilled")
    ):
        done = await store.delivered(tx, hub.id, ours.uri)  # this match's new total included
        remaining = None if ours.quantity is None else max(0, ours.quantity - done)
        closed = remaining == 0 or (remaining is None and state == "fulfilled")
        new_state: IntentState = "closed" if closed else ours.state
        await store.set_remaining(tx, ours.uri, remaining, new_state, now)
        post = await posts.get_post_by_id(tx, ours.local_post_id)
        if post is not None and post.deleted_at is None:
            targets = await federate.audience(svc, hub, post)
            await federate.send_update(tx, svc, hub, post, targets, now)
    if tell_other:
        await _tell_other_side(tx, svc, hub, settled, ours, other)
    return settled


def _check_quantity(quantity: int, ours: Intent, other: Intent, match: Match,
                    now: float) -> MatchState:  # fmt: skip
    """Refuses what cannot be delivered; a quantity that uses up either side fulfils it. The
    other side closed (its hub confirmed first), only what it reported is left to confirm."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise BadRequest("the quantity must be a whole number, at least 1")
    if quantity > MAX_QUANTITY:
        raise BadRequest("the quantity may be at most %(max)s", max=MAX_QUANTITY)
    sides = [ours, other] if other.is_open(now) else [ours]
    for side in sides:
        if side.remaining is None or quantity <= side.remaining:
            continue
        if side.side == "need":
            raise BadRequest("%(quantity)s is more than the %(remaining)s still needed",
                             quantity=quantity, remaining=side.remaining)  # fmt: skip
        raise BadRequest("%(quantity)s is more than the %(remaining)s still offered",
                         quantity=quantity, remaining=side.remaining)  # fmt: skip
    if not other.is_open(now):
        reported = match.reported_quantity - match.fulfilled_quantity
        if quantity > reported and not match.reported_whole:
            raise BadRequest("the other side is closed: at most the %(reported)s it said were"
                             " delivered", reported=max(reported, 0))  # fmt: skip
        if quantity == reported:
            return "fulfilled"  # all it reported, and it has nothing more to give or take
    uses_up = any(i.remaining == quantity for i in sides)
    return "fulfilled" if uses_up else "partly_fulfilled"


async def _decline(tx: Transaction, svc: Services, hub: LocalActor, match: Match) -> Match:
    """Declined, even when the need or the offer is gone; the other side is told if both are
    still on record."""
    _step(match, "declined")
    await store.set_match_state(tx, match.id, "declined", match.fulfilled_quantity,
                                svc.clock.now())  # fmt: skip
    declined = await store.match(tx, match.id)
    assert declined is not None
    need, offer = await store.intent(tx, match.need_uri), await store.intent(tx, match.offer_uri)
    if need is not None and offer is not None:
        ours, other = _ours_and_other(hub.uri(svc.config.base_url), need, offer)
        await _tell_other_side(tx, svc, hub, declined, ours, other)
    return declined


async def _change(
    svc: Services, hub: LocalActor, match_id: int, state: MatchState, quantity: int | None
) -> Match:
    first = await _match_of_hub(svc, hub, match_id)
    async with svc.db.transaction() as tx:
        await store.lock_pair(tx, first.need_uri, first.offer_uri)
        current = await store.match(tx, match_id)
        if current is None:
            raise NotFound("no match %(id)s for this hub", id=match_id)
        if state == "declined":  # whatever became of either side, a match may be declined
            declined = await _decline(tx, svc, hub, current)
            svc.wake_delivery()
            return declined
        moved = 0
        need = await store.intent(tx, current.need_uri)
        offer = await store.intent(tx, current.offer_uri)
        if need is None or offer is None:
            raise NotFound("the need or the offer of match %(id)s is gone", id=match_id)
        ours, other = _ours_and_other(hub.uri(svc.config.base_url), need, offer)
        now = svc.clock.now()
        # Accepting needs both sides open; a delivery, ours open and the other open or its
        # report still to be confirmed.
        if not ours.is_open(now) or not (
            other.is_open(now) or (state != "accepted" and current.report_pending)
        ):
            raise BadRequest("the need or the offer is no longer open: decline the match")
        if state in ("partly_fulfilled", "fulfilled"):
            if quantity is None:  # wholly: what both sides still have, as far as we know
                known = [i.remaining for i in (ours, other) if i.is_open(now)
                         and i.remaining is not None]  # fmt: skip
                if not other.is_open(now) and current.reported_quantity > 0:
                    known.append(current.reported_quantity - current.fulfilled_quantity)
                moved, state = (min(known) if known else 0), "fulfilled"
            else:
                moved, state = quantity, _check_quantity(quantity, ours, other, current, now)
        _step(current, state)
        settled = await settle(tx, svc, hub, current, state,
                                current.fulfilled_quantity + moved)  # fmt: skip
    svc.wake_delivery()
    return settled


async def accept(svc: Services, hub: LocalActor, match_id: int, by_uri: str) -> Match:
    """An organiser (`by_uri`) takes the match up; the other hub is told."""
    del by_uri  # who decided is the organiser's session's business; the hub speaks
    return await _change(svc, hub, match_id, "accepted", None)


async def decline(svc: Services, hub: LocalActor, match_id: int, by_uri: str) -> Match:
    del by_uri
    return await _change(svc, hub, match_id, "declined", None)


async def fulfil(
    svc: Services, hub: LocalActor, match_id: int, quantity: int | None, by_uri: str
) -> Match:
    """`quantity` delivered through the match (None: wholly, what either side still has):
    partly_fulfilled, or fulfilled when wholly; our intent's remaining goes down by it."""
    del by_uri
    return await _change(svc, hub, match_id, "partly_fulfilled", quantity)
