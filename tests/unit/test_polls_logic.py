"""Counting votes, the result line, recognising a vote, and a poll as Mastodon reads it. Pure."""

from __future__ import annotations

import pytest

from fedihub.inbox.validate import vote_in
from fedihub.kinds import parse_draft, post_object
from fedihub.polls.tally import Vote, count, result_text
from fedihub.posts.store import Post
from tests.support.fixtures import load

HUB = "https://fedihub.example/hubs/climate"
CONSENSUS = ("Agree", "Abstain", "Disagree", "Block")


def test_members_are_counted_and_others_shown_apart() -> None:
    tally = count(
        ["Agree", "Disagree"],
        [Vote("a", 0, True), Vote("b", 0, True), Vote("c", 1, False), Vote("a", 7, True)],
        quorum=3,
    )
    assert tally.counts == (2, 0) and tally.uncounted == (0, 1)
    assert (tally.voters, tally.uncounted_voters, tally.quorum_met) == (2, 1, False)


def test_blocks_and_reasons() -> None:
    votes = [Vote("a", 3, True, "Excludes people"), Vote("b", 0, True, "Good"), Vote("c", 0, True)]
    tally = count(CONSENSUS, votes)
    assert tally.blocks == (("a", "Excludes people"),) and tally.reasons == 2


def test_result_line_for_the_minutes() -> None:
    tally = count(CONSENSUS, [Vote("a", 0, True), Vote("b", 3, True, "No")], quorum=2)
    line = result_text("Adopt the code", tally, closed=True, outcome="not adopted")
    assert line == ('"Adopt the code": Agree 1 · Abstain 0 · Disagree 0 · Block 1 (2 voters,'
                    " quorum 2 met, 1 block(s); final) — not adopted")  # fmt: skip


def test_a_mastodon_vote_is_recognised_and_a_reply_is_not() -> None:
    note = load("mastodon-poll-vote")["object"]
    assert vote_in(note) == ("Agree", "https://fedihub.example/hubs/climate/posts/42")
    assert vote_in({**note, "content": "<p>Agree, and…</p>"}) is None
    assert vote_in({**note, "type": "Question"}) is None
    assert vote_in({**note, "name": ["Agree"]}) is None


@pytest.mark.parametrize(("multiple", "key"), [(False, "oneOf"), (True, "anyOf")])
def test_a_poll_is_a_question_mastodon_renders(multiple: bool, key: str) -> None:
    flag = "true" if multiple else "false"
    draft = parse_draft(
        "poll", f"---\ncloses: 2026-12-01 20:00\nmultiple: {flag}\n---\nMarch?", "UTC"
    )
    post = Post(42, 1, None, "poll", None, draft.source_markdown, draft.content_html,
                draft.fields, None, draft.ends_at, "confirmed", None, 0.0, None, None)  # fmt: skip
    tally = count(draft.fields["options"], [Vote("a", 2, True)])
    obj = post_object(HUB, post, loaded=tally)
    expected = load("fedihub-question")
    assert obj["type"] == "Question" and obj["endTime"] == "2026-12-01T20:00:00Z"
    assert [o["name"] for o in obj[key]] == [o["name"] for o in expected["oneOf"]]
    assert [o["replies"]["totalItems"] for o in obj[key]] == [0, 0, 1]
    assert obj["votersCount"] == 1 and "closed" not in obj and "name" not in obj
    assert obj["cc"] == [f"{HUB}/followers"] and "<p>March?</p>" in obj["content"]
