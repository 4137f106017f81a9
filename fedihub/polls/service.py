"""Voting in polls, responding to proposals, closing them and recording outcomes. Called by the
inbox (votes as Mastodon sends them), the CLI and, later, web forms.

Tallies go to followers and voters as one deferred Update{Question} per quiet period
(events/scheduler.py), without a newer `updated`, which Mastodon reads as "counts only".
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from fedihub.accounts.store import Account
from fedihub.activitystreams import host_of, id_of, iso
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.content import html_text
from fedihub.db import Transaction
from fedihub.errors import BadRequest, Conflict, FetchError, Forbidden
from fedihub.groups.membership import is_member
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.polls import store as polls
from fedihub.polls.kind import QuestionKind
from fedihub.polls.store import question_fields
from fedihub.polls.tally import OUTCOMES, option_index
from fedihub.posts import federate, render
from fedihub.posts import store as posts
from fedihub.posts.kind import PostKinds
from fedihub.posts.store import Post
from fedihub.services import Services

MAX_REASON = 2_000


class PollClosed(Conflict):
    """Voting has ended."""


def question_kind(kinds: PostKinds, post: Post) -> QuestionKind:
    """The kind of a post people vote in; a BadRequest for any other post."""
    kind = kinds.of(post)
    if not isinstance(kind, QuestionKind):
        raise BadRequest("only polls and proposals take votes")
    return kind


def _takes_reasons(kinds: PostKinds, post: Post) -> bool:
    kind = kinds.of(post)
    return isinstance(kind, QuestionKind) and kind.takes_reasons


def check_open(kinds: PostKinds, post: Post, now: float) -> None:
    question_kind(kinds, post)
    if post.deleted_at is not None:
        raise PollClosed("the poll was deleted")
    if post.closed_at is not None or (post.ends_at is not None and post.ends_at <= now):
        raise PollClosed("the poll is closed")


def choice_for(post: Post, name: str) -> int:
    """The option a vote names, matched exactly as Mastodon sends it (its `name`): as stored,
    or a generated option (Agree, Block…) as it went out in the poll's language."""
    options = question_fields(post).options
    found = option_index(options, name)
    if found is None:
        raise BadRequest(
            "%(name)r is not an option of this poll (%(choices)s)",
            name=name,
            choices=", ".join(options),
        )
    return found


async def _current(tx: Transaction, kinds: PostKinds, post: Post, now: float) -> Post:
    """The poll as stored now, locked: a voter's earlier choices are counted and new ones
    written one transaction at a time for it, in every process."""
    await posts.lock_post(tx, post.id)
    current = await posts.get_post_by_id(tx, post.id)
    if current is None:
        raise PollClosed("the poll was deleted")
    check_open(kinds, current, now)
    return current


async def vote(
    svc: Services,
    hub: LocalActor,
    post: Post,
    voter_uri: str,
    choices: list[int],
    now: float,
    vote_uri: str | None = None,
) -> list[int]:
    """Records a vote; returns the choices newly counted ([] for a repeated vote, which changes
    nothing). On a single-choice poll only the first vote of each voter stands."""
    member = await is_member(svc, hub, voter_uri)
    kind = question_kind(svc.kinds, post)
    if kind.refuses_non_members and question_fields(post).members_only and not member:
        raise Forbidden("only members of the hub may respond to this proposal")
    recorded = []
    async with svc.db.transaction() as tx:
        post = await _current(tx, svc.kinds, post, now)
        fields = question_fields(post)
        if not fields.multiple and len(choices) > 1:
            raise BadRequest("this poll takes one choice")
        already = await polls.choices_of(tx, post.id, voter_uri)
        if already and not fields.multiple:
            return []
        counted = member or not fields.members_only
        for choice in choices:
            if await polls.add_vote(tx, post.id, voter_uri, choice, vote_uri=vote_uri,
                                    counted=counted, reason="", now=now):  # fmt: skip
                recorded.append(choice)
        if recorded:
            await posts.defer_update(tx, post.id, now + svc.config.count_update_delay_s)
        if fields.questions_choice in recorded:
            await _invite_questions(tx, svc, hub, post, voter_uri, now)
    if recorded and kind.takes_reasons:
        await _earlier_reason(svc, post, voter_uri)
    if recorded:
        svc.wake_scheduler()
        svc.wake_delivery()
    return recorded


async def _earlier_reason(svc: Services, post: Post, voter_uri: str) -> None:
    """A reply under a proposal stands as its author's reason; one that was delivered before
    the vote it explains (two deliveries may cross) is taken up when the vote arrives."""
    for reply in await polls.replies(svc.db, post.id):
        content = reply.get("content")
        if id_of(reply.get("attributedTo")) != voter_uri or not isinstance(content, str):
            continue
        if reason := html_text(content)[:MAX_REASON]:
            async with svc.db.transaction() as tx:
                await polls.set_reason(tx, post.id, voter_uri, reason)
            return


async def _invite_questions(
    tx: Transaction, svc: Services, hub: LocalActor, post: Post, voter_uri: str, now: float
) -> None:
    """Someone pressed "I have questions": ask them, in a thread under the poll, what they are."""
    voter = await actors.get_remote_actor(svc.db, voter_uri)
    if voter is None:
        return  # a local account reads the thread on the poll's page
    handle = f"@{voter.preferred_username or 'you'}@{host_of(voter_uri)}"
    hub_uri = hub.uri(svc.config.base_url)
    link = f'<a href="{escape(voter_uri)}" class="u-url mention">{escape(handle)}</a>'
    content = (
        f'<p><span class="h-card">{link}</span> Thank you for saying you have questions.'
        " Reply to this message with them and the organisers will answer under the poll"
        " before deciding.</p>"
    )
    activity = compose.direct_note(
        svc.new_activity_uri(), hub_uri, voter_uri, handle, content,
        render.post_uri(hub_uri, post.id),
    )  # fmt: skip
    await outbox.enqueue(tx, actor_id=hub.id, activity=activity,
                         targets=[personal_target(voter)], is_public=False, now=now)  # fmt: skip


async def respond(
    svc: Services, hub: LocalActor, post: Post, actor_uri: str, answer: str, reason: str, now: float
) -> None:
    """A local account's response to a proposal, with its reason; a block must say why. Members
    only where the proposal says so (`who: members`); with `who: anyone`, everyone counts."""
    if not _takes_reasons(svc.kinds, post):
        raise BadRequest("only proposals take responses with reasons; vote in polls instead")
    choice = choice_for(post, answer.capitalize())
    reason = reason.strip()[:MAX_REASON]
    fields = question_fields(post)
    if fields.options[choice] == "Block" and not reason:
        raise BadRequest("a block needs a reason: say what you cannot live with")
    member = await is_member(svc, hub, actor_uri)
    if fields.members_only and not member:
        raise Forbidden("only members of the hub may respond to this proposal")
    counted = member or not fields.members_only  # `who: anyone` counts everyone, as vote() does
    async with svc.db.transaction() as tx:
        post = await _current(tx, svc.kinds, post, now)
        await polls.replace_response(tx, post.id, actor_uri, choice, counted, reason, now)
        await posts.defer_update(tx, post.id, now + svc.config.count_update_delay_s)
    svc.wake_scheduler()


async def record_reply(
    svc: Services,
    post: Post,
    actor_uri: str,
    obj: dict[str, Any],
    now: float,
    *,
    as_reason: bool = True,
) -> str:
    """A reply under a poll or proposal (a question, a reason): kept in the thread, never counted.
    A voter's first reply under a proposal also stands as the reason for their response, unless
    it was asked as a question (`as_reason=False`: the web's question box)."""
    reason = html_text(obj["content"])[:MAX_REASON] if isinstance(obj.get("content"), str) else ""
    async with svc.db.transaction() as tx:
        await polls.save_reply(tx, post.id, actor_uri, obj, now)
        if _takes_reasons(svc.kinds, post) and reason and as_reason:
            await polls.set_reason(tx, post.id, actor_uri, reason)
    return f"kept reply {obj['id']} under post {post.id}"


async def _close(
    svc: Services, hub: LocalActor, post: Post, now: float, outcome: str | None = None
) -> Post | None:
    """Closes a poll once (and records a proposal's outcome), then sends the result. None if
    another caller closed it first and there is nothing new to say."""
    targets = await federate.audience(svc, hub, post)
    async with svc.db.transaction() as tx:
        closed = await polls.mark_closed(tx, post.id, now)
        if outcome is not None:
            # New text in the Question: a newer `updated` makes Mastodon show it (the options
            # are unchanged, so its votes stay).
            await polls.set_outcome(tx, post.id, outcome, now)
        elif not closed:
            return None
        current = await posts.get_post_by_id(tx, post.id)
        assert current is not None
        await federate.send_update(tx, svc, hub, current, targets, now)
    svc.wake_delivery()
    return current


async def close_due(svc: Services, now: float) -> int:
    """Sends the final result of every poll whose time is up, once."""
    closed = 0
    questions = svc.kinds.names_where(lambda kind: kind.is_question)
    for post_id in await polls.questions_due_to_close(svc.db, now, questions):
        post = await posts.get_post_by_id(svc.db, post_id)
        if post is not None and await _close(svc, await federate.hub_of(svc, post), post, now):
            closed += 1
    return closed


async def close_now(svc: Services, hub: LocalActor, post: Post, now: float | None = None) -> Post:
    """The facilitator ends the vote early ("voting is closed"); the result goes out at once."""
    now = svc.clock.now() if now is None else now
    check_open(svc.kinds, post, now)
    closed = await _close(svc, hub, post, now)
    if closed is None:
        raise PollClosed("the poll is closed")
    return closed


async def record_outcome(
    svc: Services, hub: LocalActor, post: Post, outcome: str, now: float | None = None
) -> Post:
    """The facilitator's record of what the group decided; closes the proposal if still open."""
    if not question_kind(svc.kinds, post).records_outcome:
        raise BadRequest("outcomes are recorded for proposals")
    outcome = outcome.strip().lower().replace("-", " ")
    if outcome not in OUTCOMES:
        raise BadRequest("outcome: one of %(choices)s", choices=", ".join(OUTCOMES))
    recorded = await _close(svc, hub, post, svc.clock.now() if now is None else now, outcome)
    assert recorded is not None
    return recorded


def _past(value: object, now: float) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).timestamp() <= now
    except ValueError:
        return False


CONSENSUS = ("Agree", "Abstain", "Disagree", "Block")


def option_names(question: dict[str, Any]) -> list[str]:
    """The options of a Question as another server sent it."""
    options = question.get("anyOf") or question.get("oneOf") or []
    names = (
        [o.get("name") for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    )
    return [n for n in names if isinstance(n, str)]


def is_proposal(question: dict[str, Any]) -> bool:
    """A Question whose options are a consensus proposal's: answered with a reason."""
    return question.get("type") == "Question" and set(option_names(question)) == set(CONSENSUS)


async def remote_question(svc: Services, question_uri: str) -> dict[str, Any]:
    """A poll or proposal on another server, fetched fresh; BadRequest for anything else."""
    question = await svc.resolver.fetch_object(question_uri)
    if question.get("type") != "Question":
        raise BadRequest("%(uri)s is not a poll", uri=question_uri)
    return question


async def _author_of(svc: Services, question: dict[str, Any], question_uri: str) -> Any:
    if question.get("closed") or _past(question.get("endTime"), svc.clock.now()):
        raise PollClosed("the poll is closed")
    author_uri = id_of(question.get("attributedTo"))
    if author_uri is None or host_of(author_uri) != host_of(question_uri):
        raise FetchError("the poll's author is not on the poll's server")
    return await svc.resolver.actor(author_uri)


async def vote_remote(
    svc: Services,
    account: Account,
    question_uri: str,
    option_names_chosen: list[str],
    question: dict[str, Any] | None = None,
) -> str:
    """A local account votes in a poll on another server, as Mastodon does: one Create{Note}
    per option, to the personal inbox of the poll's author."""
    question = question or await remote_question(svc, question_uri)
    names = option_names(question)
    for name in option_names_chosen:
        if name not in names:
            raise BadRequest(
                "%(name)r is not an option (%(choices)s)", name=name, choices=", ".join(names)
            )
    if len(option_names_chosen) > 1 and "anyOf" not in question:
        raise BadRequest("this poll takes one choice")
    author = await _author_of(svc, question, question_uri)
    voter_uri = account.actor.uri(svc.config.base_url)
    async with svc.db.transaction() as tx:
        for name in option_names_chosen:
            activity = compose.vote(
                svc.new_activity_uri(), voter_uri, question_uri, author.uri, name
            )
            await outbox.enqueue(tx, actor_id=account.actor.id, activity=activity,
                                 targets=[personal_target(author)], is_public=False,
                                 now=svc.clock.now())  # fmt: skip
    svc.wake_delivery()
    return str(author.uri)


async def respond_remote(
    svc: Services,
    account: Account,
    question_uri: str,
    answer: str,
    reason: str,
    question: dict[str, Any] | None = None,
) -> str:
    """A local account responds to a proposal on another server: its vote as Mastodon sends
    one, then its reason as a reply under the proposal (what our inbox reads as the reason for
    that response), both to the personal inbox of the proposal's author, signed as the account."""
    question = question or await remote_question(svc, question_uri)
    if not is_proposal(question):
        raise BadRequest("only proposals take responses with reasons; vote in polls instead")
    name = answer.strip().capitalize()
    if name not in CONSENSUS:
        raise BadRequest(
            "%(name)r is not an option (%(choices)s)", name=answer, choices=", ".join(CONSENSUS)
        )
    reason = reason.strip()[:MAX_REASON]
    if name == "Block" and not reason:
        raise BadRequest("a block needs a reason: say what you cannot live with")
    author = await _author_of(svc, question, question_uri)
    voter_uri = account.actor.uri(svc.config.base_url)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        activities = [
            compose.vote(svc.new_activity_uri(), voter_uri, question_uri, author.uri, name)
        ]
        if reason:
            activities.append(_reason_reply(svc.new_activity_uri(), voter_uri, question_uri,
                                            author.uri, reason, now))  # fmt: skip
        for activity in activities:
            await outbox.enqueue(tx, actor_id=account.actor.id, activity=activity,
                                 targets=[personal_target(author)], is_public=False,
                                 now=now)  # fmt: skip
    svc.wake_delivery()
    return str(author.uri)


def _reason_reply(
    activity_uri: str, actor_uri: str, question_uri: str, author_uri: str, reason: str, now: float
) -> dict[str, Any]:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in reason.splitlines() if p.strip())
    note = {"id": f"{activity_uri}#reason", "type": "Note", "attributedTo": actor_uri,
            "to": [author_uri], "cc": [], "inReplyTo": question_uri, "content": paragraphs,
            "published": iso(now)}  # fmt: skip
    return compose.create(activity_uri, actor_uri, note)
