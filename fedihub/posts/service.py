"""Publishing, editing, cancelling and deleting hub posts of every kind.

The one place the CLI and the web forms go through: each change is checked in full first
(posts/kind.py), then stored and federated in one transaction, so nothing is half-written.
What a kind does besides (a call's occurrences, an event's waitlist, a poll's frozen options)
comes from its hooks in the registry, `svc.kinds`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import PATH_PREFIX, LocalActor
from fedihub.content import html_text
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.posts.kind import PostDraft, parse_draft
from fedihub.posts.mentions import resolve_mentions
from fedihub.posts.store import Post
from fedihub.posts.tags import link_mentions
from fedihub.services import Services


async def require_post(svc: Services, hub: LocalActor, post_id: int) -> Post:
    post = await posts.get_post(svc.db, hub.id, post_id)
    if post is None or post.deleted_at is not None:
        raise NotFound("hub %(hub)r has no post %(post)s", hub=hub.username, post=post_id)
    return post


_POST_PATH = re.compile(r"^/(hubs|users)/([a-z0-9_]{1,30})/posts/(\d{1,18})$")
_KIND_OF_PREFIX = {prefix: kind for kind, prefix in PATH_PREFIX.items()}


async def local_post(
    svc: Services, uri: str, *, accounts_too: bool = False
) -> tuple[LocalActor, Post] | None:
    """The hub and post a URI of ours names, if it names one; with `accounts_too`, a post an
    account made as itself as well (a report or a favourite may be about one)."""
    base = svc.config.base_url
    if not uri.startswith(base + "/"):
        return None
    match = _POST_PATH.match(uri[len(base) :])
    if match is None or (match.group(1) == "users" and not accounts_too):
        return None
    owner = await actors.get_actor(svc.db, _KIND_OF_PREFIX[match.group(1)], match.group(2))  # type: ignore[arg-type]
    post = await posts.get_post(svc.db, owner.id, int(match.group(3))) if owner else None
    return (owner, post) if owner and post else None


async def publish(
    svc: Services,
    hub: LocalActor,
    author: Account | None,
    kind: str,
    text: str,
    now: float | None = None,
    then: Callable[[Transaction, Post], Awaitable[None]] | None = None,
    resolve_mentions: bool = True,
    attachments: list[dict[str, Any]] | None = None,
    language: str | None = None,
) -> Post:
    """Stores a post, its Create (and what its kind adds: a call's first occurrences) and the
    deliveries; `then` does more in the same transaction (and may raise to undo it all)."""
    post_kind = svc.kinds.get(kind)
    draft = parse_draft(post_kind, text, hub.timezone, language)
    draft = await post_kind.prepare(svc, hub, draft)
    if resolve_mentions:  # text from elsewhere (a website's feed) must not address anyone
        draft = await _with_mentions(svc, draft)
    if attachments:
        draft = replace(draft, fields={**draft.fields, "attachments": attachments})
    now = svc.clock.now() if now is None else now
    targets = await federate.audience(svc, hub, _unsaved(hub, draft))
    async with svc.db.transaction() as tx:
        post = await posts.insert_post(
            tx, actor_id=hub.id, author_id=author.actor.id if author else None, draft=draft,
            now=now,
        )  # fmt: skip
        await federate.send_create(tx, svc, hub, post, targets, now)
        await post_kind.after_publish(tx, svc, hub, post, targets, now)
        if then is not None:
            await then(tx, post)
    svc.wake_delivery()
    await post_kind.after_commit(svc, hub, post)
    return post


async def _with_mentions(svc: Services, draft: PostDraft) -> PostDraft:
    """Handles in the text are resolved now (an unknown one is an error), linked, and kept with
    the post so every later rendering tags and addresses them the same way."""
    mentions = await resolve_mentions(svc, html_text(draft.content_html))
    if not mentions:
        return draft
    return replace(
        draft, content_html=link_mentions(draft.content_html, mentions),
        fields={**draft.fields, "mentions": mentions},
    )  # fmt: skip


def _unsaved(hub: LocalActor, draft: PostDraft) -> Post:
    """A not yet stored post, enough to work out who must hear of it."""
    return Post(0, hub.id, None, draft.kind, draft.title, "", "", draft.fields, draft.starts_at,
                draft.ends_at, draft.status, None, 0.0, None, None)  # fmt: skip


async def edit(
    svc: Services,
    hub: LocalActor,
    post_id: int,
    text: str,
    now: float | None = None,
    language: str | None = None,
) -> Post:
    """Replaces a post's text and fields; followers (and participants) receive an Update."""
    post = await require_post(svc, hub, post_id)
    if post.is_occurrence:
        raise BadRequest(
            "post %(post)s is one occurrence of call %(series)s: edit the call, or cancel just"
            " this occurrence",
            post=post_id,
            series=post.series_id,
        )
    post_kind = svc.kinds.get(post.kind)
    draft = parse_draft(post_kind, text, hub.timezone, language)
    draft = await _with_mentions(svc, await post_kind.prepare(svc, hub, draft))
    now = svc.clock.now() if now is None else now
    # Those it mentions now hear of the edit too, and those it mentioned before.
    before = await federate.audience(svc, hub, post)
    after = await federate.audience(svc, hub, replace(post, fields=draft.fields))
    targets = list({t.inbox: t for t in before + after}.values())
    async with svc.db.transaction() as tx:
        post = await posts.get_post_by_id(tx, post.id) or post  # what votes and closes left
        draft = await post_kind.before_edit(tx, post, draft)
        if post.fields.get("attachments"):  # images stay with the post through edits
            draft = replace(
                draft, fields={**draft.fields, "attachments": post.fields["attachments"]}
            )
        edited = await posts.update_post(tx, post, draft, now)
        await federate.send_update(tx, svc, hub, edited, targets, now)
        await post_kind.after_edit(tx, svc, hub, edited, targets, now)
    svc.wake_delivery()
    await post_kind.after_commit(svc, hub, edited)
    return edited


async def cancel(svc: Services, hub: LocalActor, post_id: int, now: float | None = None) -> Post:
    """Cancels one event or one occurrence of a call; it stays listed, marked cancelled."""
    post = await require_post(svc, hub, post_id)
    if not svc.kinds.of(post).is_scheduled(post):
        raise BadRequest(
            "post %(post)s is not an event or a call occurrence: to call off a whole series,"
            " edit it with `status: cancelled`",
            post=post_id,
        )
    if post.status == "cancelled":
        return post
    now = svc.clock.now() if now is None else now
    targets = await federate.audience(svc, hub, post)
    async with svc.db.transaction() as tx:
        cancelled = await posts.set_status(tx, post, "cancelled", post.title, now)
        await federate.send_update(tx, svc, hub, cancelled, targets, now)
    svc.wake_delivery()
    return cancelled


async def delete(
    svc: Services,
    hub: LocalActor,
    post_id: int,
    now: float | None = None,
    then: Callable[[Transaction, Post], Awaitable[None]] | None = None,
) -> None:
    """Deletes a post (a call with its occurrences); each id then answers 410 with a Tombstone.
    `then` does more in the same transaction (a moderator's removal logs it)."""
    post = await require_post(svc, hub, post_id)
    now = svc.clock.now() if now is None else now
    async with svc.db.transaction() as tx:
        doomed = [post]
        if svc.kinds.get(post.kind).has_occurrences and not post.is_occurrence:
            # Listed in the transaction: the scheduler may have just added one.
            doomed += await posts.occurrences_of(tx, post.id, after=0)
        await posts.mark_deleted(tx, [p.id for p in doomed], now)
        for doomed_post in doomed:
            targets = await federate.audience(svc, hub, doomed_post)
            await federate.send_delete(tx, svc, hub, doomed_post, targets, now)
            await svc.kinds.get(doomed_post.kind).after_delete(tx, svc, hub, doomed_post, now)
        if then is not None:
            await then(tx, post)
    svc.wake_delivery()
