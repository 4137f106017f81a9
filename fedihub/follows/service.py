"""Following and being followed: requests, answers, undo. Called by the CLI and inbox handlers."""

from __future__ import annotations

import re

from fedihub.activitystreams import JsonObject, host_of
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follows
from fedihub.follows.store import FollowerState
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.services import Services

HANDLE_RE = re.compile(r"^@?([^@\s/]+)@([^@\s/]+)$")


def parse_handle(handle: str) -> tuple[str, str]:
    match = HANDLE_RE.match(handle.strip())
    if not match:
        raise BadRequest(
            "%(handle)r is not a fediverse handle like @name@example.org", handle=handle
        )
    return match.group(1), match.group(2).lower()


def _names_this_instance(svc: Services, handle_or_uri: str) -> bool:
    if handle_or_uri.startswith(("https://", "http://")):
        return host_of(handle_or_uri) == host_of(svc.config.base_url)
    _, domain = parse_handle(handle_or_uri)
    return domain in (svc.config.domain, svc.config.host)


async def resolve_handle_or_uri(svc: Services, handle_or_uri: str) -> RemoteActor:
    if handle_or_uri.startswith(("https://", "http://")):
        return await svc.resolver.actor(handle_or_uri)
    username, domain = parse_handle(handle_or_uri)
    uri = await svc.client.webfinger(username, domain)
    return await svc.resolver.actor(uri)


async def _enqueue_to(
    tx: Transaction, sender: LocalActor, activity: JsonObject, to: RemoteActor, now: float
) -> None:
    """Follows and their answers go to the personal inbox (as Mastodon expects), not shared."""
    await outbox.enqueue(
        tx, actor_id=sender.id, activity=activity, targets=[personal_target(to)], is_public=False,
        now=now,
    )  # fmt: skip


# Our actors following others


async def follow(svc: Services, local: LocalActor, handle_or_uri: str) -> RemoteActor:
    if _names_this_instance(svc, handle_or_uri):
        # Our own inbox rightly refuses activities claiming our actors from outside, so a
        # local follow must be handled in-process; until then, say so rather than fail later.
        raise BadRequest("following an actor on this same instance is not supported yet")
    target = await resolve_handle_or_uri(svc, handle_or_uri)
    activity = compose.follow(svc.new_activity_uri(), local.uri(svc.config.base_url), target.uri)
    async with svc.db.transaction() as tx:
        await follows.save_pending_follow(tx, local.id, target.uri, activity["id"], svc.clock.now())
        await _enqueue_to(tx, local, activity, target, svc.clock.now())
    svc.wake_delivery()
    return target


async def unfollow(svc: Services, local: LocalActor, handle_or_uri: str) -> RemoteActor:
    target = await resolve_handle_or_uri(svc, handle_or_uri)
    follow_uri = await follows.follow_uri(svc.db, local.id, target.uri)
    if follow_uri is None:
        raise NotFound("%(hub)s does not follow %(target)s", hub=local.username, target=target.uri)
    activity = compose.undo_follow(
        svc.new_activity_uri(), local.uri(svc.config.base_url), follow_uri, target.uri
    )
    async with svc.db.transaction() as tx:
        await follows.delete_following(tx, local.id, target.uri)
        await _enqueue_to(tx, local, activity, target, svc.clock.now())
    svc.wake_delivery()
    return target


async def follow_answered(svc: Services, follow_uri: str, answered_by: str, accepted: bool) -> bool:
    """An Accept or Reject arrived for one of our Follows; False if it names none of ours."""
    async with svc.db.transaction() as tx:
        return await follows.answer_follow(
            tx, follow_uri, answered_by, "accepted" if accepted else "rejected"
        )


# Others following our actors


async def follow_received(
    svc: Services, local: LocalActor, follower: RemoteActor, follow_activity: JsonObject
) -> FollowerState:
    """Records the follower; answers at once unless the actor approves followers by hand.
    Returns the follower's state. A repeated Follow from a follower gets a fresh Accept."""
    existing = await follows.follower_state(svc.db, local.id, follower.uri)
    state: FollowerState = (
        "accepted" if existing == "accepted" or not local.manually_approves_followers else "pending"
    )
    async with svc.db.transaction() as tx:
        await follows.save_follower(
            tx, local.id, follower.uri, follow_activity["id"], state, svc.clock.now()
        )
        if state == "accepted":
            answer = compose.accept_follow(
                svc.new_activity_uri(), local.uri(svc.config.base_url), follow_activity
            )
            await _enqueue_to(tx, local, answer, follower, svc.clock.now())
    svc.wake_delivery()
    return state


async def answer_request(
    svc: Services, local: LocalActor, follower_uri: str, approve: bool
) -> None:
    follow_uri = await follows.pending_follow_uri(svc.db, local.id, follower_uri)
    if follow_uri is None:
        raise NotFound(
            "no pending follow request from %(actor)s to %(hub)s",
            actor=follower_uri,
            hub=local.username,
        )
    follower = await svc.resolver.actor(follower_uri)
    local_uri = local.uri(svc.config.base_url)
    follow_activity = {
        "id": follow_uri,
        "type": "Follow",
        "actor": follower_uri,
        "object": local_uri,
    }
    build = compose.accept_follow if approve else compose.reject_follow
    answer = build(svc.new_activity_uri(), local_uri, follow_activity)
    async with svc.db.transaction() as tx:
        if approve:
            await follows.accept_follower(tx, local.id, follower_uri)
        else:
            await follows.delete_follower(tx, local.id, follower_uri)
        await _enqueue_to(tx, local, answer, follower, svc.clock.now())
    svc.wake_delivery()


async def follower_left(svc: Services, local: LocalActor, follower_uri: str) -> bool:
    async with svc.db.transaction() as tx:
        return await follows.delete_follower(tx, local.id, follower_uri)


async def list_followers(svc: Services, local: LocalActor, state: FollowerState) -> list[str]:
    return await follows.followers(svc.db, local.id, state)
