"""The newswire's tables: items, web submitters' contact addresses, trusted sources, editors."""

from __future__ import annotations

from dataclasses import replace

from fedihub.db import Database, Row, Transaction
from fedihub.newswire.model import Item, State, Submission, item_path

_COLUMNS = (
    "id, object_uri, origin, state, headline, summary, link, hub_name, hub_uri, place, language,"
    " tags, submitter_uri, source_host, via_uri, activity_uri, submitted_at, published_at,"
    " decided_at, decided_by, reason"
)
PAGE = 30


def _item(row: Row) -> Item:
    return Item(
        id=row["id"], object_uri=row["object_uri"] or "", origin=row["origin"],
        state=row["state"], headline=row["headline"], summary=row["summary"], link=row["link"],
        hub_name=row["hub_name"], hub_uri=row["hub_uri"], place=row["place"],
        language=row["language"], tags=tuple(t for t in row["tags"].split() if t),
        submitter_uri=row["submitter_uri"], source_host=row["source_host"],
        via_uri=row["via_uri"], activity_uri=row["activity_uri"],
        submitted_at=row["submitted_at"], published_at=row["published_at"],
        decided_at=row["decided_at"], decided_by=row["decided_by"], reason=row["reason"],
    )  # fmt: skip


async def insert_item(
    tx: Transaction, submission: Submission, state: State, base_url: str, now: float
) -> Item | None:
    """Stores a submission; None if the object it boosts is an item already (no duplicates).
    An item of our own gets its address (/newswire/items/ID) as its object."""
    s = submission
    row = await tx.fetchone(
        "INSERT INTO newswire_items (object_uri, origin, state, headline, summary, link,"
        " hub_name, hub_uri, place, language, tags, submitter_uri, source_host, via_uri,"
        " submitted_at, published_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
        (s.object_uri or None, s.origin, state, s.headline, s.summary, s.link, s.hub_name,
         s.hub_uri, s.place, s.language, " ".join(s.tags), s.submitter_uri, s.source_host,
         s.via_uri, now, now if state == "published" else None),
    )  # fmt: skip
    if row is None:
        return None
    item = _item(row)
    if not s.object_uri:
        uri = base_url + item_path(item.id)
        await tx.execute("UPDATE newswire_items SET object_uri = ? WHERE id = ?", (uri, item.id))
        item = replace(item, object_uri=uri)
    if s.contact_email:
        await tx.execute(
            "INSERT INTO newswire_contacts (item_id, email) VALUES (?, ?)",
            (item.id, s.contact_email),
        )
    return item


async def get_item(db: Database | Transaction, item_id: int) -> Item | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM newswire_items WHERE id = ?", (item_id,))
    return _item(row) if row else None


async def item_for_object(db: Database | Transaction, object_uri: str) -> Item | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM newswire_items WHERE object_uri = ?", (object_uri,)
    )
    return _item(row) if row else None


async def published(
    db: Database, *, before: float | None = None, since: float | None = None, limit: int = PAGE
) -> list[Item]:
    """Published items, newest first: those published before `before` and from `since` on."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM newswire_items WHERE state = 'published'"
        " AND published_at < ? AND published_at >= ? ORDER BY published_at DESC, id DESC LIMIT ?",
        (before if before is not None else float("inf"), since or 0.0, limit),
    )
    return [_item(r) for r in rows]


async def published_page(
    db: Database, *, before_id: int | None = None, tag: str = "", language: str = "",
    limit: int = PAGE,
) -> list[Item]:  # fmt: skip
    """A page of the front page: published items, newest first, after the item `before_id`
    (in that order), with the tag `tag` and in `language` when given."""
    where: list[str] = ["state = 'published'"]
    params: list[object] = []
    if before_id is not None:
        where.append("(published_at, id) < (SELECT published_at, id FROM newswire_items"
                     " WHERE id = ?)")  # fmt: skip
        params.append(before_id)
    if tag:
        escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("(' ' || tags || ' ') LIKE ? ESCAPE '\\'")
        params.append(f"% {escaped} %")
    if language:
        where.append("language = ?")
        params.append(language)
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM newswire_items WHERE {' AND '.join(where)}"
        " ORDER BY published_at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [_item(r) for r in rows]


async def queued(db: Database, limit: int = 100) -> list[Item]:
    """Items waiting for an editor, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM newswire_items WHERE state = 'queued'"
        " ORDER BY submitted_at, id LIMIT ?",
        (limit,),
    )
    return [_item(r) for r in rows]


async def contact_of(db: Database, item_id: int) -> str | None:
    """A web submitter's address: for editors' eyes only."""
    value: str | None = await db.fetchval(
        "SELECT email FROM newswire_contacts WHERE item_id = ?", (item_id,)
    )
    return value


async def forget_contacts(db: Database, submitted_before: float) -> int:
    """Web submitters' addresses are kept while an editor may need to ask them something:
    those of items submitted before `submitted_before` and decided since are deleted."""
    return await db.execute(
        "DELETE FROM newswire_contacts WHERE item_id IN (SELECT id FROM newswire_items"
        " WHERE submitted_at < ? AND state <> 'queued')",
        (submitted_before,),
    )


async def decide(
    tx: Transaction,
    item_id: int,
    *,
    from_states: tuple[State, ...],
    to: State,
    by: str,
    reason: str,
    now: float,
) -> Item | None:
    """Moves an item from one of `from_states` to `to`; None if it was in none of them (someone
    else decided first). Publishing sets `published_at`."""
    marks = ", ".join("?" for _ in from_states)
    row = await tx.fetchone(
        "UPDATE newswire_items SET state = ?, decided_at = ?, decided_by = ?, reason = ?,"
        " published_at = CASE WHEN ? = 'published' THEN ? ELSE published_at END"
        f" WHERE id = ? AND state IN ({marks}) RETURNING {_COLUMNS}",
        (to, now, by, reason, to, now, item_id, *from_states),
    )
    return _item(row) if row else None


async def set_activity(tx: Transaction, item_id: int, activity_uri: str) -> None:
    await tx.execute(
        "UPDATE newswire_items SET activity_uri = ? WHERE id = ?", (activity_uri, item_id)
    )


async def submitted_since(
    db: Database, *, submitter_uri: str = "", source_host: str = "", since: float
) -> int:
    """Items (in any state) from this submitter, or from this host, since `since`."""
    column, value = ("submitter_uri", submitter_uri) if submitter_uri else (
        "source_host", source_host)  # fmt: skip
    count: int = await db.fetchval(
        f"SELECT count(*) FROM newswire_items WHERE {column} = ? AND submitted_at >= ?",
        (value, since),
    )
    return count


# Trusted sources


async def is_trusted(db: Database, actor_uri: str) -> bool:
    if not actor_uri:
        return False
    return bool(
        await db.fetchval("SELECT 1 FROM newswire_trusted WHERE actor_uri = ?", (actor_uri,))
    )


async def trust(tx: Transaction, actor_uri: str, by: str, now: float) -> None:
    await tx.execute(
        "INSERT INTO newswire_trusted (actor_uri, trusted_by, trusted_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (actor_uri, by, now),
    )


async def distrust(tx: Transaction, actor_uri: str) -> bool:
    return bool(await tx.execute("DELETE FROM newswire_trusted WHERE actor_uri = ?", (actor_uri,)))


async def trusted(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT actor_uri, trusted_by, trusted_at FROM newswire_trusted ORDER BY actor_uri"
    )


# Editors


async def is_editor(db: Database, account_id: int) -> bool:
    return bool(
        await db.fetchval("SELECT 1 FROM newswire_editors WHERE account_id = ?", (account_id,))
    )


async def add_editor(tx: Transaction, account_id: int, now: float) -> None:
    await tx.execute(
        "INSERT INTO newswire_editors (account_id, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (account_id, now),
    )


async def remove_editor(tx: Transaction, account_id: int) -> bool:
    return bool(
        await tx.execute("DELETE FROM newswire_editors WHERE account_id = ?", (account_id,))
    )


async def editor_names(db: Database) -> list[str]:
    rows = await db.fetchall(
        "SELECT a.username FROM newswire_editors e JOIN local_actors a ON a.id = e.account_id"
        " ORDER BY a.username"
    )
    return [r["username"] for r in rows]
