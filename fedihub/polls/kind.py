"""What polls and proposals share as kinds of post (fedihub/kinds/poll.py, proposal.py): people
vote in them, voters hear of tallies and results, they federate as a Question with its counts."""

from __future__ import annotations

from typing import Any

from fedihub.db import Database, Transaction
from fedihub.network.present import present
from fedihub.polls import store as polls
from fedihub.polls.render import render_question
from fedihub.polls.service import keep_the_vote
from fedihub.polls.tally import Tally, count, result_text
from fedihub.posts.kind import PostDraft, PostKind
from fedihub.posts.render import display_title
from fedihub.posts.store import Post


class QuestionKind(PostKind):
    """A kind people vote in."""

    notes: tuple[str, ...] = ()  # lines its Question's text ends with
    records_outcome = False  # an outcome the facilitator records, kept through edits

    async def load(self, db: Database | Transaction, post: Post) -> Tally:
        return await polls.current_tally(db, post)

    def render(
        self, obj: dict[str, Any], post: Post, hub_uri: str, series: Post | None, loaded: object
    ) -> None:
        tally = loaded if isinstance(loaded, Tally) else count(post.fields["options"], [])
        render_question(obj, post, tally, list(self.notes))

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
        closed = post.closed_at is not None or (post.ends_at or 0) <= now
        replies = [present(r) for r in await polls.replies(db, post.id)]
        reasons = [v for v in await polls.votes(db, post.id) if v.reason]
        page: dict[str, Any] = {
            "take_part_open": not closed,
            "question": {
                "tally": tally,
                "closed": closed,
                "result": result_text(display_title(post), tally, closed=closed,
                                      outcome=post.fields.get("outcome")),
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
