"""The registry of post kinds: one module per kind, found without being imported by posts, and
each kind's typed fields read back exactly what is stored."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from fedihub.kinds import Registry, discover, parse_draft, registry
from fedihub.posts.kind import PostKind
from fedihub.posts.store import Post

# The kinds fedihub comes with, in the order the compose form offers them.
KINDS = ("update", "minutes", "event", "call", "poll", "proposal", "need", "offer", "shift")
SAMPLES = {
    "update": "# News\n\nThe boiler works.",
    "minutes": "---\nmeeting_date: 2026-10-05\nattendees: Ana, Bo\ndecisions: [Paint it]\n"
    "actions:\n  - {task: Buy paint, owner: Ana, due: 2026-10-12}\nrecords: https://r.example/1\n"
    "---\nNotes.",
    "event": "---\ntitle: Picket\nstart: 2026-12-05 18:00\nend: 2026-12-05 20:00\n"
    "location: {name: Hall, locality: Town, latitude: 1.5, longitude: 2.5}\ncapacity: 20\n"
    "waitlist: false\ncategory: meeting\n---\nCome.",
    "call": "---\ntitle: Weekly\nstart: 2026-12-07 20:00\nend: 2026-12-07 21:00\n"
    "schedule: FREQ=WEEKLY;BYDAY=MO\ndial_in: +1 555 0100\nagenda: [One, Two]\n---\nAgenda.",
    "poll": "---\ncloses: 2026-12-08 20:00\nmultiple: true\nquorum: 3\n---\nWhen?",
    "proposal": "---\ntitle: Paint\ncloses: 2026-12-08 20:00\nwho: anyone\n---\nPaint it.",
    "need": "---\ntitle: Sleeping bags\ncategory: bedding\nquantity: 50\nunit: bags\n"
    "place: {name: Shelter, locality: Vancouver}\nneeded_by: 2026-12-20\n---\nWarm ones.",
    "offer": "---\ntitle: Tents\ncategory: shelter\navailable_until: 2026-12-20\n"
    "respond: call Ana\npublish_contact: true\n---\nSix tents.",
    "shift": "---\nsite: Red Hook\nstart: 2026-12-05 08:00\nend: 2026-12-05 14:00\nneeded: 6\n"
    "skills: [heavy_lifting, cleanup]\nlanguages: es, en\n---\nBring gloves.",
}


def as_post(kind: str, fields: dict) -> Post:
    return Post(1, 2, None, kind, "T", "", "", fields, None, None, "confirmed", None, 0.0, None,
                None)  # fmt: skip


def test_every_kind_is_found_once_in_order() -> None:
    assert registry().names == KINDS
    assert all(isinstance(registry().get(k), PostKind) for k in KINDS)


def test_each_kind_has_its_own_module() -> None:
    package = Path(__file__).resolve().parents[2] / "fedihub" / "kinds"
    modules = sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__")
    assert modules == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_typed_fields_read_back_what_is_stored(kind: str) -> None:
    draft = parse_draft(kind, SAMPLES[kind], "UTC", "en")
    stored = {k: v for k, v in draft.fields.items() if k != "language"}
    fields = registry().get(kind).fields(as_post(kind, draft.fields))
    assert dataclasses.is_dataclass(fields)
    assert fields.to_json() == stored
    assert list(fields.to_json()) == list(stored)  # a re-stored post keeps its key order


def test_unknown_kind_is_refused_with_the_choices() -> None:
    from fedihub.errors import BadRequest

    kinds = "one of update, minutes, event, call, poll, proposal, need, offer, shift"
    with pytest.raises(BadRequest, match=kinds):
        registry().get("newsletter")


def test_importing_the_kinds_package_imports_no_kind() -> None:
    """Kinds are found when the registry is first asked for, not as an import side effect."""
    code = (
        "import sys, fedihub.kinds\n"
        "print(sorted(m for m in sys.modules if m.startswith('fedihub.kinds.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_kinds_alike_are_asked_for_by_what_they_are() -> None:
    assert registry().names_where(lambda k: k.is_question) == ("poll", "proposal")
    assert registry().names_where(lambda k: k.dated) == ("event",)
    assert registry().names_where(lambda k: k.has_occurrences) == ("call",)
    assert registry().names_where(lambda k: k.has_calendar) == ("event", "call")


def test_a_kind_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="update"):
        Registry([*registry().kinds, registry().get("update")])


def test_discovery_of_this_package_is_the_registry() -> None:
    assert discover("fedihub.kinds").names == registry().names
