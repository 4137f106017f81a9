"""What polls and proposals share as kinds of post (fedihub/kinds/poll.py, proposal.py): people
vote in them, voters hear of tallies and results, they federate as a Question with its counts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fedihub.actors import store as actors
from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest
from fedihub.network.present import present
from fedihub.polls import store as polls
from fedihub.polls.render import render_question
from fedihub.polls.store import question_fields
from fedihub.polls.tally import Tally, count, result_text
from fedihub.posts.kind import PostDraft, PostKind
from fedihub.posts.render import display_title
from fedihub.posts.store import Post
from fedihub.words import Words, words_for


class QuestionKind(PostKind):
    """A kind people vote in."""

    is_question = True
    hub_section = "questions"
    notes: tuple[str, ...] = ()  # lines its Question's text ends with
    records_outcome = False  # an outcome the facilitator records, kept through edits
    takes_reasons = False  # responses come with reasons; a voter's first reply stands as one
    refuses_non_members = False  # when members only, others may not vote (not: counted apart)

    async def load(self, db: Database | Transaction, post: Post) -> Tally:
        return await polls.current_tally(db, post)

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        tally = (
            loaded if isinstance(loaded, Tally) else count(list(question_fields(post).options), [])
        )
        render_question(obj, post, tally, list(self.notes), words)

    def former_type(self, post: Post) -> str | None:
        return "Question"

    async def hearers(self, db: Database, post: Post) -> list[str]:
        """Voters hear of tallies and the result even if they do not follow the hub."""
        return await polls.voter_uris(db, post.id)

    async def before_edit(self, tx: Transaction, post: Post, draft: PostDraft) -> PostDraft:
        return await keep_the_vote(tx, post, draft, keep_outcome=self.records_outcome)

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        """The tally, blocks with their reasons, the thread of questions and reasons, and how
        many have spoken (never who most); and the viewer's own votes and reason."""
        tally = await polls.current_tally(db, post)
        fields = question_fields(post)
        closed = post.closed_at is not None or (post.ends_at or 0) <= now
        replies = [present(r) for r in await polls.replies(db, post.id)]
        reasons = [v for v in await polls.votes(db, post.id) if v.reason]
        page: dict[str, Any] = {
            "take_part_open": not closed,
            "question": {
                "fields": fields,
                "tally": tally,
                "closed": closed,
                "result": result_text(display_title(post, self), tally, closed=closed,
                                      outcome=fields.outcome,
                                      words=words_for(await written_in(db, post))),
                "replies": replies,
                "reasons": reasons,
                "spoken": tally.reasons,
                "responded": len(tally.voter_uris),
            }
        }  # fmt: skip
        if viewer_uri is not None:
            votes = await polls.votes(db, post.id, viewer_uri)
            page["mine"] = {"choices": {v.choice for v in votes},
                            "reason": next((v.reason for v in votes), "")}  # fmt: skip
        return page


async def written_in(db: Database, post: Post) -> str:
    """The post's language: its own, else its hub's usual one (what its contentMap names). The
    result line for the minutes is written in it."""
    if language := post.fields.get("language"):
        return str(language)
    hub = await actors.get_actor_by_id(db, post.actor_id)
    return hub.language if hub else "en"


FROZEN_ONCE_VOTED = ("options", "multiple", "members_only")


async def keep_the_vote(
    tx: Transaction, post: Post, draft: PostDraft, *, keep_outcome: bool
) -> PostDraft:
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
    if not keep_outcome:
        return draft
    return replace(draft, fields={**draft.fields, "outcome": post.fields.get("outcome")})
