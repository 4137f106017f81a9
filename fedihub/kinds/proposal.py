"""A consensus proposal: people respond Agree, Abstain, Disagree or Block, with their reasons (a
block needs one), until it closes; the facilitator records its outcome. Federated as a Question;
members only unless `who: anyone`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.errors import BadRequest
from fedihub.polls.kind import QuestionKind
from fedihub.polls.render import BLOCK_NOTE
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import FormField
from fedihub.posts.kind import KindName, Parsed

CONSENSUS = ("Agree", "Abstain", "Disagree", "Block")


@dataclass(frozen=True)
class ProposalFields:
    members_only: bool = True
    quorum: int | None = None
    outcome: str | None = None  # recorded by the facilitator (polls.tally.OUTCOMES)

    def to_json(self) -> dict[str, Any]:
        """Stored in a poll's shape, so votes and tallies read both alike."""
        return {
            "options": list(CONSENSUS),
            "multiple": False,
            "members_only": self.members_only,
            "quorum": self.quorum,
            "questions_choice": None,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProposalFields:
        return cls(bool(data.get("members_only")), data.get("quorum"), data.get("outcome"))


class Proposal(QuestionKind):
    name = KindName("proposal")
    label = "Proposal"  # translated where it is shown
    example = "---\ntitle: \ncloses: 2026-12-08 20:00\nwho: members\n---\nThe proposal."
    position = 5
    fields_type = ProposalFields
    form = (
        FormField("closes", "Responses close", "datetime", required=True),
        FormField("timezone", "Time zone", "timezone"),
        FormField("who", "Who may respond", "select",
                  choices=(("members", "Members"), ("anyone", "Anyone"))),
        FormField("quorum", "Quorum (people needed)", "number", min=1),
    )  # fmt: skip
    title_required = True
    body_required = True
    notes = (BLOCK_NOTE,)
    records_outcome = True
    takes_reasons = True
    refuses_non_members = True
    page_template = "_kind_proposal.html"

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        who = (
            meta.get("who") if read.given(meta, "who") else "members"
        )  # never str() a list: YAML aliases can make it 10**9 long
        who = who.strip().lower() if isinstance(who, str) else ""
        if who not in ("members", "anyone"):
            raise BadRequest("who: members or anyone")
        fields = ProposalFields(members_only=who == "members", quorum=read.quorum(meta))
        return Parsed(fields, None, read.closes(meta, zone))


KIND = Proposal()
