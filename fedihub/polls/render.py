"""Polls and proposals as ActivityStreams Questions, with their tallies. Pure."""

from __future__ import annotations

from html import escape
from typing import Any

from fedihub.activitystreams import iso
from fedihub.polls.store import question_fields
from fedihub.polls.tally import Tally
from fedihub.posts.store import Post

BLOCK_NOTE = "Block only if you cannot live with it, and say why in a reply."


def question_html(post: Post, notes: list[str]) -> str:
    """The question's text led by its title, then who counts, the quorum, `notes` and outcome."""
    f = question_fields(post)
    parts = [f"<p><strong>{escape(post.title)}</strong></p>"] if post.title else []
    parts.append(post.content_html)
    lines = []
    if f.members_only:
        lines.append("Only members' votes are counted.")
    if f.quorum:
        lines.append(f"Quorum: {f.quorum} voters.")
    lines += notes
    if f.outcome:
        lines.append(f"Outcome: {f.outcome}.")
    if lines:
        parts.append(f"<p>{escape(' '.join(lines))}</p>")
    return "".join(parts)


def render_question(obj: dict[str, Any], post: Post, tally: Tally, notes: list[str]) -> None:
    """Makes `obj` a Question with its options' counts (Mastodon shows the content, so the
    title leads it and the object has no name)."""
    assert post.ends_at is not None
    options = [
        {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}}
        for name, n in zip(tally.options, tally.counts, strict=True)
    ]
    obj.update(
        {
            "type": "Question",
            "content": question_html(post, notes),
            "anyOf" if question_fields(post).multiple else "oneOf": options,
            "endTime": iso(post.ends_at),
            "votersCount": tally.voters,
        }
    )
    if post.closed_at is not None:
        obj["closed"] = iso(post.ends_at)
    obj.pop("name", None)
