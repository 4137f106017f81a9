"""Sending a post's Create, Update and Delete: who must hear of it, and the activity, queued in
the caller's transaction. Shared by publishing, editing, participation and the scheduler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Database, Transaction
from fedihub.follows import store as follows
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import Addressee, Target, fan_out_targets
from fedihub.posts import render
from fedihub.posts import store as posts
from fedihub.posts.kind import PostKinds
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.words import Words


async def object_for(
    kinds: PostKinds,
    db: Database | Transaction,
    base_url: str,
    hub: LocalActor,
    post: Post,
    reader: Words | None = None,
) -> dict[str, Any]:
    """The post as federated now: an occurrence borrows its series' fields, and its kind adds
    what it counts (participants, votes). Pass the open transaction to see what it has written.
    A page passes its `reader`'s words for the text the post's kind generates."""
    kind = kinds.get(post.kind)
    series = await posts.get_post_by_id(db, post.series_id) if post.series_id else None
    return render.post_object(
        hub.uri(base_url), post, kind, series=series, loaded=await kind.load(db, post),
        by_group=hub.kind == "group", language=hub.language,
        reactions=await kinds.reactions(db, post.id), reader=reader,
    )  # fmt: skip


async def audience(svc: Services, hub: LocalActor, post: Post) -> list[Target]:
    """The hub's followers; those its kind adds (an event's participants, a poll's voters: they
    hear of it even if they do not follow); and those it mentions."""
    remote: list[Addressee] = list(await follows.accepted_follower_inboxes(svc.db, hub.id))
    hearers = await svc.kinds.get(post.kind).hearers(svc.db, post)
    mentioned = [m["href"] for m in post.fields.get("mentions") or []]
    # Mentioned actors hear of it even if they do not follow: that is what mentioning means.
    for uris in (hearers, mentioned):
        if uris:
            remote += await actors.get_remote_actors(svc.db, uris)
    return await reachable(svc, remote)


async def follower_targets(svc: Services, actor: LocalActor) -> list[Target]:
    """Where something everyone following `actor` should see goes."""
    return await reachable(svc, await follows.accepted_follower_inboxes(svc.db, actor.id))


async def reachable(svc: Services, remote: Sequence[Addressee]) -> list[Target]:
    """Their inboxes, shared ones collapsed, without blocked hosts or actors (nor subdomains
    of blocked domains) or hosts given up on."""
    skip = await outbox.unavailable_hosts(svc.db) | await svc.blocked.get()
    refused = await svc.blocked.refused(r.uri for r in remote)
    remote = [r for r in remote if r.uri not in refused]
    return fan_out_targets(remote, skip_hosts=skip)


async def send_create(
    tx: Transaction, svc: Services, hub: LocalActor, post: Post, targets: list[Target], now: float
) -> None:
    obj = await object_for(svc.kinds, tx, svc.config.base_url, hub, post)
    activity = compose.create(svc.new_activity_uri(), hub.uri(svc.config.base_url), obj)
    await outbox.enqueue(
        tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True, now=now
    )


async def send_update(
    tx: Transaction, svc: Services, hub: LocalActor, post: Post, targets: list[Target], now: float
) -> None:
    obj = await object_for(svc.kinds, tx, svc.config.base_url, hub, post)
    activity = compose.update(svc.new_activity_uri(), hub.uri(svc.config.base_url), obj, now)
    await outbox.enqueue(
        tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True, now=now
    )


async def send_delete(
    tx: Transaction, svc: Services, hub: LocalActor, post: Post, targets: list[Target], now: float
) -> None:
    hub_uri = hub.uri(svc.config.base_url)
    tombstone = render.tombstone(hub_uri, post, svc.kinds.get(post.kind), now)
    activity = compose.delete(svc.new_activity_uri(), hub_uri, tombstone, f"{hub_uri}/followers")
    await outbox.enqueue(
        tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True, now=now
    )


async def hub_of(svc: Services, post: Post) -> LocalActor:
    hub = await actors.get_actor_by_id(svc.db, post.actor_id)
    assert hub is not None, "posts belong to local actors (foreign key)"
    return hub
