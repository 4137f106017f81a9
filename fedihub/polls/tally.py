"""Counting votes and saying the result. Pure: votes come in as rows, text goes out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fedihub.words import ENGLISH, LANGUAGES, N_, Words, words_for

OUTCOMES = (N_("adopted"), N_("not adopted"), N_("withdrawn"))
BLOCK = "Block"
# The options a poll or proposal gets when none are written (fieldreaders.STRAW_POLL, a
# proposal's CONSENSUS): stored in English, shown and federated in the reader's language.
GENERATED_OPTIONS = frozenset(
    {N_("Agree"), N_("Disagree"), N_("I have questions"), N_("Abstain"), N_("Block")}
)


def option_label(name: str, words: Words = ENGLISH) -> str:
    """An option as people read it: the generated ones translated, people's own as written."""
    return words(name) if name in GENERATED_OPTIONS else name


def option_index(options: Iterable[str], name: str) -> int | None:
    """The option a vote names: as stored, or a generated option in any of our languages
    (Mastodon votes with the name it was sent, in the language the poll went out in)."""
    names = list(options)
    if name in names:
        return names.index(name)
    for language in LANGUAGES:
        labels = [option_label(o, words_for(language)) for o in names]
        if name in labels:
            return labels.index(name)
    return None


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


def result_text(
    title: str, tally: Tally, *, closed: bool, outcome: str | None = None, words: Words = ENGLISH
) -> str:
    """One line to paste into the minutes, in `words`' language:
    '"March?": Agree 12 · Disagree 3 (15 voters; final) — adopted'."""
    parts = " · ".join(
        f"{option_label(name, words)} {n}" for name, n in zip(tally.options, tally.counts,
                                                              strict=True)
    )  # fmt: skip
    notes = [words.plural("%(count)s voter", "%(count)s voters", tally.voters)]
    if tally.quorum is not None and tally.quorum_met:
        notes.append(words("quorum %(quorum)s met", quorum=tally.quorum))
    elif tally.quorum is not None:
        notes.append(words("quorum %(quorum)s not met", quorum=tally.quorum))
    if tally.uncounted_voters:
        notes.append(words("%(count)s non-member vote(s) not counted",
                           count=tally.uncounted_voters))  # fmt: skip
    if tally.blocks:
        notes.append(words("%(count)s block(s)", count=len(tally.blocks)))
    state = words("final") if closed else words("so far")
    line = words('"%(title)s": %(options)s (%(notes)s; %(state)s)', title=title, options=parts,
                 notes=", ".join(notes), state=state)  # fmt: skip
    if not outcome:
        return line
    return words("%(line)s — %(outcome)s", line=line, outcome=words(outcome))
