"""The dispatch board's proposals: whom to propose for a shift, and why.

Proposals are filtered and ranked in one query (assignments_store.proposal_rows), portable to
SQLite and PostgreSQL (bits tested with `&`, scores with CASE WHEN, a language with
`LIKE '% es %'`), so the board stays quick with 50,000 volunteers (bench/volunteer_board.py
measures it). Who is asked already, and who is coming to a site, are read there too. Who is
proposed for a shift:

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
from fedihub.volunteers import assignments_store
from fedihub.volunteers.model import (
    SKILL_KEYS,
    Shift,
    Site,
    Transport,
    area_key,
    languages_of,
    skills_of,
)

Reader = Database | Transaction
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")


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


def _codes(codes: tuple[str, ...]) -> list[str]:
    """Language codes safe between the spaces of a LIKE pattern (no % or _ in them)."""
    return [c for c in codes if LANGUAGE_CODE.match(c)]


async def proposals(
    db: Reader, hub_id: int, shift: Shift, site: Site, limit: int = 50,
    now: float | None = None, wanted: Wanted | None = None,
) -> list[Proposal]:  # fmt: skip
    """Whom to propose for `shift` at `site`, best first (see the module's words). Consent is
    checked against the shift's end (they must not be deleted during it), or `now` if later."""
    if shift.hub_id != hub_id or site.hub_id != hub_id:
        return []  # another effort's shift is never proposed this effort's people, nor back
    wanted = wanted or Wanted()
    langs = _codes(shift.languages)
    rows = await assignments_store.proposal_rows(
        db, hub_id, shift, area_key(site.area), langs,
        consent_after=max(shift.ends_at, now or 0.0),
        wanted_skill=1 << SKILL_KEYS.index(wanted.skill) if wanted.skill in SKILL_KEYS else 0,
        wanted_area=area_key(wanted.area),
        wanted_languages=_codes((wanted.language.lower(),)) if wanted.language else None,
        limit=limit,
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
