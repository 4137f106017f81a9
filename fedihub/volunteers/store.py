"""SQL for efforts and volunteers (migration 0033): personal data, read only by coordinators'
pages (which audit it, volunteers/roles_store.py) and by the volunteer's own private link."""

from __future__ import annotations

import sqlite3
from typing import cast

from fedihub.db import Database, Row, Transaction
from fedihub.volunteers.model import (
    COMING,
    MONTH_S,
    Effort,
    SignUp,
    Transport,
    Volunteer,
    area_key,
    language_list,
    languages_of,
)

Reader = Database | Transaction
VOLUNTEER_COLUMNS = (
    "id, hub_id, name, email, phone, handle, languages, skills, other_skills, availability,"
    " area, transport, notes, language, consent_until, created_at, updated_at"
)


def volunteer_of(row: Row) -> Volunteer:
    return Volunteer(
        id=row["id"], hub_id=row["hub_id"], name=row["name"], email=row["email"],
        phone=row["phone"], handle=row["handle"], languages=languages_of(row["languages"]),
        skills=int(row["skills"]), other_skills=row["other_skills"],
        availability=int(row["availability"]), area=row["area"],
        transport=cast(Transport, row["transport"]), notes=row["notes"],
        language=row["language"], consent_until=row["consent_until"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


# Efforts


async def effort(db: Reader, hub_id: int) -> Effort:
    """A hub's effort; one never set is open, with no words of its own."""
    row = await db.fetchone(
        "SELECT signup_open, intro FROM volunteer_efforts WHERE hub_id = ?", (hub_id,)
    )
    if row is None:
        return Effort(hub_id)
    return Effort(hub_id, bool(row["signup_open"]), row["intro"])


async def save_effort(tx: Transaction, effort: Effort, now: float) -> None:
    await tx.execute(
        "INSERT INTO volunteer_efforts (hub_id, signup_open, intro, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (hub_id) DO UPDATE SET"
        " signup_open = excluded.signup_open, intro = excluded.intro,"
        " updated_at = excluded.updated_at",
        (effort.hub_id, int(effort.signup_open), effort.intro, now),
    )


# Volunteers


async def same_contact(tx: Reader, hub_id: int, sign_up: SignUp) -> int | None:
    """The volunteer of this effort with the sign-up's e-mail address or, failing that, its
    phone number: signing up again updates them."""
    for column, value in (("email", sign_up.email), ("phone_key", sign_up.phone_key)):
        if value:
            row = await tx.fetchone(
                f"SELECT id FROM volunteers WHERE hub_id = ? AND {column} = ?", (hub_id, value)
            )
            if row is not None:
                return int(row["id"])
    return None


def _values(sign_up: SignUp, now: float) -> tuple[object, ...]:
    return (
        sign_up.name, sign_up.email, sign_up.phone, sign_up.phone_key, sign_up.handle,
        language_list(sign_up.languages), sign_up.skills, sign_up.other_skills,
        sign_up.availability, sign_up.area, area_key(sign_up.area), sign_up.transport,
        sign_up.notes, sign_up.language, now + sign_up.consent_months * MONTH_S,
    )  # fmt: skip


async def insert_volunteer(
    tx: Transaction, hub_id: int, sign_up: SignUp, token_hash: str, now: float
) -> int:
    return await tx.insert(
        "INSERT INTO volunteers (name, email, phone, phone_key, handle, languages, skills,"
        " other_skills, availability, area, area_key, transport, notes, language,"
        " consent_until, hub_id, token_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*_values(sign_up, now), hub_id, token_hash, now, now),
    )


async def update_volunteer(tx: Transaction, volunteer_id: int, sign_up: SignUp, now: float) -> None:
    """Everything a sign-up says replaces what was held; the consent runs from now."""
    await tx.execute(
        "UPDATE volunteers SET name = ?, email = ?, phone = ?, phone_key = ?, handle = ?,"
        " languages = ?, skills = ?, other_skills = ?, availability = ?, area = ?,"
        " area_key = ?, transport = ?, notes = ?, language = ?, consent_until = ?,"
        " updated_at = ? WHERE id = ?",
        (*_values(sign_up, now), now, volunteer_id),
    )


async def update_offer(tx: Transaction, volunteer_id: int, sign_up: SignUp, now: float) -> None:
    """A repeat sign-up: what they offer replaces what was held; who they are, how to reach
    them and their consent stay as they were."""
    await tx.execute(
        "UPDATE volunteers SET languages = ?, skills = ?, other_skills = ?, availability = ?,"
        " area = ?, area_key = ?, transport = ?, notes = ?, updated_at = ? WHERE id = ?",
        (language_list(sign_up.languages), sign_up.skills, sign_up.other_skills,
         sign_up.availability, sign_up.area, area_key(sign_up.area), sign_up.transport,
         sign_up.notes, now, volunteer_id),
    )  # fmt: skip


async def volunteer(db: Reader, hub_id: int, volunteer_id: int) -> Volunteer | None:
    """One of this effort's volunteers: never another effort's, whatever id is asked for."""
    row = await db.fetchone(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE hub_id = ? AND id = ?",
        (hub_id, volunteer_id),
    )
    return None if row is None else volunteer_of(row)


async def volunteer_by_token(db: Reader, token_hash: str) -> Volunteer | None:
    row = await db.fetchone(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE token_hash = ?", (token_hash,)
    )
    return None if row is None else volunteer_of(row)


async def delete_volunteer(tx: Transaction, volunteer_id: int) -> bool:
    """Gone with their assignments (ON DELETE CASCADE)."""
    return await tx.execute("DELETE FROM volunteers WHERE id = ?", (volunteer_id,)) > 0


def _like(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def matching(
    db: Reader, hub_id: int, *, text: str, area: str, skills: int, language: str,
    availability: int, before: int | None, limit: int,
) -> list[Volunteer]:  # fmt: skip
    """The effort's volunteers, the latest to sign up first (below the id `before`), narrowed
    to those whose name or e-mail address holds `text`, whose area key holds the key `area`,
    with one of the `skills` bits, speaking the language tag `language`, free at one of the
    `availability` bits (each empty or 0: any)."""
    where, params = ["hub_id = ?"], list[object]([hub_id])
    if text:
        pattern = f"%{_like(text.lower())}%"
        where.append("(lower(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    if area:
        where.append("area_key LIKE ? ESCAPE '\\'")
        params.append(f"%{_like(area)}%")
    if skills:
        where.append("(skills & ?) <> 0")
        params.append(skills)
    if language:
        where.append("languages LIKE ? ESCAPE '\\'")
        params.append(f"% {_like(language)} %")
    if availability:
        where.append("(availability & ?) <> 0")
        params.append(availability)
    if before is not None:
        where.append("id < ?")
        params.append(before)
    rows = await db.fetchall(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE {' AND '.join(where)}"
        " ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
    return [volunteer_of(r) for r in rows]


async def every_volunteer(db: Reader, hub_id: int) -> list[Volunteer]:
    """The effort's volunteers in the order they signed up (the export)."""
    rows = await db.fetchall(
        f"SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE hub_id = ? ORDER BY id", (hub_id,)
    )
    return [volunteer_of(r) for r in rows]


async def count(db: Reader, hub_id: int) -> int:
    row = await db.fetchone("SELECT count(*) FROM volunteers WHERE hub_id = ?", (hub_id,))
    return int(row[0]) if row is not None else 0


# Sign-up (volunteers/service.py): race-safe without a lock. Two processes signing up the same
# contact at once both find no row; the second INSERT then waits for the first's commit and
# does nothing (ON CONFLICT), and the second updates the row the first made.


async def insert_if_new(
    tx: Transaction, hub_id: int, sign_up: SignUp, token_hash: str, now: float
) -> int | None:
    """The new volunteer's id; None when the e-mail address or phone number is taken already
    (by a sign-up committed since `same_contact` looked)."""
    row = await tx.fetchone(
        "INSERT INTO volunteers (name, email, phone, phone_key, handle, languages, skills,"
        " other_skills, availability, area, area_key, transport, notes, language,"
        " consent_until, hub_id, token_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (*_values(sign_up, now), hub_id, token_hash, now, now),
    )
    return None if row is None else int(row[0])


async def holder(tx: Reader, hub_id: int, email: str | None, key: str | None) -> int | None:
    """Who in this effort holds the e-mail address `email`, or else the phone key `key`."""
    for column, value in (("email", email), ("phone_key", key)):
        if value:
            row = await tx.fetchone(
                f"SELECT id FROM volunteers WHERE hub_id = ? AND {column} = ?", (hub_id, value)
            )
            if row is not None:
                return int(row["id"])
    return None


async def contacts(tx: Reader, volunteer_id: int) -> tuple[str | None, str | None, str | None]:
    """A volunteer's e-mail address, phone number and phone key."""
    row = await tx.fetchone(
        "SELECT email, phone, phone_key FROM volunteers WHERE id = ?", (volunteer_id,)
    )
    return (None, None, None) if row is None else (row["email"], row["phone"], row["phone_key"])


async def set_token(tx: Transaction, volunteer_id: int, token_hash: str) -> None:
    """A new private link; the old one stops working."""
    await tx.execute(
        "UPDATE volunteers SET token_hash = ? WHERE id = ?", (token_hash, volunteer_id)
    )


def breaks_a_unique(error: BaseException) -> bool:
    """Whether a statement failed on a UNIQUE (an UPDATE racing another process's INSERT on
    PostgreSQL: the caller retries). SQLite's single writer never races, but is checked alike."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    # Here, not at the top: asyncpg (3 MB) loads only in instances that use PostgreSQL.
    import asyncpg

    return isinstance(error, asyncpg.UniqueViolationError)


async def coming_shift_ids(tx: Reader, volunteer_id: int) -> list[int]:
    """The shifts a volunteer is expected at: their places change when the volunteer goes."""
    rows = await tx.fetchall(
        "SELECT shift_id FROM volunteer_assignments WHERE volunteer_id = ?"
        f" AND state IN ({', '.join('?' for _ in COMING)})",
        (volunteer_id, *COMING),
    )
    return [int(row[0]) for row in rows]


# Deletion once the consent has run out (coordination.expire)


async def any_expired(db: Reader, now: float) -> bool:
    """Whether any volunteer's consent ran out by `now`: one indexed read, no write lock."""
    due = "SELECT 1 FROM volunteers WHERE consent_until <= ? LIMIT 1"
    return await db.fetchone(due, (now,)) is not None


async def expired(tx: Reader, now: float, limit: int) -> list[tuple[int, int]]:
    """(volunteer id, hub id) of up to `limit` volunteers whose consent ran out by `now`,
    those whose ran out first first."""
    rows = await tx.fetchall(
        "SELECT id, hub_id FROM volunteers WHERE consent_until <= ?"
        " ORDER BY consent_until, id LIMIT ?",
        (now, limit),
    )
    return [(int(r["id"]), int(r["hub_id"])) for r in rows]


async def shifts_coming_to(tx: Reader, volunteer_ids: list[int], now: float) -> list[int]:
    """The shifts not yet over that any of these volunteers is expected at."""
    marks = ", ".join("?" for _ in volunteer_ids)
    coming = ", ".join(f"'{state}'" for state in COMING)
    rows = await tx.fetchall(
        "SELECT DISTINCT a.shift_id FROM volunteer_assignments a JOIN volunteer_shifts s"
        f" ON s.post_id = a.shift_id WHERE a.volunteer_id IN ({marks})"
        f" AND a.state IN ({coming}) AND s.ends_at > ?",
        (*volunteer_ids, now),
    )
    return [int(r["shift_id"]) for r in rows]


async def delete_volunteers(tx: Transaction, volunteer_ids: list[int]) -> None:
    """Gone with their assignments (ON DELETE CASCADE)."""
    marks = ", ".join("?" for _ in volunteer_ids)
    await tx.execute(f"DELETE FROM volunteers WHERE id IN ({marks})", volunteer_ids)


async def lock_volunteers(tx: Transaction, volunteer_ids: list[int]) -> None:
    """Takes these volunteers' rows for the rest of the transaction, in id order (so two
    transactions never wait for each other in a circle): on PostgreSQL, whatever asks a
    volunteer to come or confirms them runs one after another across processes, so nobody is
    booked at two places at once. SQLite has one writer already."""
    if tx.dialect == "postgresql" and volunteer_ids:
        marks = ", ".join("?" for _ in volunteer_ids)
        await tx.fetchall(
            f"SELECT id FROM volunteers WHERE id IN ({marks}) ORDER BY id FOR UPDATE",
            sorted(volunteer_ids),
        )
