"""SQL for needs and offers (`resource_intents`) and the matches between them
(`resource_matches`), migration 0029."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from fedihub.db import Database, Row, Transaction
from fedihub.resources.model import (
    LIVE_MATCH_STATES,
    FoundBy,
    Intent,
    IntentState,
    Match,
    MatchState,
    Side,
)

Reader = Database | Transaction
INTENT_COLUMNS = (
    "uri, hub_uri, host, side, title, category, words, quantity, remaining, unit, place,"
    " latitude, longitude, until_at, state, local_post_id, published_at, updated_at, until_day"
)
MATCH_COLUMNS = (
    "id, hub_id, need_uri, offer_uri, score, state, fulfilled_quantity, found_by, created_at,"
    " updated_at, reported_quantity, reported_whole"
)


def marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _intent(row: Row) -> Intent:
    return Intent(
        uri=row["uri"], hub_uri=row["hub_uri"], host=row["host"], side=cast(Side, row["side"]),
        title=row["title"], category=row["category"],
        words=tuple(w for w in str(row["words"]).split(" ") if w),
        quantity=row["quantity"], remaining=row["remaining"], unit=row["unit"],
        place=row["place"], latitude=row["latitude"], longitude=row["longitude"],
        until_at=row["until_at"], state=cast(IntentState, row["state"]),
        local_post_id=row["local_post_id"], published_at=row["published_at"],
        updated_at=row["updated_at"], until_day=row["until_day"],
    )  # fmt: skip


def _match(row: Row) -> Match:
    return Match(
        id=row["id"], hub_id=row["hub_id"], need_uri=row["need_uri"],
        offer_uri=row["offer_uri"], score=row["score"], state=cast(MatchState, row["state"]),
        fulfilled_quantity=row["fulfilled_quantity"], found_by=cast(FoundBy, row["found_by"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
        reported_quantity=row["reported_quantity"], reported_whole=bool(row["reported_whole"]),
    )  # fmt: skip


async def save_intent(tx: Transaction, intent: Intent) -> None:
    """Stores a need or an offer, or replaces what we held of it (an edit, an Update)."""
    await tx.execute(
        f"INSERT INTO resource_intents ({INTENT_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (uri) DO UPDATE SET title = excluded.title,"
        " category = excluded.category, words = excluded.words, quantity = excluded.quantity,"
        " remaining = excluded.remaining, unit = excluded.unit, place = excluded.place,"
        " latitude = excluded.latitude, longitude = excluded.longitude,"
        " until_at = excluded.until_at, until_day = excluded.until_day, state = excluded.state,"
        " updated_at = excluded.updated_at, matched_at = NULL, match_attempts = 0",
        (intent.uri, intent.hub_uri, intent.host, intent.side, intent.title, intent.category,
         " ".join(intent.words), intent.quantity, intent.remaining, intent.unit, intent.place,
         intent.latitude, intent.longitude, intent.until_at, intent.state,
         intent.local_post_id, intent.published_at, intent.updated_at, intent.until_day),
    )  # fmt: skip


async def intent(db: Reader, uri: str) -> Intent | None:
    row = await db.fetchone(f"SELECT {INTENT_COLUMNS} FROM resource_intents WHERE uri = ?", (uri,))
    return _intent(row) if row else None


async def intent_of_post(db: Reader, post_id: int) -> Intent | None:
    row = await db.fetchone(
        f"SELECT {INTENT_COLUMNS} FROM resource_intents WHERE local_post_id = ?", (post_id,)
    )
    return _intent(row) if row else None


async def mark_matched(db: Database, uri: str, updated_at: float, now: float) -> None:
    """The matcher has run on the intent as it was at `updated_at`; a later change (another
    save) leaves it to be matched again."""
    await db.execute(
        "UPDATE resource_intents SET matched_at = ? WHERE uri = ? AND updated_at = ?",
        (now, uri, updated_at),
    )


async def unmatched(
    db: Reader, changed_before: float, limit: int, max_attempts: int
) -> list[Intent]:
    """Open intents saved before `changed_before` that the matcher has not finished with and
    has tried fewer than `max_attempts` times; those tried least first."""
    rows = await db.fetchall(
        f"SELECT {INTENT_COLUMNS} FROM resource_intents WHERE matched_at IS NULL"
        " AND updated_at < ? AND state = 'open' AND match_attempts < ?"
        " ORDER BY match_attempts, updated_at LIMIT ?",
        (changed_before, max_attempts, limit),
    )
    return [_intent(r) for r in rows]


async def match_failed(db: Database, uri: str) -> None:
    await db.execute(
        "UPDATE resource_intents SET match_attempts = match_attempts + 1 WHERE uri = ?", (uri,)
    )


async def set_remaining(
    tx: Transaction, uri: str, remaining: int | None, state: IntentState, now: float
) -> None:
    await tx.execute(
        "UPDATE resource_intents SET remaining = ?, state = ?, updated_at = ? WHERE uri = ?",
        (remaining, state, now, uri),
    )


async def forget_intent(tx: Transaction, uri: str) -> bool:
    """A deleted post: it is no longer matched, and its matches go with it."""
    await tx.execute("DELETE FROM resource_matches WHERE need_uri = ? OR offer_uri = ?", (uri, uri))
    return bool(await tx.execute("DELETE FROM resource_intents WHERE uri = ?", (uri,)))


async def forget_intents_of(tx: Transaction, hub_uri: str) -> int:
    """A remote hub's account was deleted: none of its needs and offers is matched any more."""
    await tx.execute(
        "DELETE FROM resource_matches WHERE need_uri IN (SELECT uri FROM resource_intents"
        " WHERE hub_uri = ? AND local_post_id IS NULL) OR offer_uri IN (SELECT uri FROM"
        " resource_intents WHERE hub_uri = ? AND local_post_id IS NULL)",
        (hub_uri, hub_uri),
    )
    return int(await tx.execute(
        "DELETE FROM resource_intents WHERE hub_uri = ? AND local_post_id IS NULL", (hub_uri,)
    ))  # fmt: skip


async def open_candidates(
    db: Reader,
    side: Side,
    hub_uris: Sequence[str],
    categories: Sequence[str] | None,
    now: float,
    any_word: Sequence[str] | None = None,
) -> list[Intent]:
    """Open intents of `side` from `hub_uris`, in one of `categories` (None: any), not past
    their date: what the matcher scores (it checks quantities itself). With `any_word`, only
    those with one of these words (an "other" intent matches nothing else): the database
    leaves out what would only be read to be dropped."""
    if not hub_uris or (categories is not None and not categories) or (
        any_word is not None and not any_word
    ):
        return []
    where = ""
    params: list[Any] = [side]
    if categories is not None:
        where += f" AND category IN ({marks(categories)})"
        params += categories
    if any_word is not None:
        where += " AND (" + " OR ".join("(' ' || words || ' ') LIKE ? ESCAPE '\\'"
                                        for _ in any_word) + ")"  # fmt: skip
        params += [f"% {_like(w)} %" for w in any_word]
    rows = await db.fetchall(
        f"SELECT {INTENT_COLUMNS} FROM resource_intents WHERE state = 'open' AND side = ?"
        f"{where} AND hub_uri IN ({marks(hub_uris)})"
        " AND (until_at IS NULL OR until_at >= ?) AND (remaining IS NULL OR remaining > 0)",
        (*params, *hub_uris, now),
    )
    return [_intent(r) for r in rows]


def _like(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def open_listing(
    db: Reader,
    *,
    now: float,
    hub_uris: Sequence[str] | None = None,
    side: Side | None = None,
    category: str | None = None,
    place: str | None = None,
    before: float | None = None,
    before_uri: str | None = None,
    limit: int = 50,
) -> list[Intent]:
    """Open needs and offers, newest first, for the lists people read: of some hubs (None: all
    we hold), of one side, in one category, whose place contains `place` (any case), published
    before `before` (the next page). With `before_uri` (the last one shown), those published at
    `before` itself that came after it in the list count too: two published in the same instant
    are neither skipped nor shown twice across pages."""
    where = ["state = 'open'", "(until_at IS NULL OR until_at >= ?)",
             "(remaining IS NULL OR remaining > 0)"]  # fmt: skip
    params: list[Any] = [now]
    if hub_uris is not None:
        if not hub_uris:
            return []
        where.append(f"hub_uri IN ({marks(hub_uris)})")
        params += hub_uris
    if side is not None:
        where.append("side = ?")
        params.append(side)
    if category:
        where.append("category = ?")
        params.append(category)
    if place:
        where.append("lower(place) LIKE ? ESCAPE '\\'")
        params.append(f"%{_like(place.lower())}%")
    if before is not None and before_uri is not None:
        where.append("(published_at < ? OR (published_at = ? AND uri > ?))")
        params += [before, before, before_uri]
    elif before is not None:
        where.append("published_at < ?")
        params.append(before)
    rows = await db.fetchall(
        f"SELECT {INTENT_COLUMNS} FROM resource_intents WHERE {' AND '.join(where)}"
        " ORDER BY published_at DESC, uri LIMIT ?",
        (*params, limit),
    )
    return [_intent(r) for r in rows]


async def save_match(
    tx: Transaction, hub_id: int, need_uri: str, offer_uri: str, score: float,
    found_by: FoundBy, now: float,
) -> int | None:  # fmt: skip
    """Records a match our hub sees; None if it already knew this pair."""
    row = await tx.fetchone(
        "INSERT INTO resource_matches (hub_id, need_uri, offer_uri, score, found_by,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (hub_id, need_uri, offer_uri) DO NOTHING RETURNING id",
        (hub_id, need_uri, offer_uri, score, found_by, now, now),
    )
    return int(row["id"]) if row else None


async def match(db: Reader, match_id: int) -> Match | None:
    row = await db.fetchone(f"SELECT {MATCH_COLUMNS} FROM resource_matches WHERE id = ?",
                            (match_id,))  # fmt: skip
    return _match(row) if row else None


async def match_of(db: Reader, hub_id: int, need_uri: str, offer_uri: str) -> Match | None:
    row = await db.fetchone(
        f"SELECT {MATCH_COLUMNS} FROM resource_matches"
        " WHERE hub_id = ? AND need_uri = ? AND offer_uri = ?",
        (hub_id, need_uri, offer_uri),
    )
    return _match(row) if row else None


async def lock_pair(tx: Transaction, need_uri: str, offer_uri: str) -> None:
    """Takes, for the rest of the transaction, the pair's two intents (in uri order) and then
    every hub's match of the pair (in id order): one order for all, so settlements, notices,
    another of our hubs settling its side and edits of either post run one after the other
    across processes on PostgreSQL instead of deadlocking or counting on a stale remaining.
    SQLite has one writer."""
    if tx.dialect != "postgresql":
        return
    await lock_intents(tx, [need_uri, offer_uri])
    await tx.fetchall(
        "SELECT id FROM resource_matches WHERE need_uri = ? AND offer_uri = ? ORDER BY id"
        " FOR UPDATE",
        (need_uri, offer_uri),
    )


async def lock_intents(tx: Transaction, uris: Sequence[str]) -> None:
    """Intents' rows, in uri order (see lock_pair)."""
    if tx.dialect != "postgresql":
        return
    for uri in sorted(set(uris)):
        await tx.fetchone("SELECT uri FROM resource_intents WHERE uri = ? FOR UPDATE", (uri,))


async def delivered(db: Reader, hub_id: int, uri: str) -> int:
    """What the hub's matches moved of one of its intents, in all: what was fulfilled, kept
    apart from the quantity so an edit of the quantity never forgets a delivery."""
    row = await db.fetchone(
        "SELECT COALESCE(SUM(fulfilled_quantity), 0) AS n FROM resource_matches"
        " WHERE hub_id = ? AND (need_uri = ? OR offer_uri = ?)",
        (hub_id, uri, uri),
    )
    return int(row["n"]) if row else 0


async def set_reported(
    tx: Transaction, match_id: int, reported: int, whole: bool, now: float
) -> None:
    await tx.execute(
        "UPDATE resource_matches SET reported_quantity = ?, reported_whole = ?, updated_at = ?"
        " WHERE id = ?",
        (reported, int(whole), now, match_id),
    )


async def set_match_state(
    tx: Transaction, match_id: int, state: MatchState, fulfilled_quantity: int, now: float
) -> None:
    await tx.execute(
        "UPDATE resource_matches SET state = ?, fulfilled_quantity = ?, updated_at = ?"
        " WHERE id = ?",
        (state, fulfilled_quantity, now, match_id),
    )


async def matches_of_hub(
    db: Reader, hub_id: int, states: Sequence[MatchState] = LIVE_MATCH_STATES, limit: int = 100,
    *, settleable_by: str | None = None,
) -> list[Match]:  # fmt: skip
    """A hub's matches in `states`, the most recently changed first. With `settleable_by` (the
    hub's uri), only what is left to settle: its own side still open, and the other side open
    too or a delivery it reported waiting to be confirmed (a need closed by another match, or
    an offer taken elsewhere, leaves the list)."""
    settleable = ""
    params: list[Any] = [hub_id, *states]
    if settleable_by is not None:
        settleable = (
            " AND EXISTS (SELECT 1 FROM resource_intents i WHERE i.uri IN (need_uri, offer_uri)"
            " AND i.hub_uri = ? AND i.state = 'open')"
            " AND (reported_quantity > fulfilled_quantity OR reported_whole = 1"
            " OR EXISTS (SELECT 1 FROM resource_intents j WHERE j.uri IN (need_uri, offer_uri)"
            " AND j.hub_uri <> ? AND j.state = 'open'))"
        )
        params += [settleable_by, settleable_by]
    rows = await db.fetchall(
        f"SELECT {MATCH_COLUMNS} FROM resource_matches WHERE hub_id = ?"
        f" AND state IN ({marks(states)}){settleable} ORDER BY updated_at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [_match(r) for r in rows]


async def matches_since(db: Reader, host: str, since: float) -> int:
    """Matches found with an intent of `host` since `since`: the cap on one host's matching."""
    return (await matches_since_by_host(db, [host], since)).get(host, 0)


async def matches_since_by_host(
    db: Reader, hosts: Sequence[str], since: float
) -> dict[str, int]:
    """`matches_since` for several hosts in one query (those with none are left out). Each
    side of a match is looked up by its key: an OR in the join would read every intent."""
    if not hosts:
        return {}
    rows = await db.fetchall(
        "SELECT i.host AS host, count(*) AS n FROM"
        " (SELECT need_uri AS uri FROM resource_matches WHERE created_at >= ?"
        " UNION ALL SELECT offer_uri AS uri FROM resource_matches WHERE created_at >= ?) m"
        " JOIN resource_intents i ON i.uri = m.uri"
        f" WHERE i.local_post_id IS NULL AND i.host IN ({marks(hosts)}) GROUP BY i.host",
        (since, since, *hosts),
    )
    return {r["host"]: int(r["n"]) for r in rows}
