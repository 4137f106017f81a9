"""Minutes of a meeting: who came, the agenda, decisions (and the results of the proposals they
name), action items and a link to the records. An Article tagged #minutes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.polls.store import current_tally, question_fields
from fedihub.polls.tally import result_text
from fedihub.posts import fieldreaders as read
from fedihub.posts import store as posts
from fedihub.posts.formfields import FormField
from fedihub.posts.kind import KindName, Parsed, PostDraft, PostKind
from fedihub.posts.render import display_title, link_html, list_html
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.words import ENGLISH, Words, words_for


@dataclass(frozen=True)
class Action:
    task: str
    owner: str | None = None
    due: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class MinutesFields:
    meeting_date: str  # YYYY-MM-DD
    attendees: tuple[str, ...] = ()
    agenda: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    records: str | None = None
    proposals: tuple[int, ...] = ()  # proposals whose results are recorded as decisions

    def to_json(self) -> dict[str, Any]:
        return {
            "meeting_date": self.meeting_date,
            "attendees": list(self.attendees),
            "agenda": list(self.agenda),
            "decisions": list(self.decisions),
            "actions": [{"task": a.task, "owner": a.owner, "due": a.due} for a in self.actions],
            "records": self.records,
            "proposals": list(self.proposals),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MinutesFields:
        return cls(
            meeting_date=data["meeting_date"],
            attendees=tuple(data.get("attendees") or ()),
            agenda=tuple(data.get("agenda") or ()),
            decisions=tuple(data.get("decisions") or ()),
            actions=tuple(Action(**a) for a in data.get("actions") or ()),
            records=data.get("records"),
            proposals=tuple(data.get("proposals") or ()),
        )


def minutes_html(post: Post, hub_uri: str, words: Words = ENGLISH) -> str:
    f = MinutesFields.from_json(post.fields)
    meeting = words("Meeting of %(date)s", date=f.meeting_date)
    parts = [f"<p><strong>{escape(meeting)}</strong></p>"]
    if f.attendees:
        attendees = words("Attendees: %(names)s", names=", ".join(f.attendees))
        parts.append(f"<p>{escape(attendees)}</p>")
    for heading, items in ((words("Agenda"), f.agenda), (words("Decisions"), f.decisions)):
        if items:
            parts.append(f"<p><strong>{escape(heading)}</strong></p>" + list_html(list(items)))
    if f.actions:
        lines = []
        for a in f.actions:
            who = f" — {a.owner}" if a.owner else ""
            due = words(", due %(date)s", date=a.due) if a.due else ""
            lines.append(f"{a.task}{who}{due}")
        heading = escape(words("Action items"))
        parts.append(f"<p><strong>{heading}</strong></p>" + list_html(lines))
    if f.records:
        records = escape(words.gettext("Records: %(link)s")) % {"link": link_html(f.records)}
        parts.append(f"<p>{records}</p>")
    parts.append(post.content_html)
    href = escape(f"{hub_uri}#minutes")
    parts.append(
        f'<p><a href="{href}" class="mention hashtag" rel="tag">#<span>minutes</span></a></p>'
    )
    return "".join(parts)


class Minutes(PostKind):
    name = KindName("minutes")
    label = "Minutes"  # translated where it is shown
    example = "\n".join(["---", "meeting_date: 2026-12-01", "decisions:", "  - ", "actions:",
                         "  - {task: , owner: , due: }", "---", "Notes."])  # fmt: skip
    hub_section = "minutes"
    position = 1
    fields_type = MinutesFields
    form = (
        FormField("meeting_date", "Date of the meeting", "date", required=True),
        FormField("attendees", "Who came", "list"),
        FormField("agenda", "Agenda", "list"),
        FormField("decisions", "Decisions", "list"),
        FormField("actions", "Action items", "actions"),
        FormField("records", "Link to the records", "url"),
        FormField("proposals", "Proposals decided (post numbers)", "list", rows=1,
                  help="Their results are added as decisions"),
    )  # fmt: skip
    in_feed = True
    feed_categories = ("minutes",)

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        meeting_date = read.date(meta, "meeting_date", required=True)
        assert meeting_date is not None
        fields = MinutesFields(
            meeting_date=meeting_date,
            attendees=tuple(read.text_list(meta, "attendees")),
            agenda=tuple(read.text_list(meta, "agenda")),
            decisions=tuple(read.text_list(meta, "decisions")),
            actions=tuple(Action(str(a["task"]), a["owner"], a["due"]) for a in read.actions(meta)),
            records=read.url(meta, "records"),
            proposals=tuple(read.post_ids(meta, "proposals")),
        )
        return Parsed(fields)

    def default_title(self, fields: dict[str, Any]) -> str | None:
        return f"Minutes of {MinutesFields.from_json(fields).meeting_date}"

    def untitled(self, post: Post) -> str | None:
        """Minutes stored before they were given a title by default."""
        return f"Minutes of the meeting of {MinutesFields.from_json(post.fields).meeting_date}"

    async def prepare(self, svc: Services, hub: LocalActor, draft: PostDraft) -> PostDraft:
        """Minutes that name proposals (`proposals: [12]`) record each one's result as a
        decision."""
        lines = []
        for post_id in MinutesFields.from_json(draft.fields).proposals:
            proposal = await posts.get_post(svc.db, hub.id, post_id)
            if proposal is None or proposal.kind != "proposal" or proposal.deleted_at:
                raise BadRequest(
                    "proposals: post %(post)s is not a proposal of this hub", post=post_id
                )
            tally = await current_tally(svc.db, proposal)
            closed = proposal.closed_at is not None
            outcome = question_fields(proposal).outcome
            words = words_for(draft.fields.get("language") or hub.language)
            result = result_text(
                display_title(proposal, svc.kinds.of(proposal)),
                tally,
                closed=closed,
                outcome=outcome,
                words=words,
            )
            lines.append(words("Proposal %(result)s", result=result))
        if not lines:
            return draft
        decisions = [*MinutesFields.from_json(draft.fields).decisions, *lines]
        return replace(draft, fields={**draft.fields, "decisions": decisions})

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        obj["content"] = minutes_html(post, hub_uri, words)
        obj["tag"] = [{"type": "Hashtag", "name": "#minutes", "href": f"{hub_uri}#minutes"}]
        meeting_date = MinutesFields.from_json(post.fields).meeting_date
        obj["summary"] = words("Minutes of the meeting of %(date)s", date=meeting_date)


KIND = Minutes()
