"""Who is going to an event, as its organisers see them: names with handles, going before
waitlisted, and the list as a spreadsheet file that no cell of can run as a formula."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fedihub.activitystreams import iso
from fedihub.actors import store as actors
from fedihub.events import store as events
from fedihub.posts.store import Post
from fedihub.services import Services

MAX_NAME = 100  # a name another server sent, as shown and exported
# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list): such a cell
# is written with a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("name", "handle", "state", "joined_at", "message", "actor")


@dataclass(frozen=True)
class Person:
    """A participant as people read them: `handle` is empty for an actor never fetched."""

    actor_uri: str
    name: str
    handle: str
    state: str  # going, waitlisted
    joined_at: float
    message: str


async def participants(svc: Services, post: Post) -> list[Person]:
    """Everyone taking part in `post`, going first, each in the order they joined."""
    accounts_here = svc.config.base_url + "/users/"
    people = []
    for known in await events.participants_known(svc.db, post.id):
        p = known.participant
        name, handle = known.name, ""
        if known.preferred_username and known.host:
            handle = f"@{known.preferred_username}@{known.host}"
        elif p.actor_uri.startswith(accounts_here):  # an account here is no remote actor
            local = await actors.get_actor(svc.db, "person", p.actor_uri[len(accounts_here) :])
            if local is not None:
                name, handle = local.name, f"@{local.username}@{svc.config.host}"
        shown = " ".join((name or "").split())[:MAX_NAME] or handle or p.actor_uri
        people.append(Person(p.actor_uri, shown, handle, p.state, p.joined_at, p.message))
    return people


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as the text it is, never runs as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def participants_csv(people: list[Person]) -> str:
    """The organisers' export: one row per person, every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for p in people:
        handle = p.handle.removeprefix("@")  # ana@host: an address, not a formula to escape
        row = (p.name, handle, p.state, iso(p.joined_at), p.message, p.actor_uri)
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()
