"""Submitting, publishing, approving, rejecting and unpublishing newswire items.

Published at once, moderated after (the seed's "lightly managed"): what a trusted source
submits goes out to the newswire's followers as it is stored; what a first-time submitter sends
waits for an editor, as `newswire_review` says. Every item goes out from the @newswire actor:
a web submission as its own Note, anything that is already a post somewhere (a remote
account's, a hub's, another newswire's) as a boost of that post, so it is shown once, as its
author wrote it."""

from __future__ import annotations

from dataclasses import replace

from fedihub.activitystreams import site_of
from fedihub.actors import store as actors
from fedihub.actors.model import NEWSWIRE_USERNAME, LocalActor
from fedihub.db import Transaction
from fedihub.errors import NotFound, TooManyRequests
from fedihub.moderation import conduct, log
from fedihub.moderation.authority import Moderator
from fedihub.newswire import render, store
from fedihub.newswire.model import Item, Review, State, Submission
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import Target
from fedihub.posts.federate import follower_targets
from fedihub.services import Services

# Submissions an hour, at most: from one submitter, and from one remote host (a flood from many
# accounts on one server). Web visitors are held to theirs per address by the web throttle.
PER_SUBMITTER_PER_HOUR = 5
PER_HOST_PER_HOUR = 30
HOUR_S = 3600.0


async def newswire_actor(svc: Services) -> LocalActor:
    actor = await actors.get_actor(svc.db, "service", NEWSWIRE_USERNAME)
    if actor is None:
        raise NotFound("this instance has no newswire")
    return actor


def newswire_uri(svc: Services) -> str:
    return f"{svc.config.base_url}/{NEWSWIRE_USERNAME}"


async def _within_limits(svc: Services, submission: Submission, now: float) -> None:
    if submission.origin in ("hub", "shared"):
        return  # our own hubs, and the newswires an editor chose to follow: not spam floods
    since = now - HOUR_S
    if (
        submission.submitter_uri
        and await store.submitted_since(svc.db, submitter_uri=submission.submitter_uri, since=since)
        >= PER_SUBMITTER_PER_HOUR
    ):
        raise TooManyRequests("too many submissions to the newswire from you: try again later")
    host = submission.source_host
    if (
        host
        and host != "web"
        and await store.submitted_since(svc.db, source_host=host, since=since) >= PER_HOST_PER_HOUR
    ):
        raise TooManyRequests("too many submissions to the newswire from %(host)s", host=host)


async def needs_review(svc: Services, submission: Submission) -> bool:
    review: Review = svc.config.newswire_review
    if review == "none":
        return False
    if review == "all":
        return True
    # first-time: our own hubs and the newswires we chose to follow are trusted sources; so is
    # anyone an editor trusted, or whose earlier item an editor approved.
    if submission.origin in ("hub", "shared"):
        return False
    return not await store.is_trusted(svc.db, submission.submitter_uri)


async def submit(svc: Services, submission: Submission, *, quiet: bool = False) -> Item:
    """Stores a submission, published (and sent to followers) or queued for an editor (always,
    when `quiet`: a silenced sender). The item already stored if its object was submitted
    before; TooManyRequests past the limits."""
    now = svc.clock.now()
    existing = (
        await store.item_for_object(svc.db, submission.object_uri)
        if submission.object_uri else None
    )  # fmt: skip
    if existing is not None:
        return existing
    if submission.source_host and submission.source_host != "web":
        submission = replace(submission, source_host=site_of(submission.source_host))
    await _within_limits(svc, submission, now)
    state: State = "queued" if quiet or await needs_review(svc, submission) else "published"
    newswire = await newswire_actor(svc)
    async with svc.db.transaction() as tx:
        item = await store.insert_item(tx, submission, state, svc.config.base_url, now)
        if item is None:  # the same object, submitted meanwhile
            found = await store.item_for_object(tx, submission.object_uri)
            assert found is not None, "a conflict on object_uri means the row exists"
            return found
        if state == "published":
            await distribute(tx, svc, newswire, item, now)
    if state == "published":
        svc.wake_delivery()
    return item


async def distribute(
    tx: Transaction, svc: Services, newswire: LocalActor, item: Item, now: float
) -> None:
    """Sends a published item to the newswire's followers, in the caller's transaction."""
    targets = await follower_targets(svc, newswire)
    uri = newswire.uri(svc.config.base_url)
    if item.own_note:
        note = render.item_note(item, uri, svc.config.base_url)
        activity = compose.create(svc.new_activity_uri(), uri, note)
    else:
        author = item.submitter_uri if item.origin == "fediverse" else None
        activity = compose.announce(svc.new_activity_uri(), uri, item.object_uri, now, author)
    await outbox.enqueue(tx, actor_id=newswire.id, activity=activity, targets=targets,
                         is_public=True, now=now)  # fmt: skip
    await store.set_activity(tx, item.id, activity["id"])


async def approve(svc: Services, by: Moderator, item_id: int) -> Item:
    """An editor publishes a queued item; its submitter is trusted from now on."""
    now = svc.clock.now()
    newswire = await newswire_actor(svc)
    async with svc.db.transaction() as tx:
        item = await store.decide(tx, item_id, from_states=("queued",), to="published",
                                  by=by.label, reason="", now=now)  # fmt: skip
        if item is None:
            raise NotFound("no item %(id)s waits for an editor", id=item_id)
        if item.submitter_uri:
            await store.trust(tx, item.submitter_uri, by.label, now)
        await distribute(tx, svc, newswire, item, now)
    svc.wake_delivery()
    return item


async def reject(svc: Services, by: Moderator, item_id: int, reason: str, clause: str) -> Item:
    """An editor turns down a queued item: never published, logged with the reason."""
    now = svc.clock.now()
    reason = log.read_reason(reason)
    clause = await conduct.read_clause(svc, None, clause)
    async with svc.db.transaction() as tx:
        item = await store.decide(tx, item_id, from_states=("queued",), to="rejected",
                                  by=by.label, reason=reason, now=now)  # fmt: skip
        if item is None:
            raise NotFound("no item %(id)s waits for an editor", id=item_id)
        await log.record(tx, by, "reject_news", target_uri=item.object_uri,
                         target_label=item.headline, clause=clause, reason=reason,
                         now=now)  # fmt: skip
    return item


async def unpublish(svc: Services, by: Moderator, item_id: int, reason: str, clause: str) -> Item:
    """An editor takes a published item back: a Delete of our own Note, an Undo of our boost
    of anyone else's post; logged with the reason under the instance's code."""
    now = svc.clock.now()
    reason = log.read_reason(reason)
    clause = await conduct.read_clause(svc, None, clause)
    newswire = await newswire_actor(svc)
    targets = await follower_targets(svc, newswire)
    async with svc.db.transaction() as tx:
        item = await store.decide(tx, item_id, from_states=("published",), to="unpublished",
                                  by=by.label, reason=reason, now=now)  # fmt: skip
        if item is None:
            raise NotFound("no published item %(id)s", id=item_id)
        await _take_back(tx, svc, newswire, item, targets, now)
        await log.record(tx, by, "unpublish_news", target_uri=item.object_uri,
                         target_label=item.headline, clause=clause, reason=reason,
                         now=now)  # fmt: skip
    svc.wake_delivery()
    svc.wake_scheduler()  # a newsletter issue holding it is built again without it
    return item


async def _take_back(
    tx: Transaction,
    svc: Services,
    newswire: LocalActor,
    item: Item,
    targets: list[Target],
    now: float,
) -> None:
    uri = newswire.uri(svc.config.base_url)
    if item.own_note:
        taken_back = compose.delete(svc.new_activity_uri(), uri, render.tombstone(item, now),
                                    f"{uri}/followers")  # fmt: skip
    else:
        boost = compose.announce(item.activity_uri or svc.new_activity_uri(), uri,
                                 item.object_uri, item.published_at or now)  # fmt: skip
        taken_back = compose.undo(svc.new_activity_uri(), uri, boost)
    await outbox.enqueue(tx, actor_id=newswire.id, activity=taken_back, targets=targets,
                         is_public=True, now=now)  # fmt: skip
    if item.activity_uri:
        await outbox.hide_public(tx, newswire.id, [item.activity_uri])


async def withdraw(svc: Services, object_uri: str, reason: str) -> Item | None:
    """Its source took an item back (the author deleted the post, the newswire we had it from
    undid its boost): a published one is unpublished (our boost undone), a queued one rejected.
    Not an editor's decision, so not in the moderation log. None if there is no such item."""
    now = svc.clock.now()
    item = await store.item_for_object(svc.db, object_uri)
    if item is None or item.state not in ("published", "queued"):
        return None
    newswire = await newswire_actor(svc)
    targets = await follower_targets(svc, newswire)
    async with svc.db.transaction() as tx:
        done = await store.decide(tx, item.id, from_states=("published",), to="unpublished",
                                  by="", reason=reason, now=now)  # fmt: skip
        if done is not None:
            await _take_back(tx, svc, newswire, done, targets, now)
        else:
            done = await store.decide(tx, item.id, from_states=("queued",), to="rejected",
                                      by="", reason=reason, now=now)  # fmt: skip
    svc.wake_delivery()
    svc.wake_scheduler()  # a newsletter issue holding it is built again without it
    return done


async def trust(svc: Services, by: Moderator, actor_uri: str) -> None:
    async with svc.db.transaction() as tx:
        await store.trust(tx, actor_uri, by.label, svc.clock.now())


async def distrust(svc: Services, by: Moderator, actor_uri: str) -> bool:
    async with svc.db.transaction() as tx:
        return await store.distrust(tx, actor_uri)
