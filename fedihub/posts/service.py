"""Publishing, editing, cancelling and deleting hub posts of every kind.

The one place the CLI and the web forms go through: each change is checked in full first
(posts/kinds.py), then stored and federated in one transaction, so nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import PATH_PREFIX, LocalActor
from fedihub.content import html_text
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.events import participation
from fedihub.events.schedule import occurrences
from fedihub.polls import store as polls
from fedihub.polls.tally import result_text
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.posts.kinds import PostDraft, parse_draft
from fedihub.posts.mentions import resolve_mentions
from fedihub.posts.render import display_title, local_time, zone_of
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
    attachments: list[dict] | None = None,
    language: str | None = None,
) -> Post:
    """Stores a post, its Create (and, for a call, its first occurrences) and the deliveries;
    `then` does more in the same transaction (and may raise to undo it all)."""
    draft = parse_draft(kind, text, hub.timezone, language)
    draft = await _with_proposal_results(svc, hub, draft)
    if resolve_mentions:  # text from elsewhere (a website's feed) must not address anyone
        draft = await _with_mentions(svc, draft)
    if attachments:
        draft = replace(draft, fields={**draft.fields, "attachments": attachments})
    now = time.time() if now is None else now
    targets = await federate.audience(svc, hub, _unsaved(hub, draft))
    async with svc.db.transaction() as tx:
        post = await posts.insert_post(
            tx, actor_id=hub.id, author_id=author.actor.id if author else None, draft=draft,
            now=now,
        )  # fmt: skip
        await federate.send_create(tx, svc, hub, post, targets, now)
        if post.kind == "call":
            await _federate_occurrences(tx, svc, hub, post, targets, now)
        if then is not None:
            await then(tx, post)
    svc.wake_delivery()
    return post


async def _with_proposal_results(svc: Services, hub: LocalActor, draft: PostDraft) -> PostDraft:
    """Minutes that name proposals (`proposals: [12]`) record each one's result as a decision."""
    lines = []
    for post_id in draft.fields.get("proposals") or []:
        proposal = await posts.get_post(svc.db, hub.id, post_id)
        if proposal is None or proposal.kind != "proposal" or proposal.deleted_at:
            raise BadRequest("proposals: post %(post)s is not a proposal of this hub", post=post_id)
        tally = await federate.current_tally(svc.db, proposal)
        closed = proposal.closed_at is not None
        outcome = proposal.fields.get("outcome")
        result = result_text(display_title(proposal), tally, closed=closed, outcome=outcome)
        lines.append(f"Proposal {result}")
    if not lines:
        return draft
    return replace(draft, fields={**draft.fields, "decisions": draft.fields["decisions"] + lines})


FROZEN_ONCE_VOTED = ("options", "multiple", "members_only")


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


async def _keep_the_vote(tx: Transaction, post: Post, draft: PostDraft) -> PostDraft:
    """Votes count against option positions, and Mastodon resets its votes when the options or
    their kind change: once anyone has voted these stay as they were. A closed poll is a record
    and is not edited; a proposal's recorded outcome is kept. Read in the edit's transaction."""
    if post.closed_at is not None:
        raise BadRequest("the poll is closed: its record can no longer be edited")
    changed = [k for k in FROZEN_ONCE_VOTED if draft.fields.get(k) != post.fields.get(k)]
    if changed and await polls.votes(tx, post.id):
        raise BadRequest(
            "%(field)s: people have voted, so this can no longer change", field=changed[0]
        )
    if post.kind != "proposal":
        return draft
    return replace(draft, fields={**draft.fields, "outcome": post.fields.get("outcome")})


def _unsaved(hub: LocalActor, draft: PostDraft) -> Post:
    """A not yet stored post, enough to work out who must hear of it."""
    return Post(0, hub.id, None, draft.kind, draft.title, "", "", draft.fields, draft.starts_at,
                draft.ends_at, draft.status, None, 0.0, None, None)  # fmt: skip


def upcoming_times(series: Post, now: float, lead_s: float) -> list[tuple[float, float]]:
    """Occurrences of a call that start within the lead time (a one-off call has one)."""
    assert series.starts_at is not None and series.ends_at is not None
    rule = series.fields.get("schedule")
    if not rule:
        return (
            [(series.starts_at, series.ends_at)] if now <= series.starts_at < now + lead_s else []
        )
    start = local_time(series.starts_at, zone_of(series, None))
    duration = dt.timedelta(seconds=series.ends_at - series.starts_at)
    return occurrences(rule, start, duration, after=max(now, series.starts_at), until=now + lead_s)


async def _federate_occurrences(
    tx: Transaction, svc: Services, hub: LocalActor, series: Post, targets: list, now: float
) -> int:
    """Each occurrence coming up within the lead time becomes its own Event, once; read in the
    transaction, so a series deleted or cancelled meanwhile gets none."""
    current = await posts.get_post_by_id(tx, series.id)
    if current is None or current.deleted_at is not None or current.status == "cancelled":
        return 0
    series = current
    created = 0
    for starts_at, ends_at in upcoming_times(series, now, svc.config.call_lead_days * 86_400):
        occurrence = await posts.insert_occurrence(tx, series, starts_at, ends_at, now)
        if occurrence is not None:
            await federate.send_create(tx, svc, hub, occurrence, targets, now)
            created += 1
    return created


async def federate_upcoming_occurrences(svc: Services, now: float) -> int:
    """Run by the scheduler: occurrences that came within the lead time since the last run."""
    created = 0
    for series in await posts.recurring_series(svc.db):
        hub = await federate.hub_of(svc, series)
        targets = await federate.audience(svc, hub, series)
        async with svc.db.transaction() as tx:
            created += await _federate_occurrences(tx, svc, hub, series, targets, now)
    if created:
        svc.wake_delivery()
    return created


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
    draft = await _with_mentions(svc, await _with_proposal_results(
        svc, hub, parse_draft(post.kind, text, hub.timezone, language)))  # fmt: skip
    now = time.time() if now is None else now
    # Those it mentions now hear of the edit too, and those it mentioned before.
    before = await federate.audience(svc, hub, post)
    after = await federate.audience(svc, hub, replace(post, fields=draft.fields))
    targets = list({t.inbox: t for t in before + after}.values())
    async with svc.db.transaction() as tx:
        post = await posts.get_post_by_id(tx, post.id) or post  # what votes and closes left
        if post.is_question:
            draft = await _keep_the_vote(tx, post, draft)
        if post.fields.get("attachments"):  # images stay with the post through edits
            draft = replace(
                draft, fields={**draft.fields, "attachments": post.fields["attachments"]}
            )
        future = await posts.occurrences_of(tx, post.id, now) if post.kind == "call" else []
        edited = await posts.update_post(tx, post, draft, now)
        await federate.send_update(tx, svc, hub, edited, targets, now)
        if edited.kind == "event":
            await participation.promote_waitlisted(tx, svc, hub, edited, now)
        if edited.kind == "call":
            await _follow_series(tx, svc, hub, edited, future, now)
            await _federate_occurrences(tx, svc, hub, edited, targets, now)
    svc.wake_delivery()
    return edited


async def _follow_series(
    tx: Transaction, svc: Services, hub: LocalActor, series: Post, future: list[Post], now: float
) -> None:
    """Future occurrences take the series' title, status and length; those the new schedule no
    longer has are cancelled (kept visible as cancelled, as calendars expect)."""
    horizon = max((o.starts_at or now for o in future), default=now) + 1
    still = {s for s, _ in upcoming_times(series, now, horizon - now)}
    assert series.starts_at is not None and series.ends_at is not None
    length = series.ends_at - series.starts_at
    for occurrence in future:
        cancelled = (
            series.status == "cancelled"
            or occurrence.status == "cancelled"
            or occurrence.starts_at not in still
        )
        status = "cancelled" if cancelled else series.status
        assert occurrence.starts_at is not None
        ends_at = occurrence.starts_at + length
        changed = await posts.set_status(tx, occurrence, status, series.title, now, ends_at)
        targets = await federate.audience(svc, hub, occurrence)
        await federate.send_update(tx, svc, hub, changed, targets, now)


async def cancel(svc: Services, hub: LocalActor, post_id: int, now: float | None = None) -> Post:
    """Cancels one event or one occurrence of a call; it stays listed, marked cancelled."""
    post = await require_post(svc, hub, post_id)
    if not post.is_scheduled:
        raise BadRequest(
            "post %(post)s is not an event or a call occurrence: to call off a whole series,"
            " edit it with `status: cancelled`",
            post=post_id,
        )
    if post.status == "cancelled":
        return post
    now = time.time() if now is None else now
    targets = await federate.audience(svc, hub, post)
    async with svc.db.transaction() as tx:
        cancelled = await posts.set_status(tx, post, "cancelled", post.title, now)
        await federate.send_update(tx, svc, hub, cancelled, targets, now)
    svc.wake_delivery()
    return cancelled


async def delete(svc: Services, hub: LocalActor, post_id: int, now: float | None = None) -> None:
    """Deletes a post (a call with its occurrences); each id then answers 410 with a Tombstone."""
    post = await require_post(svc, hub, post_id)
    now = time.time() if now is None else now
    async with svc.db.transaction() as tx:
        doomed = [post]
        if post.kind == "call" and not post.is_occurrence:
            # Listed in the transaction: the scheduler may have just added one.
            doomed += await posts.occurrences_of(tx, post.id, after=0)
        await posts.mark_deleted(tx, [p.id for p in doomed], now)
        for doomed_post in doomed:
            targets = await federate.audience(svc, hub, doomed_post)
            await federate.send_delete(tx, svc, hub, doomed_post, targets, now)
    svc.wake_delivery()
