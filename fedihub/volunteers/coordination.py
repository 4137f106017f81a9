"""What an effort's coordinators do besides dispatch: leads grant and revoke roles and open or
close sign-up; dispatchers list, search, read and export the volunteers; and every volunteer is
deleted once the consent they gave has run out. Called alike by the coordinators' pages
(web/volunteers_admin.py), the command line (volunteers/cli.py) and the scheduler.

Every read of personal data writes its audit entry (roles_store.record) before the data is
handed back: a page that fails to render after that was still a look, and is counted as one.
The callers have checked the account's access (web/volunteer_access.py); the functions that
take an `Access` check again what it allows, so no caller can skip that by mistake. The
queries are the stores' (store.py, assignments_store.py, roles_store.py)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from fedihub.accounts import store as accounts
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, Forbidden, NotFound
from fedihub.services import Services
from fedihub.volunteers import assignments_store, roles_store, shifts, sites_store, store
from fedihub.volunteers import mail as volunteer_mail
from fedihub.volunteers.access import Access
from fedihub.volunteers.export import Translate, csv_text
from fedihub.volunteers.model import (
    DAYS,
    PARTS,
    SKILL_KEYS,
    Effort,
    Site,
    Volunteer,
    area_key,
    skill_bits,
    slot,
)

PAGE = 50  # volunteers on a page of the list
MAX_INTRO = 2000  # characters of the sign-up page's introduction
MAX_SEARCH = 100  # characters of a name or a place to look for
# Volunteers deleted per transaction when their consent runs out: a burst of sign-ups runs out
# all at once, and one transaction for all of them would hold the writer for seconds.
EXPIRE_BATCH = 5000
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
CONTROL = re.compile("[\x00-\x1f\x7f]")


# Roles and settings: the effort's leads


def _leads(access: Access) -> None:
    if not access.leads:
        raise Forbidden("only the hub's organisers may change who coordinates its volunteers")


async def grant(
    svc: Services, access: Access, username: str, role: str, site_id: int | None
) -> bool:
    """Gives a local account a role in the effort (False: they held it already). A site's
    coordinator is named for one of the effort's sites."""
    _leads(access)
    hub = access.hub
    account = await accounts.get_account(svc.db, username.strip().lower().removeprefix("@"))
    if account is None:
        raise BadRequest("no account named %(name)r", name=username.strip()[:60])
    if role not in roles_store.GRANTED:
        raise BadRequest("role: a dispatcher or a site's coordinator")
    if role == "site" and (
        site_id is None or await sites_store.site(svc.db, hub.id, site_id) is None
    ):
        raise BadRequest("site: a site's coordinator needs one of this effort's sites")
    site_id = site_id if role == "site" else None
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        person = account.actor.id
        granted = await roles_store.grant(tx, hub.id, person, role, site_id, access.person_id, now)
        if granted:
            detail = f"{role} {account.actor.username}" + (f" site {site_id}" if site_id else "")
            await roles_store.record(tx, hub.id, access.person_id, "grant", now, None, detail)
    return granted


async def revoke(svc: Services, access: Access, grant_id: int) -> roles_store.Grant:
    _leads(access)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        taken = await roles_store.revoke(tx, access.hub.id, grant_id)
        if taken is None:
            raise NotFound("this effort has no such role")
        site = f" site {taken.site_id}" if taken.site_id else ""
        await roles_store.record(tx, access.hub.id, access.person_id, "revoke", now, None,
                                 f"{taken.role} {taken.username}{site}")  # fmt: skip
    return taken


async def save_settings(svc: Services, access: Access, signup_open: bool, intro: str) -> Effort:
    """Opens or closes sign-up and sets what the sign-up page says first."""
    _leads(access)
    intro = intro.replace("\r\n", "\n").strip()
    if len(intro) > MAX_INTRO:
        raise BadRequest("intro: at most %(max)s characters", max=MAX_INTRO)
    effort = Effort(access.hub.id, signup_open, intro)
    async with svc.db.transaction() as tx:
        await store.save_effort(tx, effort, svc.clock.now())
    return effort


# The volunteers, for those who dispatch


def _dispatches(access: Access) -> None:
    if not access.dispatches:
        raise Forbidden("only the effort's dispatchers and organisers see its volunteers")


@dataclass(frozen=True)
class Search:
    """What the list of volunteers is narrowed to; empty: everyone."""

    text: str = ""  # part of a name or an e-mail address
    area: str = ""
    skill: str = ""  # a key of SKILLS
    language: str = ""  # a language tag
    day: str = ""  # a key of DAYS: available some part of that day

    def pairs(self) -> list[tuple[str, str]]:
        found = [("q", self.text), ("area", self.area), ("skill", self.skill),
                 ("language", self.language), ("day", self.day)]  # fmt: skip
        return [(k, v) for k, v in found if v]

    def detail(self) -> str:
        """What the audit log says was asked for."""
        return " ".join(f"{k}={v!r}" for k, v in self.pairs()) or "all"


def read_search(text: str, area: str, skill: str, language: str, day: str) -> Search:
    """A search as typed; BadRequest for what the form does not send."""
    for name, value in (("q", text), ("area", area)):
        if CONTROL.search(value):
            raise BadRequest("%(field)s: without control characters", field=name)
        if len(value.strip()) > MAX_SEARCH:
            raise BadRequest("%(field)s: at most %(max)s characters", field=name, max=MAX_SEARCH)
    skill, language, day = skill.strip(), language.strip().lower(), day.strip()
    if skill and skill not in SKILL_KEYS:
        raise BadRequest("skill: %(skill)r is not one of the skills listed", skill=skill[:60])
    if language and not LANGUAGE_TAG.fullmatch(language):
        raise BadRequest("language: a language tag, like es or pt-br")
    if day and day not in {key for key, _ in DAYS}:
        raise BadRequest("day: one of the days of the week")
    return Search(" ".join(text.split()), " ".join(area.split()), skill, language, day)


def _day_bits(day: str) -> int:
    d = next(n for n, (key, _) in enumerate(DAYS) if key == day)
    return sum(slot(d, p) for p in range(len(PARTS)))


@dataclass(frozen=True)
class Listing:
    volunteers: list[Volunteer]
    more: int | None  # `before` for the next page


async def people(
    svc: Services, access: Access, search: Search, before: int | None = None
) -> Listing:
    """A page of the effort's volunteers that match, the latest to sign up first (`before`: the
    id of the last one on the page before); one audit entry for the page."""
    _dispatches(access)
    rows = await store.matching(
        svc.db, access.hub.id, text=search.text, area=area_key(search.area),
        skills=skill_bits([search.skill]) if search.skill else 0, language=search.language,
        availability=_day_bits(search.day) if search.day else 0, before=before, limit=PAGE + 1,
    )  # fmt: skip
    found = rows[:PAGE]
    page = f" before={before}" if before is not None else ""
    await roles_store.record(svc.db, access.hub.id, access.person_id, "list", svc.clock.now(),
                             None, search.detail() + page)  # fmt: skip
    return Listing(found, found[-1].id if len(rows) > PAGE else None)


async def volunteer(
    svc: Services, access: Access, volunteer_id: int
) -> tuple[Volunteer, list[assignments_store.AskedTo]]:
    """One of the effort's volunteers and the shifts they were asked to (latest first); the
    same NotFound for another effort's volunteer as for none."""
    _dispatches(access)
    found = await store.volunteer(svc.db, access.hub.id, volunteer_id)
    if found is None:
        raise NotFound("this effort has no such volunteer")
    asked = await assignments_store.asked_to(svc.db, access.hub.id, found.id)
    await roles_store.record(svc.db, access.hub.id, access.person_id, "view", svc.clock.now(),
                             found.id)  # fmt: skip
    return found, asked


async def export(
    svc: Services, hub: LocalActor, person_id: int | None, words: Translate | None = None
) -> str:
    """Every volunteer of the effort as CSV (export.py), audited with the number of rows;
    `person_id` None: the command line. Skills, availability and transport in `words`."""
    rows = await store.every_volunteer(svc.db, hub.id)
    text = csv_text(rows, *(() if words is None else (words,)))
    await roles_store.record(svc.db, hub.id, person_id, "export", svc.clock.now(), None,
                             f"{len(rows)} rows")  # fmt: skip
    return text


# The coordinators' home


@dataclass(frozen=True)
class Overview:
    """Counts only: what the coordinators' home shows."""

    volunteers: int | None  # None for a site's coordinator: not theirs to know
    shifts: int  # coming shifts (of their sites, for a site's coordinator)
    open_places: int
    sites: list[Site]  # a site coordinator's own sites; every site for the others


async def overview(svc: Services, access: Access) -> Overview:
    hub_id, now = access.hub.id, svc.clock.now()
    every_site = await sites_store.sites(svc.db, hub_id)
    if access.dispatches:
        coming = await sites_store.coming_shifts(svc.db, hub_id, now)
        mine = every_site
    else:
        mine = [s for s in every_site if s.id in access.site_ids]
        coming = [
            shift
            for s in mine
            for shift in await sites_store.coming_shifts(svc.db, hub_id, now, s.id)
        ]
    places = await sites_store.places(svc.db, coming)
    volunteers = await store.count(svc.db, hub_id) if access.dispatches else None
    return Overview(volunteers, len(coming), sum(p.open for p in places.values()), mine)


# Deletion once the consent has run out


async def expire(svc: Services, now: float) -> int:
    """Deletes every volunteer whose consent ran out by `now` (their assignments go with them),
    writing for each effort one audit entry with how many (never who); the shifts they were
    coming to send their new counts. Returns how many were deleted."""
    # The scheduler asks at every pass: one indexed read (no write lock) when none are due.
    if not await store.any_expired(svc.db, now):
        return 0
    total = 0
    while True:
        async with svc.db.transaction() as tx:
            due = await store.expired(tx, now, EXPIRE_BATCH)
            if not due:
                return total
            ids = [volunteer_id for volunteer_id, _ in due]
            # Read before the deletion takes their assignments with it.
            changed = await store.shifts_coming_to(tx, ids, now)
            await volunteer_mail.forget_volunteers(tx, ids)
            await store.delete_volunteers(tx, ids)
            for hub_id, count in sorted(Counter(hub_id for _, hub_id in due).items()):
                await roles_store.record(tx, hub_id, None, "expire", now, None,
                                         f"{count} volunteers")  # fmt: skip
            for shift_id in changed:
                await shifts.places_changed(tx, svc, shift_id)
        total += len(due)
        if len(due) < EXPIRE_BATCH:
            return total
