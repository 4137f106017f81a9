"""Polls and proposals as ActivityStreams Questions, with their tallies. Pure."""

from __future__ import annotations

from html import escape
from typing import Any

from fedihub.activitystreams import iso
from fedihub.polls.store import question_fields
from fedihub.polls.tally import Tally, option_label
from fedihub.posts.store import Post
from fedihub.words import ENGLISH, N_, Words

BLOCK_NOTE = N_("Block only if you cannot live with it, and say why in a reply.")


def question_html(post: Post, notes: list[str], words: Words = ENGLISH) -> str:
    """The question's text led by its title, then who counts, the quorum, `notes` (marked with
    N_, translated here) and the outcome, in `words`' language."""
    f = question_fields(post)
    parts = [f"<p><strong>{escape(post.title)}</strong></p>"] if post.title else []
    parts.append(post.content_html)
    lines = []
    if f.members_only:
        lines.append(words("Only members' votes are counted."))
    if f.quorum:
        lines.append(words.plural("Quorum: %(count)s voter.", "Quorum: %(count)s voters.",
                                  f.quorum))  # fmt: skip
    lines += [words(note) for note in notes]
    if f.outcome:
        lines.append(words("Outcome: %(outcome)s.", outcome=words(f.outcome)))
    if lines:
        parts.append(f"<p>{escape(' '.join(lines))}</p>")
    return "".join(parts)


def render_question(
    obj: dict[str, Any], post: Post, tally: Tally, notes: list[str], words: Words = ENGLISH
) -> None:
    """Makes `obj` a Question with its options' counts (Mastodon shows the content, so the
    title leads it and the object has no name); generated options in `words`' language."""
    assert post.ends_at is not None
    options = [
        {"type": "Note", "name": option_label(name, words),
         "replies": {"type": "Collection", "totalItems": n}}
        for name, n in zip(tally.options, tally.counts, strict=True)
    ]  # fmt: skip
    obj.update(
        {
            "type": "Question",
            "content": question_html(post, notes, words),
            "anyOf" if question_fields(post).multiple else "oneOf": options,
            "endTime": iso(post.ends_at),
            "votersCount": tally.voters,
        }
    )
    if post.closed_at is not None:
        obj["closed"] = iso(post.ends_at)
    obj.pop("name", None)
