"""Taking part in events: Join, Leave, the waitlist and its promotion. Called by inbox handlers
(remote people) and by the CLI and web (local accounts) alike.

A Join gets an Accept while places are left. When the event is full it waits on the waitlist
(no answer yet, like Mobilizon's pending participations) or, if the event has no waitlist, gets a
Reject. A Leave frees a place and the first on the waitlist is promoted with an Accept. Counts go
to followers as one deferred Update{Event} (events/scheduler.py), not one per change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from fedihub.accounts.store import Account
from fedihub.activitystreams import AS_CONTEXT, host_of, id_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, Conflict, FetchError
from fedihub.events import store as events
from fedihub.events.kind import Places, ScheduledKind
from fedihub.events.store import Participant
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.posts import render
from fedihub.posts import store as posts
from fedihub.posts.kind import PostKinds
from fedihub.posts.store import Post
from fedihub.services import Services


class EventClosed(Conflict):
    """The event cannot be joined: cancelled, over, deleted or full."""


def check_joinable(kinds: PostKinds, post: Post, now: float) -> None:
    if not kinds.of(post).is_scheduled(post):
        raise EventClosed("only events and calls can be joined")
    if post.deleted_at is not None:
        raise EventClosed("the event was deleted")
    if post.status == "cancelled":
        raise EventClosed("the event was cancelled")
    if post.ends_at is not None and post.ends_at <= now:
        raise EventClosed("the event is over")


def _places(kinds: PostKinds, post: Post) -> Places:
    kind = kinds.of(post)
    return kind.places(post) if isinstance(kind, ScheduledKind) else Places()


def _join_activity(svc: Services, hub: LocalActor, post: Post, p: Participant) -> dict[str, Any]:
    event_uri = render.post_uri(hub.uri(svc.config.base_url), post.id)
    return {"id": p.join_activity_uri, "type": "Join", "actor": p.actor_uri, "object": event_uri}


async def _send_answer(
    tx: Transaction, svc: Services, hub: LocalActor, kind: str, join: dict[str, Any], now: float
) -> None:
    """Answers go to the participant's personal inbox; local accounts need none."""
    remote = await actors.get_remote_actor(svc.db, join["actor"])
    if remote is None:
        return
    activity = compose.answer(kind, svc.new_activity_uri(), hub.uri(svc.config.base_url), join)
    await outbox.enqueue(
        tx, actor_id=hub.id, activity=activity, targets=[personal_target(remote)],
        is_public=False, now=now,
    )  # fmt: skip


async def _counts_changed(tx: Transaction, svc: Services, post: Post, now: float) -> None:
    await posts.defer_update(tx, post.id, now + svc.config.count_update_delay_s)
    svc.wake_scheduler()


async def _current(tx: Transaction, post: Post) -> Post:
    """The post as stored now: an edit (capacity, cancellation) may have landed since the caller
    read it, and the decision must be made on what the transaction sees. The post is locked
    first: the counting and writing that follow run one at a time for it, in every process."""
    await posts.lock_post(tx, post.id)
    current = await posts.get_post_by_id(tx, post.id)
    if current is None:
        raise EventClosed("the event was deleted")
    return current


async def join(
    svc: Services,
    hub: LocalActor,
    post: Post,
    actor_uri: str,
    join_activity_uri: str,
    now: float,
    message: str = "",
) -> str:
    """'going' or 'waitlisted'; EventClosed if it cannot be joined. A repeated Join from someone
    already going gets a fresh Accept (their server may have missed the first)."""
    async with svc.db.transaction() as tx:
        post = await _current(tx, post)
        check_joinable(svc.kinds, post, now)
        places = _places(svc.kinds, post)
        existing = await events.participant(tx, post.id, actor_uri)
        if existing is not None:
            if existing.state == "going":  # answer the Join they sent now, which they will match
                again = replace(existing, join_activity_uri=join_activity_uri)
                await _send_answer(
                    tx, svc, hub, "Accept", _join_activity(svc, hub, post, again), now
                )
            return existing.state
        going = (await events.attendance(tx, post.id)).going
        if places.capacity is None or going < places.capacity:
            state = "going"
        elif places.waitlist:
            state = "waitlisted"
        else:
            raise EventClosed("the event is full")
        p = Participant(actor_uri, join_activity_uri, state, message[:1000], now)
        await events.add_participant(tx, post.id, p)
        if state == "going":
            await _send_answer(tx, svc, hub, "Accept", _join_activity(svc, hub, post, p), now)
        await _counts_changed(tx, svc, post, now)
    svc.wake_delivery()
    return state


async def reject(svc: Services, hub: LocalActor, join_activity: dict[str, Any], now: float) -> None:
    """Tells a remote participant their Join was refused (full, cancelled, over)."""
    async with svc.db.transaction() as tx:
        await _send_answer(tx, svc, hub, "Reject", {**join_activity, "type": "Join"}, now)
    svc.wake_delivery()


async def leave(svc: Services, hub: LocalActor, post: Post, actor_uri: str, now: float) -> bool:
    """False if they were not taking part. A freed place goes to the waitlist's first."""
    async with svc.db.transaction() as tx:
        post = await _current(tx, post)
        existing = await events.participant(tx, post.id, actor_uri)
        if existing is None:
            return False
        await events.remove_participant(tx, post.id, actor_uri)
        await promote_waitlisted(tx, svc, hub, post, now)
        await _counts_changed(tx, svc, post, now)
    svc.wake_delivery()
    return True


async def promote_waitlisted(
    tx: Transaction, svc: Services, hub: LocalActor, post: Post, now: float
) -> int:
    """Fills free places from the waitlist, oldest first, each with an Accept."""
    if post.status == "cancelled":
        return 0  # (without a capacity, as a call's, nobody waits: there is nothing to do)
    capacity = _places(svc.kinds, post).capacity
    going = (await events.attendance(tx, post.id)).going
    places = (capacity - going) if capacity else 1_000_000
    promoted = await events.first_waitlisted(tx, post.id, places) if places > 0 else []
    for p in promoted:
        await events.set_going(tx, post.id, p.actor_uri)
        await _send_answer(tx, svc, hub, "Accept", _join_activity(svc, hub, post, p), now)
    if promoted:
        await _counts_changed(tx, svc, post, now)
    return len(promoted)


# Accounts here taking part in events on other servers, as Mobilizon's people do: a Join of
# the event (Leave to give the place up), signed by the account, to the inbox of whoever the
# event is attributed to (the group or organiser), who answers with an Accept or a Reject.

Rsvp = Literal["join", "leave"]


async def remote_event(svc: Services, event_uri: str) -> dict[str, Any]:
    """An event on another server, fetched fresh; BadRequest for anything else."""
    event = await svc.resolver.fetch_object(event_uri)
    if event.get("type") != "Event":
        raise BadRequest("%(uri)s is not an event", uri=event_uri)
    return event


def _over(event: dict[str, Any], now: float) -> bool:
    ends = event.get("endTime") or event.get("startTime")
    try:
        return isinstance(ends, str) and datetime.fromisoformat(ends).timestamp() <= now
    except ValueError:
        return False


async def rsvp_remote(
    svc: Services,
    account: Account,
    event_uri: str,
    action: Rsvp,
    event: dict[str, Any] | None = None,
    message: str = "",
) -> str:
    """Sends the account's Join (or Leave) of an event elsewhere; returns whom it went to.
    EventClosed, before anything is sent, for an event that is cancelled or over."""
    event = event or await remote_event(svc, event_uri)
    if action == "join":
        if str(event.get("ical:status", "")).upper() == "CANCELLED":
            raise EventClosed("the event was cancelled")
        if _over(event, svc.clock.now()):
            raise EventClosed("the event is over")
    organiser_uri = id_of(event.get("attributedTo"))
    if organiser_uri is None or host_of(organiser_uri) != host_of(event_uri):
        raise FetchError("the event's organiser is not on the event's server")
    organiser = await svc.resolver.actor(organiser_uri)
    actor_uri = account.actor.uri(svc.config.base_url)
    activity: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": svc.new_activity_uri(),
        "type": "Join" if action == "join" else "Leave",
        "actor": actor_uri,
        "object": event_uri,
        "to": [organiser_uri],
    }
    if action == "join" and message.strip():
        activity["participationMessage"] = message.strip()[:1000]
    async with svc.db.transaction() as tx:
        await outbox.enqueue(tx, actor_id=account.actor.id, activity=activity,
                             targets=[personal_target(organiser)], is_public=False,
                             now=svc.clock.now())  # fmt: skip
    svc.wake_delivery()
    return organiser_uri
