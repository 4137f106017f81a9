"""Counting votes and saying the result. Pure: votes come in as rows, text goes out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("adopted", "not adopted", "withdrawn")
BLOCK = "Block"


@dataclass(frozen=True)
class Vote:
    actor_uri: str
    choice: int
    counted: bool
    reason: str = ""


@dataclass(frozen=True)
class Tally:
    options: tuple[str, ...]
    counts: tuple[int, ...]  # counted votes per option
    voters: int  # distinct counted voters
    uncounted: tuple[int, ...]  # non-members' votes on a members-only poll, shown apart
    uncounted_voters: int
    quorum: int | None = None
    blocks: tuple[tuple[str, str], ...] = ()  # (actor, reason) of every block
    reasons: int = 0  # distinct participants who gave a reason (step up, step back)
    voter_uris: tuple[str, ...] = field(default=(), repr=False)

    @property
    def quorum_met(self) -> bool:
        return self.quorum is None or self.voters >= self.quorum

    def as_dict(self) -> dict[str, Any]:
        return {
            "options": [
                {"name": name, "votes": n, "uncounted": u}
                for name, n, u in zip(self.options, self.counts, self.uncounted, strict=True)
            ],
            "voters": self.voters,
            "uncounted_voters": self.uncounted_voters,
            "quorum": self.quorum,
            "quorum_met": self.quorum_met,
            "blocks": [{"actor": a, "reason": r} for a, r in self.blocks],
        }


def count(options: Iterable[str], votes: Iterable[Vote], quorum: int | None = None) -> Tally:
    names = tuple(options)
    counted = [0] * len(names)
    uncounted = [0] * len(names)
    voters: set[str] = set()
    others: set[str] = set()
    reasoned: set[str] = set()
    blocks = []
    for vote in votes:
        if not 0 <= vote.choice < len(names):
            continue
        if vote.reason.strip():
            reasoned.add(vote.actor_uri)
        if not vote.counted:
            uncounted[vote.choice] += 1
            others.add(vote.actor_uri)
            continue
        counted[vote.choice] += 1
        voters.add(vote.actor_uri)
        if names[vote.choice] == BLOCK:
            blocks.append((vote.actor_uri, vote.reason))
    return Tally(names, tuple(counted), len(voters), tuple(uncounted), len(others), quorum,
                 tuple(blocks), len(reasoned), tuple(sorted(voters | others)))  # fmt: skip


def result_text(title: str, tally: Tally, *, closed: bool, outcome: str | None = None) -> str:
    """One line to paste into the minutes: 'Straw poll "March?": Agree 12 · Disagree 3 …'."""
    parts = " · ".join(f"{name} {n}" for name, n in zip(tally.options, tally.counts, strict=True))
    voters = f"{tally.voters} voter{'s' if tally.voters != 1 else ''}"
    notes = [voters]
    if tally.quorum is not None:
        notes.append(f"quorum {tally.quorum} {'met' if tally.quorum_met else 'not met'}")
    if tally.uncounted_voters:
        notes.append(f"{tally.uncounted_voters} non-member vote(s) not counted")
    if tally.blocks:
        notes.append(f"{len(tally.blocks)} block(s)")
    state = "final" if closed else "so far"
    line = f'"{title}": {parts} ({", ".join(notes)}; {state})'
    return f"{line} — {outcome}" if outcome else line
