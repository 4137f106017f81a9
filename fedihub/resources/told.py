"""A match notice from another hub (service.py's wire shape), answering one of our needs or
offers: recorded as a match it told us of, or moving ours to the state it says (accepted,
declined, partly or wholly fulfilled), our intent's remaining with it. Only the hub of the other
need or offer may say so; anyone else is ignored. What the other hub says it delivered to one of
our needs is shown to our organisers to confirm (`reported_quantity`) rather than taken as
done: a need closes on its own hub's word; an offer goes down on the word of the hub that
received it.

Apart from service.py because it reads the other hub's intent with the intake's parser
(remote.py), which calls the matcher through matching_hook.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from fedihub.activitystreams import JsonObject, id_of
from fedihub.errors import BadRequest
from fedihub.resources import remote as intake
from fedihub.resources import service, store
from fedihub.resources.kind import categories
from fedihub.resources.matching import score
from fedihub.resources.model import MATCH_STATES, Intent, MatchState
from fedihub.services import Services


def _read_notice(obj: JsonObject) -> tuple[str, str, MatchState, int] | None:
    told = obj.get("match")
    if not isinstance(told, dict):
        return None
    need, offer = id_of(told.get("need")), id_of(told.get("offer"))
    state, quantity = told.get("state", "proposed"), told.get("fulfilledQuantity", 0)
    if not need or not offer or state not in MATCH_STATES:
        raise BadRequest("a match notice names a need, an offer and a known state")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise BadRequest("a match notice's fulfilledQuantity is a whole number")
    return need, offer, cast(MatchState, state), quantity


async def _their_intent(svc: Services, uri: str, sender_uri: str) -> Intent | None:
    """The other hub's intent as we index it, or fetched from its server when we do not
    follow that hub; None when it cannot be read as one."""
    known = await store.intent(svc.db, uri)
    if known is not None:
        return known
    return await _index_fetched(svc, await svc.resolver.fetch_object(uri), sender_uri)


async def _index_fetched(svc: Services, obj: dict[str, Any], sender_uri: str) -> Intent | None:
    """A need or offer fetched from its own server, indexed as its hub's (a hub we do not
    follow: nobody here is told of its matches but through this notice)."""
    hub_uri = id_of(obj.get("attributedTo"))
    if hub_uri != sender_uri:
        return None
    now = svc.clock.now()
    intent = intake.read_intent(obj, hub_uri, categories(svc.config.resource_categories), now)
    if intent is None or intent.uri != obj.get("id"):
        return None
    async with svc.db.transaction() as tx:
        await store.save_intent(tx, intent)
    return intent


async def notice_received(svc: Services, sender_uri: str, obj: JsonObject) -> str | None:
    """A Create from another hub whose object answers one of our intents with a match; None
    when it is not a match notice for us (the generic reply handling takes it). The sender must
    be the hub of the other intent: anyone else is ignored."""
    reply_to = id_of(obj.get("inReplyTo"))
    ours = await store.intent(svc.db, reply_to) if reply_to else None
    if ours is None or ours.local_post_id is None or not isinstance(obj.get("match"), dict):
        return None
    read = _read_notice(obj)
    assert read is not None
    need_uri, offer_uri, state, fulfilled = read
    our_slot = need_uri if ours.side == "need" else offer_uri
    if our_slot != ours.uri:
        return f"ignored: the match notice does not name {ours.uri} as its {ours.side}"
    other_uri = offer_uri if ours.side == "need" else need_uri
    other = await _their_intent(svc, other_uri, sender_uri)
    if other is None:
        return f"ignored: {other_uri} is no need or offer of {sender_uri} we can read"
    if other.hub_uri != sender_uri:
        return f"ignored: {sender_uri} is not the hub of {other_uri}"
    hub = await service.hub_at(svc, ours.hub_uri)
    if hub is None:
        return None
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        match = await store.match_of(tx, hub.id, need_uri, offer_uri)
        if match is None:
            found = score(ours, other, now, svc.config.match_radius_km)
            if found is None:
                return f"ignored: {need_uri} and {offer_uri} are no match here"
            if await store.matches_since(tx, other.host, now - service.DAY) >= \
                    svc.config.match_host_daily_cap:  # fmt: skip
                return f"ignored: {other.host} reached its matches for today"
            match_id = await store.save_match(tx, hub.id, need_uri, offer_uri, found, "told", now)
            match = await store.match(tx, match_id) if match_id is not None else None
            assert match is not None
        if state == match.state and fulfilled == match.fulfilled_quantity:
            pass  # nothing new (they found it too): only our organisers hear of it
        elif state not in service.TRANSITIONS[match.state] or fulfilled < match.fulfilled_quantity:
            return f"ignored: a {match.state} match cannot become {state}"
        elif ours.side == "need" and state in ("partly_fulfilled", "fulfilled"):
            # Their word that they delivered: our need goes down only when our organisers
            # confirm it (Fulfilled on the dashboard), or anyone matching it could close it.
            if fulfilled <= match.reported_quantity:
                return f"ignored: {fulfilled} delivered was reported already"
            moved = fulfilled - match.fulfilled_quantity
            if ours.remaining is not None and moved > ours.remaining:
                return f"ignored: {moved} is more than the {ours.remaining} still open"
            await store.set_reported(tx, match.id, fulfilled, now)
            match = replace(match, reported_quantity=fulfilled)
        else:
            await store.lock_match(tx, match.id, [need_uri, offer_uri])
            ours = await store.intent(tx, ours.uri) or ours  # as it is now that it is ours
            moved = fulfilled - match.fulfilled_quantity
            if ours.remaining is not None and moved > ours.remaining:
                return f"ignored: {moved} is more than the {ours.remaining} still open"
            match = await service.settle(tx, svc, hub, match, state, fulfilled, tell_other=False)
        need, offer = (ours, other) if ours.side == "need" else (other, ours)
        await service.tell_organisers(tx, svc, hub, match, need, offer)
    svc.wake_delivery()
    return f"match {match.id} of {hub.username}: {match.state}"
