"""A straw poll: two to ten options (Agree / Disagree / I have questions by default), one choice
or several, open to anyone or counting members only, until it closes. Federated as a Question
Mastodon people vote in; "I have questions" opens a thread with the voter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.polls.kind import QuestionKind
from fedihub.posts import fieldreaders as read
from fedihub.posts.kind import KindName, Parsed

QUESTIONS_OPTION = "I have questions"


@dataclass(frozen=True)
class PollFields:
    options: tuple[str, ...]
    multiple: bool = False
    members_only: bool = False
    quorum: int | None = None
    questions_choice: int | None = None  # the option that asks a voter for their questions

    def to_json(self) -> dict[str, Any]:
        return {
            "options": list(self.options),
            "multiple": self.multiple,
            "members_only": self.members_only,
            "quorum": self.quorum,
            "questions_choice": self.questions_choice,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PollFields:
        return cls(
            options=tuple(data["options"]),
            multiple=bool(data.get("multiple")),
            members_only=bool(data.get("members_only")),
            quorum=data.get("quorum"),
            questions_choice=data.get("questions_choice"),
        )


class Poll(QuestionKind):
    name = KindName("poll")
    label = "Poll"  # translated where it is shown
    example = "---\ncloses: 2026-12-08 20:00\n---\nThe question."
    position = 4
    fields_type = PollFields
    allowed = frozenset(
        {"title", "options", "multiple", "closes", "timezone", "members_only", "quorum"}
    )
    body_required = True
    page_template = "_kind_poll.html"

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        options = read.options(meta)
        fields = PollFields(
            options=tuple(options),
            multiple=read.flag(meta, "multiple"),
            members_only=read.flag(meta, "members_only"),
            quorum=read.quorum(meta),
            questions_choice=options.index(QUESTIONS_OPTION)
            if QUESTIONS_OPTION in options
            else None,
        )
        return Parsed(fields, None, read.closes(meta, zone))


KIND = Poll()
