"""SQL for assignments (migration 0033): who is asked to which shift and what they answered,
and the dispatch board's reads over them: whom to propose for a shift (the ranking is told in
board.py, which explains each proposal), who is asked already, who is coming to a site.

A shift's places are counted from these rows (sites_store.places); the states and who may move
them are the capability's (assignments.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from fedihub.db import Database, Row, Transaction
from fedihub.volunteers.model import COMING, Assignment, AssignmentState, Shift, ShiftState

Reader = Database | Transaction
_COMING = ", ".join(f"'{s}'" for s in COMING)
_CONFIRMED = "'confirmed', 'checked_in'"
COLUMNS = "a.id, a.shift_id, a.volunteer_id, a.state, a.assigned_at, a.answered_at," \
          " a.checked_in_at"  # fmt: skip


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


@dataclass(frozen=True)
class AskedTo:
    """A shift a volunteer was asked to, as their page lists it."""

    shift_id: int
    state: AssignmentState
    site: str
    starts_at: float
    ends_at: float
    shift_state: ShiftState


def _assignment(row: Row) -> Assignment:
    return Assignment(row["id"], row["shift_id"], row["volunteer_id"],
                      cast(AssignmentState, row["state"]), row["assigned_at"],
                      row["answered_at"], row["checked_in_at"])  # fmt: skip


# Assignments


async def assignment(db: Reader, hub_id: int, assignment_id: int) -> Assignment | None:
    """One of this effort's assignments: never another's."""
    row = await db.fetchone(
        f"SELECT {COLUMNS} FROM volunteer_assignments a"
        " JOIN volunteer_shifts s ON s.post_id = a.shift_id WHERE a.id = ? AND s.hub_id = ?",
        (assignment_id, hub_id),
    )
    return None if row is None else _assignment(row)


async def hub_of(db: Reader, assignment_id: int) -> int | None:
    """The effort an assignment belongs to (for its mail, which names only the assignment)."""
    row = await db.fetchone(
        "SELECT s.hub_id FROM volunteer_assignments a"
        " JOIN volunteer_shifts s ON s.post_id = a.shift_id WHERE a.id = ?",
        (assignment_id,),
    )
    return None if row is None else int(row[0])


async def by_token(db: Reader, hub_id: int, token_hash: str) -> Assignment | None:
    row = await db.fetchone(
        f"SELECT {COLUMNS} FROM volunteer_assignments a"
        " JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        " WHERE a.token_hash = ? AND s.hub_id = ?",
        (token_hash, hub_id),
    )
    return None if row is None else _assignment(row)


async def of_shift(db: Reader, shift_id: int) -> dict[int, Assignment]:
    """A shift's assignments, by volunteer id."""
    rows = await db.fetchall(
        f"SELECT {COLUMNS} FROM volunteer_assignments a WHERE a.shift_id = ?", (shift_id,)
    )
    return {int(r["volunteer_id"]): _assignment(r) for r in rows}


async def asked_to(db: Reader, hub_id: int, volunteer_id: int) -> list[AskedTo]:
    """The shifts of this effort a volunteer was asked to, whatever they answered, the latest
    first (the last hundred)."""
    rows = await db.fetchall(
        "SELECT a.shift_id, a.state, t.name, s.starts_at, s.ends_at, s.state AS shift_state"
        " FROM volunteer_assignments a JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        " JOIN volunteer_sites t ON t.id = s.site_id"
        " WHERE a.volunteer_id = ? AND s.hub_id = ? ORDER BY s.starts_at DESC LIMIT 100",
        (volunteer_id, hub_id),
    )
    return [AskedTo(r["shift_id"], cast(AssignmentState, r["state"]), r["name"], r["starts_at"],
                    r["ends_at"], cast(ShiftState, r["shift_state"])) for r in rows]  # fmt: skip


async def busy_elsewhere(db: Reader, shift: Shift, volunteer_ids: Collection[int]) -> set[int]:
    """Of `volunteer_ids`, those coming to another open shift of the effort at an overlapping
    time."""
    if not volunteer_ids:
        return set()
    marks = ", ".join("?" for _ in volunteer_ids)
    rows = await db.fetchall(
        "SELECT DISTINCT a.volunteer_id FROM volunteer_assignments a"
        " JOIN volunteer_shifts s ON s.post_id = a.shift_id"
        f" WHERE a.volunteer_id IN ({marks}) AND s.hub_id = ? AND s.post_id <> ?"
        f" AND s.state = 'open' AND a.state IN ({_COMING}) AND s.starts_at < ? AND s.ends_at > ?",
        (*volunteer_ids, shift.hub_id, shift.post_id, shift.ends_at, shift.starts_at),
    )
    return {int(r[0]) for r in rows}


async def invite(
    tx: Transaction, shift_id: int, volunteer_id: int, token_hash: str, by: int,
    unreached: bool, now: float,
) -> int:  # fmt: skip
    """A new invitation, or an old one (cancelled, declined) asked again with a new link."""
    row = await tx.fetchone(
        "INSERT INTO volunteer_assignments (shift_id, volunteer_id, state, token_hash,"
        " assigned_by, assigned_at, handle_unreached) VALUES (?, ?, 'invited', ?, ?, ?, ?)"
        " ON CONFLICT (shift_id, volunteer_id) DO UPDATE SET state = 'invited',"
        " token_hash = excluded.token_hash, assigned_by = excluded.assigned_by,"
        " assigned_at = excluded.assigned_at, answered_at = NULL, checked_in_at = NULL,"
        " handle_unreached = excluded.handle_unreached RETURNING id",
        (shift_id, volunteer_id, token_hash, by, now, int(unreached)),
    )
    assert row is not None
    return int(row[0])


async def move(tx: Transaction, found: Assignment, to: AssignmentState, now: float) -> bool:
    """Moves one assignment if it is still in the state it was read in (False: someone else
    moved it meanwhile). Which moves are allowed is the capability's (assignments.TRANSITIONS)."""
    answered = "answered_at = ?" if to in ("confirmed", "declined") else "answered_at = answered_at"
    checked = "checked_in_at = ?" if to == "checked_in" else "checked_in_at = checked_in_at"
    params: list[object] = [to]
    params += [now] if to in ("confirmed", "declined") else []
    params += [now] if to == "checked_in" else []
    changed = await tx.execute(
        f"UPDATE volunteer_assignments SET state = ?, {answered}, {checked}"
        " WHERE id = ? AND state = ?",
        (*params, found.id, found.state),
    )
    return changed > 0


async def counts(tx: Reader, shift_id: int) -> tuple[int, int]:
    """(coming: invited or confirmed or checked in, confirmed or checked in) of a shift."""
    row = await tx.fetchone(
        f"SELECT sum(CASE WHEN state IN ({_COMING}) THEN 1 ELSE 0 END),"
        " sum(CASE WHEN state IN ('confirmed', 'checked_in') THEN 1 ELSE 0 END)"
        " FROM volunteer_assignments WHERE shift_id = ?",
        (shift_id,),
    )
    return (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)


# The dispatch board


def _any_language(column: str, codes: list[str]) -> tuple[str, list[object]]:
    """`column` names one of `codes`: SQL and its parameters; FALSE when there are none."""
    if not codes:
        return "1 = 0", []
    return "(" + " OR ".join(f"{column} LIKE ?" for _ in codes) + ")", [f"% {c} %" for c in codes]


async def proposal_rows(
    db: Reader, hub_id: int, shift: Shift, site_key: str, speaks: list[str],
    consent_after: float, wanted_skill: int, wanted_area: str,
    wanted_languages: list[str] | None, limit: int,
) -> list[Row]:  # fmt: skip
    """The proposals query: volunteers of the effort for `shift` at the site whose area key is
    `site_key`, filtered and ranked as board.py's words say, best first; consenting beyond
    `consent_after`. `speaks`: the shift's language codes. The board's own filters: a skill's
    bit (0: any), an area key ('': any), language codes (None: any; empty: none match).
    Language codes go between the spaces of a LIKE pattern: board._codes checks them."""
    clause, speaks_params = _any_language("v.languages", speaks)
    where: list[str] = []
    params: list[object] = []
    if wanted_skill:
        where.append("(v.skills & ?) <> 0")
        params.append(wanted_skill)
    if wanted_area:
        where.append("v.area_key = ?")
        params.append(wanted_area)
    if wanted_languages is not None:
        speaks_one, more = _any_language("v.languages", wanted_languages)
        where.append(speaks_one)
        params += more
    filters = "".join(f" AND {w}" for w in where)
    return await db.fetchall(
        "SELECT v.id, v.name, v.area, v.skills, v.languages, v.transport, v.handle,"
        " CASE WHEN ? = 0 THEN 0 WHEN (v.skills & ?) <> 0 THEN 1 ELSE 0 END AS has_skill,"
        " CASE WHEN ? <> '' AND v.area_key = ? THEN 1 ELSE 0 END AS same_area,"
        f" CASE WHEN {clause} THEN 1 ELSE 0 END AS speaks,"
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
            shift.skills, shift.skills, site_key, site_key, *speaks_params,
            shift.slots, shift.slots, hub_id, hub_id, consent_after,
            shift.slots, shift.slots, hub_id, shift.post_id, shift.ends_at, shift.starts_at,
            *params, limit,
        ],
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


async def ids_of(tx: Transaction, volunteer_ids: list[int]) -> list[int]:
    """Every assignment of these volunteers, whatever its state."""
    if not volunteer_ids:
        return []
    marks = ", ".join("?" for _ in volunteer_ids)
    rows = await tx.fetchall(
        f"SELECT id FROM volunteer_assignments WHERE volunteer_id IN ({marks})", volunteer_ids
    )
    return [int(r[0]) for r in rows]
