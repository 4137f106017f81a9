"""SQL for reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from fedihub.activitystreams import same_server_like
from fedihub.actors import store as actors
from fedihub.db import Database, Row, Transaction

# The same hub, or both about no hub (NULL): `hub_id IS ?` in SQLite's words, said so that
# PostgreSQL (which reads `IS` only before NULL, TRUE or FALSE) runs it too. Takes hub_id twice.
SAME_HUB = "(hub_id = ? OR (hub_id IS NULL AND CAST(? AS BIGINT) IS NULL))"

Source = Literal["flag", "web"]


@dataclass(frozen=True)
class Report:
    id: int
    hub_id: int | None
    activity_uri: str
    reporter_uri: str  # a Flag's actor; empty for a report made on our form
    objects: tuple[str, ...]
    comment: str
    received_at: float
    resolved_at: float | None
    resolved_by: str | None
    resolution: str | None
    source: str = "flag"
    reporter_name: str | None = None  # the account here that reported (web), for moderators
    contact: str = ""  # an address the reporter gave, for moderators only
    clause: str = ""
    forward_consent: bool = False
    forwarded_at: float | None = None


@dataclass(frozen=True)
class Filing:
    """What one report says, whichever scopes it is filed in."""

    activity_uri: str  # a Flag's id; for our form's reports, an id of ours (a forward's id)
    reporter_uri: str
    comment: str
    source: Source = "flag"
    reporter_account: int | None = None
    contact: str = ""
    clause: str = ""
    forward_consent: bool = False


_COLUMNS = ("r.id, r.hub_id, r.activity_uri, r.reporter_uri, r.objects, r.comment, r.received_at,"
            " r.resolved_at, r.resolved_by, r.resolution, r.source, a.username, r.contact,"
            " r.clause, r.forward_consent, r.forwarded_at")  # fmt: skip
_FROM = "reports r LEFT JOIN local_actors a ON a.id = r.reporter_account"


def _report(row: Row) -> Report:
    return Report(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6],
                  row[7], row[8], row[9], row[10], row[11], row[12], row[13], bool(row[14]),
                  row[15])  # fmt: skip


# One server's open reports about one hub (or its people) past which more are not filed, so a
# hostile server cannot bury the moderators' list; a page shows the oldest SHOWN.
MAX_OPEN_PER_SERVER = 50
# One reporter (a Flag's actor) may have this many reports open in all scopes together.
MAX_OPEN_PER_REPORTER = 100
SHOWN = 100


async def save(
    tx: Transaction, hub_id: int | None, activity_uri: str, reporter_uri: str,
    objects: list[str], comment: str, now: float, *, filing: Filing | None = None,
) -> int | None:  # fmt: skip
    """The new report's id; None when it was filed before, or (a Flag) its server or its
    reporter already has too many open here. `filing`: the rest of what a report from our
    form says. The hub (or instance actor) is locked first, so the caps hold across processes."""
    given = filing or Filing(activity_uri, reporter_uri, comment)
    await actors.lock_actor(tx, hub_id)
    if given.source == "flag" and await _too_many_open(tx, hub_id, reporter_uri):
        return None
    row = await tx.fetchone(
        "INSERT INTO reports (hub_id, activity_uri, reporter_uri, objects, comment, received_at,"
        " source, reporter_account, contact, clause, forward_consent)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (hub_id, activity_uri, reporter_uri, json.dumps(objects), comment, now, given.source,
         given.reporter_account, given.contact, given.clause, int(given.forward_consent)),
    )  # fmt: skip
    return int(row[0]) if row else None


async def _too_many_open(tx: Transaction, hub_id: int | None, reporter_uri: str) -> bool:
    from_server = await tx.fetchone(
        f"SELECT count(*) FROM reports WHERE {SAME_HUB} AND resolved_at IS NULL"
        " AND lower(reporter_uri) LIKE ? ESCAPE '\\'",
        (hub_id, hub_id, same_server_like(reporter_uri)),
    )
    if from_server is not None and from_server[0] >= MAX_OPEN_PER_SERVER:
        return True
    from_reporter = await tx.fetchone(
        "SELECT count(DISTINCT activity_uri) FROM reports WHERE reporter_uri = ?"
        " AND resolved_at IS NULL",
        (reporter_uri,),
    )
    return from_reporter is not None and from_reporter[0] >= MAX_OPEN_PER_REPORTER


async def made_by_account_since(db: Database, account_id: int, since: float) -> int:
    """How many reports an account made on our form since `since` (one per report, however
    many scopes it was filed in)."""
    count = await db.fetchval(
        "SELECT count(DISTINCT activity_uri) FROM reports WHERE reporter_account = ?"
        " AND received_at > ?",
        (account_id, since),
    )
    return int(count)


async def open_reports(db: Database, hub_id: int | None) -> list[Report]:
    """Unresolved reports about a hub, or (None) for the admins, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE {SAME_HUB.replace('hub_id', 'r.hub_id')}"
        " AND r.resolved_at IS NULL ORDER BY r.id LIMIT ?",
        (hub_id, hub_id, SHOWN),
    )
    return [_report(r) for r in rows]


async def open_in_hubs(db: Database) -> list[tuple[str, int]]:
    """(hub username, open reports) for each hub with reports waiting: the admins' overview."""
    rows = await db.fetchall(
        "SELECT a.username, count(*) FROM reports r JOIN local_actors a ON a.id = r.hub_id"
        " WHERE r.resolved_at IS NULL GROUP BY a.username ORDER BY a.username"
    )
    return [(r[0], int(r[1])) for r in rows]


async def report(db: Database | Transaction, report_id: int) -> Report | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM {_FROM} WHERE r.id = ?", (report_id,))
    return _report(row) if row else None


async def resolve(
    db: Database, report_id: int, hub_id: int | None, by: str, resolution: str, now: float
) -> Report | None:
    """None when there is no such open report for that hub."""
    async with db.transaction() as tx:
        return await resolve_in(tx, report_id, hub_id, by, resolution, now)


async def resolve_in(
    tx: Transaction, report_id: int, hub_id: int | None, by: str, resolution: str, now: float
) -> Report | None:
    """`resolve` inside the caller's transaction: the one that takes the action answering it."""
    row = await tx.fetchone(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = ?"
        f" WHERE id = ? AND {SAME_HUB} AND resolved_at IS NULL RETURNING id",
        (now, by, resolution, report_id, hub_id, hub_id),
    )
    return await report(tx, report_id) if row else None


async def mark_forwarded(tx: Transaction, activity_uri: str, now: float) -> bool:
    """Notes that a report went to the server it is about (in every scope it was filed in);
    False if it had gone already, so it goes once."""
    changed = await tx.execute(
        "UPDATE reports SET forwarded_at = ? WHERE activity_uri = ? AND forwarded_at IS NULL",
        (now, activity_uri),
    )
    return changed > 0


async def hubs_concerned(db: Database | Transaction, uri: str, author_uri: str | None) -> list[int]:
    """The hubs a remote actor or post (`uri`, with its author) shows in: the hubs they are a
    member of, and those that carried the post or any post of theirs."""
    who = author_uri or uri
    rows = await db.fetchall(
        "SELECT hub_id FROM hub_members WHERE actor_uri = ? AND state = 'member'"
        " UNION SELECT hub_id FROM reshares WHERE object_uri = ? OR author_uri = ?"
        " ORDER BY hub_id",
        (who, uri, who),
    )
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class KnownObject:
    """A post from another server that we hold (received, or carried by a hub)."""

    uri: str
    author_uri: str
    document: str  # JSON as received; empty when only a hub's re-share names it


async def newswire_headline(db: Database, uri: str) -> str | None:
    """The headline of the newswire item showing `uri` (our own Note or a post it boosts), so
    that what the newswire shows can be reported to its editors (the instance's admins)."""
    found: str | None = await db.fetchval(
        "SELECT headline FROM newswire_items WHERE object_uri = ? AND state = 'published'", (uri,)
    )
    return found


async def known_object(db: Database | Transaction, uri: str) -> KnownObject | None:
    row = await db.fetchone(
        "SELECT coalesce(attributed_to, actor_uri), document FROM received_objects"
        " WHERE uri = ? AND deleted_at IS NULL",
        (uri,),
    )
    if row is not None:
        return KnownObject(uri, row[0], row[1])
    row = await db.fetchone("SELECT author_uri FROM reshares WHERE object_uri = ? LIMIT 1", (uri,))
    return KnownObject(uri, row[0], "") if row else None
