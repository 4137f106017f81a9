"""SQL for an effort's sites and shifts (migration 0033). A shift's row follows its post of the
kind `shift`; its places are counted from its assignments, never listed by name."""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from fedihub.db import Database, Row, Transaction
from fedihub.errors import BadRequest
from fedihub.volunteers.model import (
    COMING,
    Places,
    Shift,
    ShiftState,
    Site,
    area_key,
    language_list,
    languages_of,
)

Reader = Database | Transaction
SITE_COLUMNS = "id, hub_id, name, area, address, needs"
SHIFT_COLUMNS = (
    "post_id, hub_id, site_id, starts_at, ends_at, needed, skills, languages, slots, state,"
    " timezone"
)


def site_of(row: Row) -> Site:
    return Site(
        id=row["id"], hub_id=row["hub_id"], name=row["name"], area=row["area"],
        address=row["address"], needs=row["needs"],
    )  # fmt: skip


def shift_of(row: Row) -> Shift:
    return Shift(
        post_id=row["post_id"], hub_id=row["hub_id"], site_id=row["site_id"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], needed=row["needed"],
        skills=int(row["skills"]), languages=languages_of(row["languages"]),
        slots=int(row["slots"]), state=cast(ShiftState, row["state"]),
        timezone=row["timezone"],
    )  # fmt: skip


# Sites

# How long each of a site's texts may be: a name people pick from a list, an area as a
# neighbourhood's name, an address for a volunteer to find the door, needs as a short note.
SITE_LIMITS = {"name": 100, "area": 100, "address": 500, "needs": 2000}


def checked_site(hub_id: int, site_id: int, name: str, area: str, address: str,
                 needs: str) -> Site:  # fmt: skip
    """A site as typed, tidied and checked: a name, and no text past its limit."""
    values = {"name": " ".join(name.split()), "area": " ".join(area.split()),
              "address": address.strip(), "needs": needs.strip()}  # fmt: skip
    if not values["name"]:
        raise BadRequest("name: a site needs a name")
    for field, limit in SITE_LIMITS.items():
        if len(values[field]) > limit:
            raise BadRequest("%(field)s: at most %(max)s characters", field=field, max=limit)
    return Site(site_id, hub_id, values["name"], values["area"], values["address"],
                values["needs"])  # fmt: skip


async def save_site(tx: Transaction, site: Site, now: float) -> int:
    """Adds a site (`site.id` 0) or changes one of its effort's; a name another of its sites
    has (however it is capitalised or accented) is refused. Returns the site's id."""
    same_name = await site_called(tx, site.hub_id, site.name)
    if same_name is not None and same_name.id != site.id:
        raise BadRequest("name: this hub already has a site called %(name)s", name=site.name)
    if site.id == 0:
        return await add_site(tx, site.hub_id, site.name, site.area, site.address, site.needs,
                              now)  # fmt: skip
    await update_site(tx, site, now)
    return site.id


async def add_site(
    tx: Transaction, hub_id: int, name: str, area: str, address: str, needs: str, now: float
) -> int:
    return await tx.insert(
        "INSERT INTO volunteer_sites (hub_id, name, area, area_key, address, needs, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (hub_id, name, area, area_key(area), address, needs, now, now),
    )


async def update_site(tx: Transaction, site: Site, now: float) -> None:
    await tx.execute(
        "UPDATE volunteer_sites SET name = ?, area = ?, area_key = ?, address = ?, needs = ?,"
        " updated_at = ? WHERE id = ? AND hub_id = ?",
        (site.name, site.area, area_key(site.area), site.address, site.needs, now, site.id,
         site.hub_id),
    )  # fmt: skip


async def site(db: Reader, hub_id: int, site_id: int) -> Site | None:
    """One of this effort's sites: never another's."""
    row = await db.fetchone(
        f"SELECT {SITE_COLUMNS} FROM volunteer_sites WHERE hub_id = ? AND id = ?",
        (hub_id, site_id),
    )
    return None if row is None else site_of(row)


async def site_named(db: Reader, hub_id: int, name: str) -> Site | None:
    row = await db.fetchone(
        f"SELECT {SITE_COLUMNS} FROM volunteer_sites WHERE hub_id = ? AND name = ?",
        (hub_id, name),
    )
    return None if row is None else site_of(row)


async def site_called(db: Reader, hub_id: int, name: str) -> Site | None:
    """The site of this name, or the one whose name reads the same (case, accents and spacing
    ignored: what a coordinator types in a shift's form)."""
    exact = await site_named(db, hub_id, name)
    if exact is not None:
        return exact
    key = area_key(name)
    return next((s for s in await sites(db, hub_id) if area_key(s.name) == key), None)


async def sites(db: Reader, hub_id: int) -> list[Site]:
    rows = await db.fetchall(
        f"SELECT {SITE_COLUMNS} FROM volunteer_sites WHERE hub_id = ? ORDER BY name", (hub_id,)
    )
    return [site_of(r) for r in rows]


# Shifts


async def save_shift(tx: Transaction, shift: Shift, now: float) -> None:
    """Stores a shift as its post now says, or replaces what was held (an edit)."""
    await tx.execute(
        "INSERT INTO volunteer_shifts (post_id, hub_id, site_id, starts_at, ends_at, needed,"
        " skills, languages, slots, state, timezone, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (post_id) DO UPDATE SET site_id = excluded.site_id,"
        " starts_at = excluded.starts_at, ends_at = excluded.ends_at, needed = excluded.needed,"
        " skills = excluded.skills, languages = excluded.languages, slots = excluded.slots,"
        " state = excluded.state, timezone = excluded.timezone,"
        " updated_at = excluded.updated_at",
        (shift.post_id, shift.hub_id, shift.site_id, shift.starts_at, shift.ends_at,
         shift.needed, shift.skills, language_list(shift.languages), shift.slots, shift.state,
         shift.timezone, now),
    )  # fmt: skip


async def set_shift_state(tx: Transaction, post_id: int, state: ShiftState, now: float) -> None:
    await tx.execute(
        "UPDATE volunteer_shifts SET state = ?, updated_at = ? WHERE post_id = ?",
        (state, now, post_id),
    )


async def shift(db: Reader, hub_id: int, post_id: int) -> Shift | None:
    """One of this effort's shifts: never another's."""
    row = await db.fetchone(
        f"SELECT {SHIFT_COLUMNS} FROM volunteer_shifts WHERE hub_id = ? AND post_id = ?",
        (hub_id, post_id),
    )
    return None if row is None else shift_of(row)


async def coming_shifts(
    db: Reader, hub_id: int, now: float, site_id: int | None = None, limit: int = 500
) -> list[Shift]:
    """Open shifts not yet over, soonest first; of one site when `site_id` is given."""
    rows = await db.fetchall(
        f"SELECT {SHIFT_COLUMNS} FROM volunteer_shifts WHERE hub_id = ? AND state = 'open'"
        " AND ends_at > ? AND (CAST(? AS INTEGER) IS NULL OR site_id = ?)"
        " ORDER BY starts_at, post_id LIMIT ?",
        (hub_id, now, site_id, site_id, limit),
    )
    return [shift_of(r) for r in rows]


async def shift_places(db: Reader, post_id: int, needed: int) -> Places:
    """One shift's places, by its post (its row may not be written yet: a Create is rendered
    before the kind stores it)."""
    return (await places(db, [_counted(post_id, needed)]))[post_id]


def _counted(post_id: int, needed: int) -> Shift:
    return Shift(post_id, 0, 0, 0.0, 0.0, needed, 0, (), 0, "open")


async def places(db: Reader, shifts: Collection[Shift]) -> dict[int, Places]:
    """Each shift's places: how many are asked and how many confirmed. Counts only."""
    if not shifts:
        return {}
    ids = [s.post_id for s in shifts]
    marks = ", ".join("?" for _ in ids)
    rows = await db.fetchall(
        "SELECT shift_id, sum(CASE WHEN state = 'invited' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN state IN ('confirmed', 'checked_in') THEN 1 ELSE 0 END)"
        f" FROM volunteer_assignments WHERE shift_id IN ({marks})"
        f" AND state IN ({', '.join(repr(s) for s in COMING)}) GROUP BY shift_id",
        ids,
    )
    found = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return {s.post_id: Places(s.needed, *found.get(s.post_id, (0, 0))) for s in shifts}


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
