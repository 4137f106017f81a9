"""Creating hubs and publishing their posts. Called by the CLI, later by web forms."""

from __future__ import annotations

import time

from fedihub.actors import store
from fedihub.actors.keyring import generate_rsa_keypair
from fedihub.actors.model import LocalActor, post_uri, valid_username
from fedihub.actors.store import Account
from fedihub.content import render_markdown
from fedihub.db import Database
from fedihub.errors import BadRequest, Conflict, NotFound
from fedihub.follows.service import accepted_follower_targets
from fedihub.hubs import store as posts
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.services import Services

MAX_POST_BYTES = 100_000


async def create_hub(
    db: Database,
    slug: str,
    *,
    name: str,
    summary: str = "",
    approve_followers: bool = False,
    organizer: Account | None = None,
) -> int:
    if not valid_username(slug):
        raise BadRequest(f"invalid hub name {slug!r}: use 1-30 lower-case letters, digits or _")
    if not name.strip():
        raise BadRequest("a hub needs a display name (--name)")
    if await store.get_actor_by_username(db, slug):
        raise Conflict(f"the name {slug!r} is already taken on this instance")
    _, summary_html = render_markdown(summary) if summary else (None, "")
    public_pem, private_pem = generate_rsa_keypair()
    async with db.transaction() as tx:
        hub_id = await store.insert_actor(
            tx,
            kind="group",
            username=slug,
            name=name.strip(),
            summary=summary_html,
            manually_approves_followers=approve_followers,
            public_key_pem=public_pem,
            private_key_pem=private_pem,
        )
        if organizer is not None:
            await tx.execute(
                "INSERT INTO hub_organizers (hub_id, account_id) VALUES (?, ?)",
                (hub_id, organizer.actor.id),
            )
    return hub_id


async def require_hub(db: Database, slug: str) -> LocalActor:
    hub = await store.get_actor(db, "group", slug)
    if hub is None:
        raise NotFound(f"no hub named {slug!r}")
    return hub


def post_object(base_url: str, hub: LocalActor, post: posts.Post) -> dict:
    """The ActivityStreams object of a stored post: what we federate and what its id serves."""
    hub_uri = hub.uri(base_url)
    return compose.post_object(
        post_uri=post_uri(base_url, hub, post.id),
        actor_uri=hub_uri,
        followers_uri=f"{hub_uri}/followers",
        title=post.title,
        content_html=post.content_html,
        source_markdown=post.source_markdown,
        published_at=post.published_at,
        updated_at=post.updated_at,
    )


async def publish_post(
    svc: Services, hub: LocalActor, author: Account, source_markdown: str
) -> str:
    """Stores the post, its Create and one delivery per follower inbox in one transaction."""
    if len(source_markdown.encode()) > MAX_POST_BYTES:
        raise BadRequest(f"a post may be at most {MAX_POST_BYTES} bytes")
    title, html = render_markdown(source_markdown)
    if not html.strip():
        raise BadRequest("the post is empty")
    base = svc.config.base_url
    hub_uri = hub.uri(base)
    now = time.time()
    targets = await accepted_follower_targets(svc, hub)
    async with svc.db.transaction() as tx:
        post = await posts.insert_post(
            tx,
            actor_id=hub.id,
            author_id=author.actor.id,
            title=title,
            source_markdown=source_markdown,
            content_html=html,
            published_at=now,
        )
        obj = post_object(base, hub, post)
        activity = compose.create(svc.new_activity_uri(), hub_uri, obj)
        await outbox.enqueue(
            tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True, now=now
        )
    svc.wake_delivery()
    return str(obj["id"])
