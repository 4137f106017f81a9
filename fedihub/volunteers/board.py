"""The dispatch board's reads: whom to propose for a shift, and why; who is asked already.

Proposals are filtered and ranked in one query, portable to SQLite and PostgreSQL (bits tested
with `&`, scores with CASE WHEN, a language with `LIKE '% es %'`), so the board stays quick with
50,000 volunteers (bench/volunteer_board.py measures it). Who is proposed for a shift:

- a volunteer of THIS effort whose consent runs until the shift starts at least (one whose
  consent ends sooner would be deleted before the shift: they are not asked);
- free at some of the shift's times: their availability overlaps the shift's slots (a shift
  with no slots, or a volunteer who gave none, is not held against them: they are asked);
  those free for all of it come before those free for part of it;
- not coming to it already (invited, confirmed, checked in), and not one who declined it
  (asking again someone who said no is nagging; a cancelled invitation may be asked again);
- not coming to another open shift of the effort at an overlapping time.

Ranked by: has one of the shift's skills (when it asks any), lives in the site's area, speaks
one of the shift's languages (when it names any), free for the whole shift, has transport;
then whoever has the fewest confirmed shifts (the load spread), then who signed up first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from fedihub.db import Database, Row, Transaction
from fedihub.volunteers.model import (
    COMING,
    SKILL_KEYS,
    AssignmentState,
    Shift,
    Site,
    Transport,
    area_key,
    languages_of,
    skills_of,
)

Reader = Database | Transaction
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_COMING = ", ".join(f"'{s}'" for s in COMING)
_CONFIRMED = "'confirmed', 'checked_in'"


@dataclass(frozen=True)
class Wanted:
    """The board's own filters, on top of the shift's: a skill key, an area, a language code
    (each empty: any)."""

    skill: str = ""
    area: str = ""
    language: str = ""

    @property
    def any(self) -> bool:
        return bool(self.skill or self.area or self.language)


@dataclass(frozen=True)
class Proposal:
    """A volunteer the board proposes, and why: what the board shows beside their name."""

    volunteer_id: int
    name: str
    area: str
    skills: tuple[str, ...]  # of the shift's skills, those they have
    same_area: bool
    languages: tuple[str, ...]  # of the shift's languages, those they speak
    transport: Transport
    full_cover: bool  # free for every part of the shift, not only some
    confirmed: int  # shifts they have confirmed (or come to) in this effort
    handle: str | None


@dataclass(frozen=True)
class Assigned:
    """Someone asked to come to a shift, as the board and the site's list show them."""

    assignment_id: int
    volunteer_id: int
    name: str
    phone: str | None
    email: str | None
    handle: str | None
    state: AssignmentState
    handle_unreached: bool  # their fediverse handle could not be found when they were asked
    assigned_at: float
    answered_at: float | None
    checked_in_at: float | None


def _codes(codes: tuple[str, ...]) -> list[str]:
    """Language codes safe between the spaces of a LIKE pattern (no % or _ in them)."""
    return [c for c in codes if LANGUAGE_CODE.match(c)]


def _any_language(column: str, codes: list[str]) -> tuple[str, list[object]]:
    """`column` names one of `codes`: SQL and its parameters; FALSE when there are none."""
    if not codes:
        return "1 = 0", []
    return "(" + " OR ".join(f"{column} LIKE ?" for _ in codes) + ")", [f"% {c} %" for c in codes]


async def proposals(
    db: Reader, hub_id: int, shift: Shift, site: Site, limit: int = 50,
    now: float | None = None, wanted: Wanted | None = None,
) -> list[Proposal]:  # fmt: skip
    """Whom to propose for `shift` at `site`, best first (see the module's words). Consent is
    checked against the shift's start, or `now` if that is later."""
    if shift.hub_id != hub_id or site.hub_id != hub_id:
        return []  # another effort's shift is never proposed this effort's people, nor back
    wanted = wanted or Wanted()
    langs = _codes(shift.languages)
    speaks, speaks_params = _any_language("v.languages", langs)
    site_key = area_key(site.area)
    where: list[str] = []
    params: list[object] = []
    if wanted.skill in SKILL_KEYS:
        where.append("(v.skills & ?) <> 0")
        params.append(1 << SKILL_KEYS.index(wanted.skill))
    if area_key(wanted.area):
        where.append("v.area_key = ?")
        params.append(area_key(wanted.area))
    if wanted.language:
        clause, more = _any_language("v.languages", _codes((wanted.language.lower(),)))
        where.append(clause)
        params += more
    filters = "".join(f" AND {w}" for w in where)
    rows = await db.fetchall(
        "SELECT v.id, v.name, v.area, v.skills, v.languages, v.transport, v.handle,"
        " CASE WHEN ? = 0 THEN 0 WHEN (v.skills & ?) <> 0 THEN 1 ELSE 0 END AS has_skill,"
        " CASE WHEN ? <> '' AND v.area_key = ? THEN 1 ELSE 0 END AS same_area,"
        f" CASE WHEN {speaks} THEN 1 ELSE 0 END AS speaks,"
        " CASE WHEN (v.availability & ?) = ? THEN 1 ELSE 0 END AS full_cover,"
        " CASE WHEN v.transport <> 'none' THEN 1 ELSE 0 END AS moves,"
        " coalesce(load.n, 0) AS confirmed"
        " FROM volunteers v"
        " LEFT JOIN (SELECT a.volunteer_id, count(*) AS n FROM volunteer_assignments a"
        "   JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        f"  WHERE s.hub_id = ? AND a.state IN ({_CONFIRMED}) GROUP BY a.volunteer_id) load"
        "   ON load.volunteer_id = v.id"
        " WHERE v.hub_id = ? AND v.consent_until > ?"
        "   AND (? = 0 OR v.availability = 0 OR (v.availability & ?) <> 0)"
        "   AND v.id NOT IN (SELECT a.volunteer_id FROM volunteer_assignments a"
        "     JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        "     WHERE s.hub_id = ? AND ("
        "       (s.post_id = ? AND a.state IN ('invited', 'confirmed', 'checked_in', 'declined'))"
        f"      OR (s.state = 'open' AND a.state IN ({_COMING})"
        "         AND s.starts_at < ? AND s.ends_at > ?)))"
        f" {filters}"
        " ORDER BY has_skill DESC, same_area DESC, speaks DESC, full_cover DESC, moves DESC,"
        " confirmed, v.id LIMIT ?",
        [
            shift.skills, shift.skills, site_key, site_key, *speaks_params, shift.slots,
            shift.slots, hub_id, hub_id, max(shift.starts_at, now or 0.0),
            shift.slots, shift.slots, hub_id, shift.post_id, shift.ends_at, shift.starts_at,
            *params, limit,
        ],
    )  # fmt: skip
    return [_proposal(r, shift, langs) for r in rows]


def _proposal(row: Row, shift: Shift, langs: list[str]) -> Proposal:
    spoken = languages_of(row["languages"])
    return Proposal(
        volunteer_id=row["id"], name=row["name"], area=row["area"],
        skills=skills_of(int(row["skills"]) & shift.skills),
        same_area=bool(row["same_area"]), languages=tuple(c for c in langs if c in spoken),
        transport=cast(Transport, row["transport"]), full_cover=bool(row["full_cover"]),
        confirmed=int(row["confirmed"]), handle=row["handle"],
    )  # fmt: skip


async def assigned(db: Reader, hub_id: int, shift_id: int) -> list[Assigned]:
    """Everyone asked to come to one of this effort's shifts, whatever they answered: those
    coming first (checked in, confirmed, invited), then those who will not, by name."""
    rows = await db.fetchall(
        "SELECT a.id, a.volunteer_id, v.name, v.phone, v.email, v.handle, a.state,"
        " a.handle_unreached, a.assigned_at, a.answered_at, a.checked_in_at"
        " FROM volunteer_assignments a JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        " JOIN volunteers v ON v.id = a.volunteer_id"
        " WHERE s.hub_id = ? AND a.shift_id = ? AND v.hub_id = ?"
        " ORDER BY CASE a.state WHEN 'checked_in' THEN 0 WHEN 'confirmed' THEN 1"
        " WHEN 'invited' THEN 2 WHEN 'declined' THEN 3 ELSE 4 END, v.name, a.id",
        (hub_id, shift_id, hub_id),
    )
    return [_assigned(r) for r in rows]


async def coming_to_site(
    db: Reader, hub_id: int, site_id: int, now: float
) -> dict[int, list[Assigned]]:
    """Who is coming to each open, not yet ended shift of one site: shift id → people."""
    rows = await db.fetchall(
        "SELECT a.shift_id, a.id, a.volunteer_id, v.name, v.phone, v.email, v.handle, a.state,"
        " a.handle_unreached, a.assigned_at, a.answered_at, a.checked_in_at"
        " FROM volunteer_assignments a JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        " JOIN volunteers v ON v.id = a.volunteer_id"
        " WHERE s.hub_id = ? AND s.site_id = ? AND s.state = 'open' AND s.ends_at > ?"
        f" AND v.hub_id = ? AND a.state IN ({_COMING})"
        " ORDER BY s.starts_at, a.shift_id, v.name, a.id",
        (hub_id, site_id, now, hub_id),
    )
    found: dict[int, list[Assigned]] = {}
    for r in rows:
        found.setdefault(int(r["shift_id"]), []).append(_assigned(r))
    return found


def _assigned(r: Row) -> Assigned:
    return Assigned(
        assignment_id=r["id"], volunteer_id=r["volunteer_id"], name=r["name"], phone=r["phone"],
        email=r["email"], handle=r["handle"], state=cast(AssignmentState, r["state"]),
        handle_unreached=bool(r["handle_unreached"]), assigned_at=r["assigned_at"],
        answered_at=r["answered_at"], checked_in_at=r["checked_in_at"],
    )  # fmt: skip


async def titles(db: Reader, hub_id: int, shift_ids: list[int]) -> dict[int, str]:
    """The titles of this effort's shifts' posts (what the board calls them)."""
    if not shift_ids:
        return {}
    marks = ", ".join("?" for _ in shift_ids)
    rows = await db.fetchall(
        f"SELECT p.id, p.title FROM posts p WHERE p.actor_id = ? AND p.id IN ({marks})",
        (hub_id, *shift_ids),
    )
    return {int(r["id"]): r["title"] or "" for r in rows}
