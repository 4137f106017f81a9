"""A volunteer shift: a time at one of the hub's sites, how many people it needs and which
skills. A hub post like any other, and volunteer_shifts' row follows it (the dispatch board reads
that); federated as an Event whose places are counts, never names, joined on the hub's sign-up
page rather than by a Join (Mobilizon's `joinMode: external`).

It is not `dated`: a Join from Mastodon or Mobilizon is refused as for an update, because
taking part means signing up with a contact coordinators can reach, not following a post. Nor is
it listed on the hub's page (`hub_section` None): a relief effort may post hundreds of shifts,
which have their own page, /hubs/SLUG/shifts, grouped by day and site.

Mobilizon (lib/federation/activity_stream/converter/event.ex, `as_to_model_data`) reads
`joinMode` (its JoinOptions include :external), `externalParticipationUrl` and
`maximumAttendeeCapacity` from a remote Event; `remainingAttendeeCapacity` and
`participantCount` it writes for its own events (`model_to_as`) and others read, so all five are
here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from fedihub.actors.model import LocalActor
from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest
from fedihub.events.render import EVENT_STATUS, ICAL_STATUS, local_time, when_line
from fedihub.outbox.recipients import Target
from fedihub.posts import fieldreaders as read
from fedihub.posts.formfields import FormField
from fedihub.posts.kind import KindName, Parsed, PostDraft, PostKind
from fedihub.posts.render import link_html
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.volunteers import sites_store
from fedihub.volunteers.model import (
    SKILL_KEYS,
    SKILLS,
    Places,
    Shift,
    ShiftState,
    shift_slots,
    skill_bits,
)
from fedihub.words import Words

MAX_HOURS = 24
MAX_NEEDED = 1000
SKILL_LABELS = dict(SKILLS)


@dataclass(frozen=True)
class ShiftFields:
    site: str  # the name of one of the hub's sites, as written
    timezone: str
    needed: int
    skills: tuple[str, ...] = ()  # keys of model.SKILLS: any of them will do
    languages: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "timezone": self.timezone, "needed": self.needed,
                "skills": list(self.skills), "languages": list(self.languages)}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShiftFields:
        return cls(
            site=data.get("site") or "", timezone=data.get("timezone") or "UTC",
            needed=int(data.get("needed") or 1), skills=tuple(data.get("skills") or ()),
            languages=tuple(data.get("languages") or ()),
        )  # fmt: skip


@dataclass(frozen=True)
class Shown:
    """What a shift's Event and page show besides its post: the site's public parts (never its
    address) and the places as counts."""

    site: str
    area: str
    places: Places
    state: ShiftState = "open"


def read_site(meta: dict[str, Any]) -> str:
    """The site's name as typed; which sites exist is checked in `prepare`, which sees the hub."""
    name = " ".join((read.text(meta, "site") or "").split())
    if not name:
        raise BadRequest("site: which of the hub's sites the shift is at")
    if len(name) > sites_store.SITE_LIMITS["name"]:
        raise BadRequest("site: at most %(max)s characters", max=sites_store.SITE_LIMITS["name"])
    return name


def read_shift_times(meta: dict[str, Any], zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    for key in ("start", "end"):
        if not read.given(meta, key):
            raise BadRequest("%(field)s: required (2026-12-01 08:00)", field=key)
    start = read.parse_local_time(meta["start"], zone, "start")
    end = read.parse_local_time(meta["end"], zone, "end")
    if end <= start:
        raise BadRequest("end: the shift ends before it starts")
    if end - start > dt.timedelta(hours=MAX_HOURS):
        raise BadRequest("end: a shift may last at most %(hours)s hours: split a longer one",
                         hours=MAX_HOURS)  # fmt: skip
    return start, end


def read_needed(meta: dict[str, Any]) -> int:
    if not read.given(meta, "needed"):
        raise BadRequest("needed: how many people the shift needs (1 to %(max)s)", max=MAX_NEEDED)
    needed = read.whole_number(meta["needed"])
    if needed is None or not 1 <= needed <= MAX_NEEDED:
        raise BadRequest("needed: a whole number from 1 to %(max)s", max=MAX_NEEDED)
    return needed


def _items(meta: dict[str, Any], key: str) -> list[str]:
    """A list, or one line of items separated by commas or spaces."""
    value = meta.get(key)
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return read.text_list({key: value}, key)


def read_skills(meta: dict[str, Any]) -> tuple[str, ...]:
    skills = [s.lower() for s in _items(meta, "skills")]
    unknown = [s for s in skills if s not in SKILL_KEYS]
    if unknown:
        raise BadRequest("skills: %(skill)r is not one of %(choices)s", skill=unknown[0][:50],
                         choices=", ".join(SKILL_KEYS))  # fmt: skip
    return tuple(k for k in SKILL_KEYS if k in skills)  # the list's order, each once


def read_languages(meta: dict[str, Any]) -> tuple[str, ...]:
    codes = _items(meta, "languages")
    if len(codes) > read.MAX_LANGUAGES:
        raise BadRequest("languages: at most %(max)s", max=read.MAX_LANGUAGES)
    return tuple(dict.fromkeys(read.parse_language(c).lower() for c in codes))


def places_line(places: Places, words: Words) -> str:
    return words.plural("%(open)s of %(count)s place open", "%(open)s of %(count)s places open",
                        places.needed, open=places.open)  # fmt: skip


def shift_html(post: Post, f: ShiftFields, shown: Shown, signup_url: str, words: Words) -> str:
    """The lines a reader sees first (when, where, who is asked, the places, where to sign up),
    then what the organisers wrote."""
    assert post.starts_at is not None and post.ends_at is not None
    where = ", ".join(p for p in (shown.site, shown.area) if p)
    lines = [
        words("When: %(when)s", when=when_line(post.starts_at, post.ends_at, ZoneInfo(f.timezone),
                                               words)),
        words("Where: %(place)s", place=where),
    ]  # fmt: skip
    if f.skills:
        asked = ", ".join(words(SKILL_LABELS[s]) for s in f.skills)
        lines.append(words("Skills asked: %(skills)s", skills=asked))
    if f.languages:
        lines.append(words("Languages: %(languages)s", languages=", ".join(f.languages)))
    parts = [f"<p>{escape(line)}</p>" for line in lines]
    parts.append(f"<p><strong>{escape(places_line(shown.places, words))}</strong></p>")
    # A translated template whose parameter is HTML already (as events/render.py's _line).
    parts.append(f"<p>{escape(words.gettext('Sign up to help: %(link)s'))}</p>"
                 % {"link": link_html(signup_url)})  # fmt: skip
    return "".join(parts) + post.content_html


class ShiftKind(PostKind):
    name = KindName("shift")
    label = "Volunteer shift"  # translated where it is shown
    position = 8
    fields_type = ShiftFields
    example = "\n".join(["---", "site: ", "start: 2026-12-05 08:00", "end: 2026-12-05 14:00",
                         "needed: 6", "skills: [cleanup, heavy_lifting]", "---",
                         "What the shift is for, and what to bring."])  # fmt: skip
    form = (
        FormField("site", "Site", required=True,
                  help="One of the hub's sites (Volunteers → Sites)"),
        FormField("start", "Starts", "datetime", required=True),
        FormField("end", "Ends", "datetime", required=True),
        FormField("timezone", "Time zone", "timezone"),
        FormField("needed", "People needed", "number", required=True, min=1, default="1"),
        FormField("skills", "Skills asked (any of them)", "checkboxes", choices=SKILLS,
                  help="Leave all unticked when anyone can help"),
        FormField("languages", "Languages (optional)", help="Codes such as en, es"),
    )  # fmt: skip
    hub_section = None  # listed on /hubs/SLUG/shifts, not on the hub's page (module docstring)
    page_template = "_kind_shift.html"

    def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
        start, end = read_shift_times(meta, zone)
        fields = ShiftFields(site=read_site(meta), timezone=zone.key, needed=read_needed(meta),
                             skills=read_skills(meta), languages=read_languages(meta))  # fmt: skip
        return Parsed(fields, start.timestamp(), end.timestamp())

    def default_title(self, fields: dict[str, Any]) -> str | None:
        return str(fields.get("site") or "") or None

    async def suggestions(self, db: Database, hub: LocalActor) -> dict[str, tuple[str, ...]]:
        return {"site": tuple(s.name for s in await sites_store.sites(db, hub.id))}

    async def prepare(self, svc: Services, hub: LocalActor, draft: PostDraft) -> PostDraft:
        """The site must be one of this hub's (written as it is named there)."""
        f = ShiftFields.from_json(draft.fields)
        site = await sites_store.site_called(svc.db, hub.id, f.site)
        if site is None:
            known = [s.name for s in await sites_store.sites(svc.db, hub.id)]
            if not known:
                raise BadRequest("site: %(hub)s has no sites yet: add one under Volunteers →"
                                 " Sites first", hub=hub.username)  # fmt: skip
            raise BadRequest("site: %(site)r is not one of this hub's sites (%(sites)s)",
                             site=f.site, sites=", ".join(known))  # fmt: skip
        title = draft.title if draft.title != f.site else site.name
        return replace(draft, title=title, fields={**draft.fields, "site": site.name})

    async def load(self, db: Database | Transaction, post: Post) -> Shown:
        """Read when rendered: the places change with every assignment (counts only). The site
        by the name the post gives; by the stored row when the site was renamed since."""
        f = ShiftFields.from_json(post.fields)
        site = await sites_store.site_called(db, post.actor_id, f.site)
        stored = await sites_store.shift(db, post.actor_id, post.id)
        if site is None and stored is not None:
            site = await sites_store.site(db, post.actor_id, stored.site_id)
        return Shown(
            site=site.name if site else f.site, area=site.area if site else "",
            places=await sites_store.shift_places(db, post.id, f.needed),
            state=stored.state if stored else "open",
        )  # fmt: skip

    def render(
        self,
        obj: dict[str, Any],
        post: Post,
        hub_uri: str,
        series: Post | None,
        loaded: object,
        words: Words,
    ) -> None:
        """An Event with the site's name and area (never its address), the places as counts,
        and the hub's sign-up page as where to join."""
        assert post.starts_at is not None and post.ends_at is not None
        f = ShiftFields.from_json(post.fields)
        shown = loaded if isinstance(loaded, Shown) else Shown(f.site, "", Places(f.needed, 0, 0))
        zone = ZoneInfo(f.timezone)
        status = "cancelled" if "cancelled" in (shown.state, post.status) else "confirmed"
        signup_url = f"{hub_uri}/volunteer"
        location: dict[str, Any] = {"type": "Place", "name": shown.site}
        if shown.area:
            location["address"] = {"type": "PostalAddress", "addressLocality": shown.area}
        when = when_line(post.starts_at, post.ends_at, zone, words)
        place = ", ".join(p for p in (shown.site, shown.area) if p)
        obj.update({
            "type": "Event",
            "name": post.title or shown.site,
            "startTime": local_time(post.starts_at, zone).isoformat(),
            "endTime": local_time(post.ends_at, zone).isoformat(),
            "timezone": zone.key,
            "organizers": [hub_uri],
            "eventStatus": EVENT_STATUS[status],
            "ical:status": ICAL_STATUS[status],
            "location": location,
            "isOnline": False,
            "joinMode": "external",
            "externalParticipationUrl": signup_url,
            "maximumAttendeeCapacity": shown.places.needed,
            "remainingAttendeeCapacity": shown.places.open,
            "participantCount": shown.places.confirmed,
            "summary": " · ".join((when, place, places_line(shown.places, words))),
            "content": shift_html(post, f, shown, signup_url, words),
        })  # fmt: skip

    def former_type(self, post: Post) -> str | None:
        return "Event"

    async def _save(self, tx: Transaction, hub: LocalActor, post: Post, now: float) -> None:
        """volunteer_shifts' row as the post now says. A shift that is over may be edited
        (its text, say), but none is published, or moved, into the past; one that people are
        asked to may not move in time or place (they were told where and when: withdraw them
        on the board first), nor ask for fewer than have confirmed."""
        assert post.starts_at is not None and post.ends_at is not None
        f = ShiftFields.from_json(post.fields)
        site = await sites_store.site_called(tx, hub.id, f.site)
        if site is None:  # removed between prepare and now
            raise BadRequest("site: %(site)r is not one of this hub's sites", site=f.site)
        before = await sites_store.shift(tx, hub.id, post.id)
        times = (post.starts_at, post.ends_at)
        moved = before is None or (before.starts_at, before.ends_at) != times
        if moved and post.ends_at <= now:
            raise BadRequest("end: this shift would already be over: give a time to come")
        if before is not None:
            places = (await sites_store.places(tx, [before]))[post.id]
            if (moved or before.site_id != site.id) and places.invited + places.confirmed:
                raise BadRequest(
                    "start: %(count)s people are asked to this shift as it is: withdraw them on"
                    " the dispatch board before moving it", count=places.invited + places.confirmed,
                )  # fmt: skip
            if f.needed < places.confirmed:
                raise BadRequest("needed: %(count)s people have confirmed already: ask for at"
                                 " least that many", count=places.confirmed)  # fmt: skip
        slots = shift_slots(post.starts_at, post.ends_at, ZoneInfo(f.timezone))
        await sites_store.save_shift(tx, Shift(
            post_id=post.id, hub_id=hub.id, site_id=site.id, starts_at=post.starts_at,
            ends_at=post.ends_at, needed=f.needed, skills=skill_bits(f.skills),
            languages=f.languages, slots=slots, state="open", timezone=f.timezone,
        ), now)  # fmt: skip

    async def after_publish(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        await self._save(tx, hub, post, now)

    async def after_edit(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post,
        targets: list[Target], now: float,
    ) -> None:  # fmt: skip
        await self._save(tx, hub, post, now)

    async def after_delete(
        self, tx: Transaction, svc: Services, hub: LocalActor, post: Post, now: float
    ) -> None:
        """Its row stays for the assignments it holds; dispatch no longer offers it."""
        await sites_store.set_shift_state(tx, post.id, "cancelled", now)

    async def page(
        self, db: Database, post: Post, viewer_uri: str | None, now: float
    ) -> dict[str, Any]:
        return {"shift_over": (post.ends_at or 0) <= now}


KIND = ShiftKind()
