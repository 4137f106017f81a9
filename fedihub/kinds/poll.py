"""A straw poll: two to ten options (Agree / Disagree / I have questions by default), one choice
or several, open to anyone or counting members only, until it closes. Federated as a Question
Mastodon people vote in; "I have questions" opens a thread with the voter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.polls.kind import QuestionKind
from fedihub.polls.store import QuestionFields
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import FormField
from fedihub.posts.kind import KindName, Parsed

QUESTIONS_OPTION = "I have questions"


@dataclass(frozen=True)
class PollFields(QuestionFields):
    """A question's fields (polls/store.py), stored without the outcome a proposal records."""

    def to_json(self) -> dict[str, Any]:
        stored = super().to_json()
        del stored["outcome"]
        return stored


class Poll(QuestionKind):
    name = KindName("poll")
    label = "Poll"  # translated where it is shown
    example = "---\ncloses: 2026-12-08 20:00\n---\nThe question."
    position = 4
    fields_type = PollFields
    form = (
        FormField("options", "Options", "list", rows=4,
                  help="Leave empty for Agree, Disagree and I have questions"),
        FormField("multiple", "People may choose several options", "checkbox"),
        FormField("closes", "Voting closes", "datetime", required=True),
        FormField("timezone", "Time zone", "timezone"),
        FormField("members_only", "Count members' votes only", "checkbox"),
        FormField("quorum", "Quorum (voters needed)", "number", min=1),
    )  # fmt: skip
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
