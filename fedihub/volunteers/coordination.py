"""What an effort's coordinators do besides dispatch: leads grant and revoke roles and open or
close sign-up; dispatchers list, search, read and export the volunteers; and every volunteer is
deleted once the consent they gave has run out. Called alike by the coordinators' pages
(web/volunteers_admin.py), the command line (volunteers/cli.py) and the scheduler.

Every read of personal data writes its audit entry (access.record) before the data is handed
back: a page that fails to render after that was still a look, and is counted as one. The
callers have checked the account's access (web/volunteer_access.py); the functions that take an
`Access` check again what it allows, so no caller can skip that by mistake."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import cast

from fedihub.accounts import store as accounts
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, Forbidden, NotFound
from fedihub.services import Services
from fedihub.volunteers import roles_store, shifts, sites_store, store
from fedihub.volunteers.access import Access
from fedihub.volunteers.export import Translate, csv_text
from fedihub.volunteers.model import (
    COMING,
    DAYS,
    PARTS,
    SKILL_KEYS,
    AssignmentState,
    Effort,
    ShiftState,
    Site,
    Volunteer,
    area_key,
    skill_bits,
    slot,
)
from fedihub.volunteers.store import VOLUNTEER_COLUMNS, volunteer_of

PAGE = 50  # volunteers on a page of the list
MAX_INTRO = 2000  # characters of the sign-up page's introduction
MAX_SEARCH = 100  # characters of a name or a place to look for
# Volunteers deleted per transaction when their consent runs out: a burst of sign-ups runs out
# all at once, and one transaction for all of them would hold the writer for seconds.
EXPIRE_BATCH = 5000
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
CONTROL = re.compile("[\x00-\x1f\x7f]")


def _like(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def _where(hub_id: int, search: Search) -> tuple[str, list[object]]:
    where, params = ["hub_id = ?"], list[object]([hub_id])
    if search.text:
        pattern = f"%{_like(search.text.lower())}%"
        where.append("(lower(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    if search.area and (key := area_key(search.area)):
        where.append("area_key LIKE ? ESCAPE '\\'")
        params.append(f"%{_like(key)}%")
    if search.skill:
        where.append("(skills & ?) <> 0")
        params.append(skill_bits([search.skill]))
    if search.language:
        where.append("languages LIKE ? ESCAPE '\\'")
        params.append(f"% {_like(search.language)} %")
    if search.day:
        where.append("(availability & ?) <> 0")
        params.append(_day_bits(search.day))
    return " AND ".join(where), params


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
    where, params = _where(access.hub.id, search)
    if before is not None:
        where += " AND id < ?"
        params.append(before)
    rows = await svc.db.fetchall(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE {where} ORDER BY id DESC LIMIT ?",
        (*params, PAGE + 1),
    )
    found = [volunteer_of(r) for r in rows[:PAGE]]
    page = f" before={before}" if before is not None else ""
    await roles_store.record(svc.db, access.hub.id, access.person_id, "list", svc.clock.now(),
                             None, search.detail() + page)  # fmt: skip
    return Listing(found, found[-1].id if len(rows) > PAGE else None)


@dataclass(frozen=True)
class Asked:
    """A volunteer's assignment as their page lists it."""

    shift_id: int
    state: AssignmentState
    site: str
    starts_at: float
    ends_at: float
    shift_state: ShiftState


async def volunteer(
    svc: Services, access: Access, volunteer_id: int
) -> tuple[Volunteer, list[Asked]]:
    """One of the effort's volunteers and the shifts they were asked to (latest first); the
    same NotFound for another effort's volunteer as for none."""
    _dispatches(access)
    found = await store.volunteer(svc.db, access.hub.id, volunteer_id)
    if found is None:
        raise NotFound("this effort has no such volunteer")
    rows = await svc.db.fetchall(
        "SELECT a.shift_id, a.state, t.name, s.starts_at, s.ends_at, s.state AS shift_state"
        " FROM volunteer_assignments a JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        " JOIN volunteer_sites t ON t.id = s.site_id"
        " WHERE a.volunteer_id = ? AND s.hub_id = ? ORDER BY s.starts_at DESC LIMIT 100",
        (found.id, access.hub.id),
    )
    asked = [Asked(r["shift_id"], cast(AssignmentState, r["state"]), r["name"], r["starts_at"],
                   r["ends_at"], cast(ShiftState, r["shift_state"])) for r in rows]  # fmt: skip
    await roles_store.record(svc.db, access.hub.id, access.person_id, "view", svc.clock.now(),
                             found.id)  # fmt: skip
    return found, asked


async def export(
    svc: Services, hub: LocalActor, person_id: int | None, words: Translate | None = None
) -> str:
    """Every volunteer of the effort as CSV (export.py), audited with the number of rows;
    `person_id` None: the command line. Skills, availability and transport in `words`."""
    rows = await svc.db.fetchall(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE hub_id = ? ORDER BY id", (hub.id,)
    )
    text = csv_text((volunteer_of(r) for r in rows), *(() if words is None else (words,)))
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
    due = "SELECT 1 FROM volunteers WHERE consent_until <= ? LIMIT 1"
    if await svc.db.fetchone(due, (now,)) is None:
        return 0
    total = 0
    while True:
        async with svc.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT id, hub_id FROM volunteers WHERE consent_until <= ?"
                " ORDER BY consent_until, id LIMIT ?",
                (now, EXPIRE_BATCH),
            )
            if not rows:
                return total
            ids = [int(r["id"]) for r in rows]
            marks = ", ".join("?" for _ in ids)
            coming = ", ".join(f"'{state}'" for state in COMING)
            changed = await tx.fetchall(
                "SELECT DISTINCT a.shift_id FROM volunteer_assignments a JOIN volunteer_shifts s"
                f" ON s.post_id = a.shift_id WHERE a.volunteer_id IN ({marks})"
                f" AND a.state IN ({coming}) AND s.ends_at > ?",
                (*ids, now),
            )
            await tx.execute(f"DELETE FROM volunteers WHERE id IN ({marks})", ids)
            for hub_id, count in sorted(Counter(int(r["hub_id"]) for r in rows).items()):
                await roles_store.record(tx, hub_id, None, "expire", now, None,
                                         f"{count} volunteers")  # fmt: skip
            for r in changed:
                await shifts.places_changed(tx, svc, int(r["shift_id"]))
        total += len(rows)
        if len(rows) < EXPIRE_BATCH:
            return total
