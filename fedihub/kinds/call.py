"""A conference call: a dial-in or a video link, a facilitator, an agenda, and an optional
schedule (an RRULE). The series is an Article with its rule; each occurrence coming up within
the lead time becomes a dated post of its own, an Event people join (fedihub/events/calls.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest
from fedihub.events.calls import federate_occurrences, follow_series
from fedihub.events.kind import ScheduledKind
from fedihub.events.render import scheduled_html, series_line
from fedihub.events.schedule import parse_rule
from fedihub.outbox.recipients import Target
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import STATUS_CHOICES, FormField
from fedihub.posts.kind import KindName, Parsed
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.words import Words


@dataclass(frozen=True)
class CallFields:
    """A series' fields; an occurrence keeps none of its own and borrows its series'."""

    timezone: str
    schedule: str | None = None  # an iCalendar RRULE
    dial_in: str | None = None
    access_code: str | None = None
    online_url: str | None = None
    facilitator: str | None = None
    agenda: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "schedule": self.schedule,
            "dial_in": self.dial_in,
            "access_code": self.access_code,
            "online_url": self.online_url,
            "facilitator": self.facilitator,
            "agenda": list(self.agenda),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallFields:
        return cls(
            timezone=data.get("timezone") or "UTC",
            schedule=data.get("schedule"),
            dial_in=data.get("dial_in"),
            access_code=data.get("access_code"),
            online_url=data.get("online_url"),
            facilitator=data.get("facilitator"),
            agenda=tuple(data.get("agenda") or ()),
        )


class Call(ScheduledKind):
    name = KindName("call")
    label = "Call"  # translated where it is shown
    example = "\n".join(["---", "title: Weekly call", "start: 2026-12-07 20:00",
                         "end: 2026-12-07 21:00", "schedule: FREQ=WEEKLY", "dial_in: ", "---",
                         "Agenda."])  # fmt: skip
    hub_section = "calls"
    position = 3
    fields_type = CallFields
    form = (
        FormField("start", "Starts", "datetime", required=True,
                  help="The first call, if it repeats"),
        FormField("end", "Ends", "datetime", required=True),
        FormField("timezone", "Time zone", "timezone"),
        FormField("schedule", "Repeats", "recurrence"),
        FormField("dial_in", "Phone number to dial in"),
        FormField("access_code", "Access code"),
        FormField("online_url", "Video link", "url"),
        FormField("facilitator", "Facilitator"),
        FormField("agenda", "Agenda", "list"),
        FormField("status", "Status", "select", choices=STATUS_CHOICES),
    )  # fmt: skip
    title_required = True
    has_occurrences = True

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        start, end = read.times(meta, zone)
        schedule = read.text(meta, "schedule")
        if schedule is not None:
            rule = parse_rule(schedule, start)  # refuses a malformed or too-frequent rule now
            # parse_rule looks two years ahead without the rule's own end: one ending (UNTIL)
            # before the first call has no call at all, and was published as "Repeats weekly".
            if rule.after(start, inc=True) is None:
                raise BadRequest("schedule: the series ends before its first call")
        fields = CallFields(
            timezone=zone.key,
            schedule=schedule,
            dial_in=read.text(meta, "dial_in"),
            access_code=read.text(meta, "access_code"),
            online_url=read.url(meta, "online_url"),
            facilitator=read.text(meta, "facilitator"),
            agenda=tuple(read.text_list(meta, "agenda")),
        )
        if not (fields.dial_in or fields.online_url):
            raise BadRequest("a call needs dial_in (a phone number) or online_url (a video link)")
        return Parsed(fields, start.timestamp(), end.timestamp(), read.status(meta))

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        if post.is_occurrence:
            super().render(obj, post, hub_uri, series, loaded, words)
            return
        obj["content"] = scheduled_html(post, None, words)
        obj["summary"] = series_line(post, words)

    async def after_publish(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        """The first occurrences, within the lead time."""
        await federate_occurrences(tx, svc, hub, post, targets, now)

    async def after_edit(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        """Occurrences follow the edited series; new ones its new schedule brings are made."""
        await follow_series(tx, svc, hub, post, now)
        await federate_occurrences(tx, svc, hub, post, targets, now)


KIND = Call()
