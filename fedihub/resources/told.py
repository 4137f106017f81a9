"""A match notice from another hub (service.py's wire shape), answering one of our needs or
offers: a new match it proposes (recorded as told, within the daily cap of its site), or what it
says of one we hold (service.hear): accepted or declined moves our record; a delivery is
reported to our organisers, who confirm it, so no other server closes or drains our needs and
offers. Only the hub of the other need or offer may say so; anyone else, or a hub our hub
banned, is ignored.

Apart from service.py because it reads the other hub's intent with the intake's parser
(remote.py), which calls the matcher through matching_hook.
"""

from __future__ import annotations

from typing import Any, cast

from fedihub.activitystreams import JsonObject, id_of
from fedihub.errors import BadRequest
from fedihub.moderation.sanctions import service as sanctions
from fedihub.resources import remote as intake
from fedihub.resources import service, store
from fedihub.resources.kind import categories
from fedihub.resources.matching import score
from fedihub.resources.model import MATCH_STATES, MAX_QUANTITY, Intent, MatchState
from fedihub.services import Services


def _read_notice(obj: JsonObject) -> tuple[str, str, MatchState, int] | None:
    told = obj.get("match")
    if not isinstance(told, dict):
        return None
    need, offer = id_of(told.get("need")), id_of(told.get("offer"))
    state, quantity = told.get("state", "proposed"), told.get("fulfilledQuantity", 0)
    if not need or not offer or state not in MATCH_STATES:
        raise BadRequest("a match notice names a need, an offer and a known state")
    if (
        isinstance(quantity, bool) or not isinstance(quantity, int)
        or not 0 <= quantity <= MAX_QUANTITY
    ):  # fmt: skip
        raise BadRequest("a match notice's fulfilledQuantity is a whole number up to %(max)s",
                         max=MAX_QUANTITY)  # fmt: skip
    return need, offer, cast(MatchState, state), quantity


async def _their_intent(svc: Services, uri: str, sender_uri: str) -> Intent | None:
    """The other hub's intent as we index it, or fetched from its server when we do not
    follow that hub; None when it cannot be read as one."""
    known = await store.intent(svc.db, uri)
    if known is not None:
        return known
    return await _index_fetched(svc, uri, await svc.resolver.fetch_object(uri), sender_uri)


async def _index_fetched(
    svc: Services, uri: str, obj: dict[str, Any], sender_uri: str
) -> Intent | None:
    """A need or offer fetched from its own server (`uri`, as the notice named it), indexed as
    its hub's (a hub we do not follow: nobody here is told of its matches but through this
    notice)."""
    hub_uri = id_of(obj.get("attributedTo"))
    if hub_uri != sender_uri:
        return None
    now = svc.clock.now()
    intent = intake.read_intent(obj, hub_uri, categories(svc.config.resource_categories), now)
    if intent is None or intent.uri != uri:  # what a redirect served is not what was named
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
    hub = await service.hub_at(svc, ours.hub_uri)
    if hub is None:
        return None
    if await sanctions.banned(svc, hub, sender_uri):  # before anything is fetched for them
        return f"ignored: {sender_uri} is banned from {hub.username}"
    other_uri = offer_uri if ours.side == "need" else need_uri
    other = await _their_intent(svc, other_uri, sender_uri)
    if other is None:
        return f"ignored: {other_uri} is no need or offer of {sender_uri} we can read"
    if other.hub_uri != sender_uri:
        return f"ignored: {sender_uri} is not the hub of {other_uri}"
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        match = await store.match_of(tx, hub.id, need_uri, offer_uri)
        if match is None:
            if state not in ("proposed", "accepted"):
                return "ignored: a match is proposed before anything is said of it"
            found = score(ours, other, now, svc.config.match_radius_km)
            if found is None:
                return f"ignored: {need_uri} and {offer_uri} are no match here"
            if await store.matches_since(tx, other.host, now - service.DAY) >= \
                    svc.config.match_host_daily_cap:  # fmt: skip
                return f"ignored: {other.host} reached its matches for today"
            await store.save_match(tx, hub.id, need_uri, offer_uri, found, "told", now)
            # Read back, not assumed: another notice, or our matcher, may have saved it first.
            match = await store.match_of(tx, hub.id, need_uri, offer_uri)
            if match is None:
                return f"ignored: {need_uri} and {offer_uri} are gone"
            tell = True
        else:
            heard_of = await service.hear(tx, svc, match, ours, state, fulfilled)
            if not heard_of.changed:
                return f"ignored: {heard_of.why}"
            tell = heard_of.tell
        heard = await store.match(tx, match.id) or match
        if tell:
            need, offer = (ours, other) if ours.side == "need" else (other, ours)
            await service.tell_organisers(tx, svc, hub, heard, need, offer)
    svc.wake_delivery()
    return f"match {heard.id} of {hub.username}: {heard.state}"
