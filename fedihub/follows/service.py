"""Following and being followed: requests, answers, undo. Called by the CLI and inbox handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fedihub.activitystreams import JsonObject, host_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.follows import store as follows
from fedihub.follows.store import FollowerState, FollowingState
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


@dataclass(frozen=True)
class Followed:
    """Whom a follow was for, and where it stands: `pending` until a remote server answers
    (or a local actor's organisers approve), `accepted` at once for a local open actor."""

    uri: str
    state: FollowingState


async def local_target(svc: Services, handle_or_uri: str) -> LocalActor | None:
    """The actor of ours a handle or URI names (NotFound if it names none), or None when it
    names another server's."""
    if not _names_this_instance(svc, handle_or_uri):
        return None
    if handle_or_uri.startswith(("https://", "http://")):
        found = await actors.actor_for_uri(svc.db, svc.config.base_url, handle_or_uri)
    else:
        found = await actors.get_actor_by_username(svc.db, parse_handle(handle_or_uri)[0])
    if found is None or found.kind == "application":
        raise NotFound("nobody here is called %(name)s", name=handle_or_uri)
    return found


async def follow(svc: Services, local: LocalActor, handle_or_uri: str) -> Followed:
    target = await local_target(svc, handle_or_uri)
    if target is not None:
        return await follow_local(svc, local, target)
    remote = await resolve_handle_or_uri(svc, handle_or_uri)
    activity = compose.follow(svc.new_activity_uri(), local.uri(svc.config.base_url), remote.uri)
    async with svc.db.transaction() as tx:
        await follows.save_pending_follow(tx, local.id, remote.uri, activity["id"], svc.clock.now())
        await _enqueue_to(tx, local, activity, remote, svc.clock.now())
    svc.wake_delivery()
    return Followed(remote.uri, "pending")


async def follow_local(svc: Services, local: LocalActor, target: LocalActor) -> Followed:
    """One of our actors following another of ours: both sides recorded in one transaction, as
    a Follow and its answer would record them, without a request to ourselves (our inbox rightly
    refuses activities that claim our own actors). A repeated follow changes nothing."""
    if target.id == local.id:
        raise BadRequest("an account cannot follow itself")
    base = svc.config.base_url
    follower_uri, target_uri = local.uri(base), target.uri(base)
    follow_uri = await follows.follow_uri(svc.db, local.id, target_uri) or svc.new_activity_uri()
    async with svc.db.transaction() as tx:
        state = await _record_follower(tx, svc, target, follower_uri, follow_uri)
        await follows.save_pending_follow(tx, local.id, target_uri, follow_uri, svc.clock.now())
        if state == "accepted":
            await follows.answer_follow(tx, follow_uri, target_uri, "accepted")
    return Followed(target_uri, state)


async def unfollow(svc: Services, local: LocalActor, handle_or_uri: str) -> str:
    """Stops following; returns the URI of whom `local` no longer follows."""
    target = await local_target(svc, handle_or_uri)
    if target is not None:
        return await unfollow_local(svc, local, target)
    remote = await resolve_handle_or_uri(svc, handle_or_uri)
    follow_uri = await follows.follow_uri(svc.db, local.id, remote.uri)
    if follow_uri is None:
        raise NotFound("%(hub)s does not follow %(target)s", hub=local.username, target=remote.uri)
    activity = compose.undo_follow(
        svc.new_activity_uri(), local.uri(svc.config.base_url), follow_uri, remote.uri
    )
    async with svc.db.transaction() as tx:
        await follows.delete_following(tx, local.id, remote.uri)
        await _enqueue_to(tx, local, activity, remote, svc.clock.now())
    svc.wake_delivery()
    return remote.uri


async def unfollow_local(svc: Services, local: LocalActor, target: LocalActor) -> str:
    base = svc.config.base_url
    target_uri = target.uri(base)
    if await follows.follow_uri(svc.db, local.id, target_uri) is None:
        raise NotFound("%(hub)s does not follow %(target)s", hub=local.username, target=target_uri)
    async with svc.db.transaction() as tx:
        await follows.delete_following(tx, local.id, target_uri)
        await follows.delete_follower(tx, target.id, local.uri(base))
    return target_uri


async def follow_answered(svc: Services, follow_uri: str, answered_by: str, accepted: bool) -> bool:
    """An Accept or Reject arrived for one of our Follows; False if it names none of ours."""
    async with svc.db.transaction() as tx:
        return await follows.answer_follow(
            tx, follow_uri, answered_by, "accepted" if accepted else "rejected"
        )


# Others following our actors


async def _record_follower(
    tx: Transaction, svc: Services, local: LocalActor, follower_uri: str, follow_uri: str
) -> FollowerState:
    """The follower's row, accepted at once unless `local` approves followers by hand (one who
    was accepted before stays accepted)."""
    existing = await follows.follower_state(tx, local.id, follower_uri)
    # A silenced server's or account's follow of a hub waits for a moderator.
    by_hand = local.manually_approves_followers or (
        local.kind == "group" and await svc.blocked.quiets(follower_uri)
    )
    state: FollowerState = "accepted" if existing == "accepted" or not by_hand else "pending"
    await follows.save_follower(tx, local.id, follower_uri, follow_uri, state, svc.clock.now())
    return state


async def follow_received(
    svc: Services, local: LocalActor, follower: RemoteActor, follow_activity: JsonObject
) -> FollowerState:
    """Records the follower; answers at once unless the actor approves followers by hand.
    Returns the follower's state. A repeated Follow from a follower gets a fresh Accept."""
    async with svc.db.transaction() as tx:
        state = await _record_follower(tx, svc, local, follower.uri, follow_activity["id"])
        if state == "accepted":
            answer = compose.accept_follow(
                svc.new_activity_uri(), local.uri(svc.config.base_url), follow_activity
            )
            await _enqueue_to(tx, local, answer, follower, svc.clock.now())
    svc.wake_delivery()
    return state


async def refuse(
    svc: Services, local: LocalActor, follower: RemoteActor, follow_activity: JsonObject
) -> None:
    """Answers a Follow with `Reject`, recording nothing (a hub's banned actor)."""
    answer = compose.reject_follow(
        svc.new_activity_uri(), local.uri(svc.config.base_url), follow_activity
    )
    async with svc.db.transaction() as tx:
        await _enqueue_to(tx, local, answer, follower, svc.clock.now())
    svc.wake_delivery()


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
    local_uri = local.uri(svc.config.base_url)
    if await actors.actor_for_uri(svc.db, svc.config.base_url, follower_uri) is not None:
        async with svc.db.transaction() as tx:  # one of ours: both sides here, no activity
            if approve:
                await follows.accept_follower(tx, local.id, follower_uri)
            else:
                await follows.delete_follower(tx, local.id, follower_uri)
            state: FollowingState = "accepted" if approve else "rejected"
            await follows.answer_follow(tx, follow_uri, local_uri, state)
        return
    follower = await svc.resolver.actor(follower_uri)
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
