"""SQL for the posts hubs publish, of every kind (a call's occurrences are posts too), and for
deferred Updates of a post whose counts (participants, votes) changed. Where a query is about
some kinds only, the caller names them from the registry (`PostKinds.names_where`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

from fedihub.db import Database, Row, Transaction
from fedihub.dialects import json_member
from fedihub.posts.fieldreaders import Status
from fedihub.posts.kind import KindName, PostDraft

_COLUMNS = (
    "id, actor_id, author_id, kind, title, source_markdown, content_html, fields, starts_at,"
    " ends_at, status, series_id, published_at, updated_at, deleted_at, closed_at"
)
_FIELDS = _COLUMNS.replace(" ", "").split(",").index("fields")


@dataclass(frozen=True)
class Post:
    id: int
    actor_id: int
    author_id: int | None
    kind: KindName
    title: str | None
    source_markdown: str
    content_html: str
    fields: Mapping[str, Any]  # read-only: a Post read from the database may be shared
    starts_at: float | None
    ends_at: float | None
    status: Status
    series_id: int | None
    published_at: float
    updated_at: float | None
    deleted_at: float | None
    closed_at: float | None = None  # polls and proposals: when the final result went out

    @property
    def is_occurrence(self) -> bool:
        return self.series_id is not None


# Posts already read, by every value of their row: a page rendered on every request reads the
# same 60 posts each time, and building each again (its fields' JSON, a frozen dataclass) was
# a tenth of a busy hub's dashboard (issue 18). The row is the key, so a post changed in any
# column is a new entry, never a stale one; Post is frozen and its fields a read-only Mapping
# (mypy holds code to that), which is what makes sharing one between requests safe.
_ALREADY_READ: dict[tuple[Any, ...], Post] = {}
_KEEP_READ = 2_048  # a few MB at most; emptied, not evicted one by one, when full


Typed = TypeVar("Typed")
# A post's fields as `read` types them, by the identity of the fields read (kept alongside, so
# an id is never reused while its entry stands): a shared Post's are worked out once.
_TYPED: dict[tuple[int, object], tuple[Mapping[str, Any], object]] = {}


def typed_fields(post: Post, read: Callable[[Mapping[str, Any]], Typed]) -> Typed:
    """`read(post.fields)` (a kind's `from_json`, which gives a frozen dataclass), once per post
    read from the database: pages list the same posts on every request."""
    key = (id(post.fields), read)
    kept = _TYPED.get(key)
    if kept is not None and kept[0] is post.fields:
        return cast(Typed, kept[1])
    typed = read(post.fields)
    if len(_TYPED) >= _KEEP_READ:
        _TYPED.clear()
    _TYPED[key] = (post.fields, typed)
    return typed


def _post(row: Row) -> Post:
    """A row of `SELECT {_COLUMNS}`, read by position (pages read hundreds a second)."""
    key = tuple(row)
    post = _ALREADY_READ.get(key)
    if post is None:
        values = list(key)
        values[_FIELDS] = json.loads(values[_FIELDS])
        post = Post(*values)
        if len(_ALREADY_READ) >= _KEEP_READ:
            _ALREADY_READ.clear()
        _ALREADY_READ[key] = post
    return post


async def insert_post(
    tx: Transaction, *, actor_id: int, author_id: int | None, draft: PostDraft, now: float
) -> Post:
    post_id = await tx.insert(
        "INSERT INTO posts (actor_id, author_id, kind, title, source_markdown, content_html,"
        " fields, starts_at, ends_at, status, published_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (actor_id, author_id, draft.kind, draft.title, draft.source_markdown, draft.content_html,
         json.dumps(draft.fields), draft.starts_at, draft.ends_at, draft.status, now),
    )  # fmt: skip
    return Post(post_id, actor_id, author_id, draft.kind, draft.title, draft.source_markdown,
                draft.content_html, draft.fields, draft.starts_at, draft.ends_at, draft.status,
                None, now, None, None)  # fmt: skip


async def insert_occurrence(
    tx: Transaction, series: Post, starts_at: float, ends_at: float, now: float
) -> Post | None:
    """One dated occurrence of a series, of its kind; None if it already exists (restarts are
    safe)."""
    row = await tx.fetchone(
        "INSERT INTO posts (actor_id, author_id, kind, title, source_markdown, content_html,"
        " starts_at, ends_at, status, series_id, published_at)"
        " VALUES (?, ?, ?, ?, '', '', ?, ?, ?, ?, ?)"
        " ON CONFLICT (series_id, starts_at) WHERE series_id IS NOT NULL DO NOTHING RETURNING id",
        (series.actor_id, series.author_id, series.kind, series.title, starts_at, ends_at,
         series.status, series.id, now),
    )  # fmt: skip
    if row is None:
        return None
    return replace(
        series, id=row[0], source_markdown="", content_html="", fields={}, starts_at=starts_at,
        ends_at=ends_at, series_id=series.id, published_at=now,
    )  # fmt: skip


async def update_post(tx: Transaction, post: Post, draft: PostDraft, now: float) -> Post:
    await tx.execute(
        "UPDATE posts SET title = ?, source_markdown = ?, content_html = ?, fields = ?,"
        " starts_at = ?, ends_at = ?, status = ?, updated_at = ? WHERE id = ?",
        (draft.title, draft.source_markdown, draft.content_html, json.dumps(draft.fields),
         draft.starts_at, draft.ends_at, draft.status, now, post.id),
    )  # fmt: skip
    return replace(post, title=draft.title, source_markdown=draft.source_markdown,
                   content_html=draft.content_html, fields=draft.fields,
                   starts_at=draft.starts_at, ends_at=draft.ends_at, status=draft.status,
                   updated_at=now)  # fmt: skip


async def set_status(
    tx: Transaction,
    post: Post,
    status: Status,
    title: str | None,
    now: float,
    ends_at: float | None = None,
) -> Post:
    """Cancels an event, or makes an occurrence follow its series' title, status and length."""
    ends_at = post.ends_at if ends_at is None else ends_at
    await tx.execute(
        "UPDATE posts SET status = ?, title = ?, ends_at = ?, updated_at = ? WHERE id = ?",
        (status, title, ends_at, now, post.id),
    )
    return replace(post, status=status, title=title, ends_at=ends_at, updated_at=now)


async def mark_deleted(tx: Transaction, post_ids: list[int], now: float) -> None:
    await tx.executemany(
        "UPDATE posts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        [(now, post_id) for post_id in post_ids],
    )


async def get_post(db: Database, actor_id: int, post_id: int) -> Post | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM posts WHERE id = ? AND actor_id = ?", (post_id, actor_id)
    )
    return _post(row) if row else None


async def lock_post(tx: Transaction, post_id: int) -> None:
    """Takes the post's row for the rest of the transaction, so that transactions which count
    something of one post (attendance, a voter's choices, arrival order) and then write run one
    after another across processes on PostgreSQL. Call it first. SQLite has one writer already."""
    if tx.dialect == "postgresql":
        await tx.fetchone("SELECT id FROM posts WHERE id = ? FOR UPDATE", (post_id,))


async def get_post_by_id(db: Database | Transaction, post_id: int) -> Post | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM posts WHERE id = ?", (post_id,))
    return _post(row) if row else None


async def posts_by_id(db: Database, post_ids: set[int]) -> dict[int, Post]:
    """Many posts by id in one query (the series of the occurrences a page lists)."""
    if not post_ids:
        return {}
    marks = ",".join("?" * len(post_ids))
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM posts WHERE id IN ({marks})", list(post_ids))
    return {row["id"]: _post(row) for row in rows}


def _marks(values: tuple[object, ...]) -> str:
    return ",".join("?" * len(values))


async def latest_posts(
    db: Database, actor_id: int, limit: int, kinds: tuple[KindName, ...] = ()
) -> list[Post]:
    """A hub's newest posts (occurrences excluded: their series stands for them)."""
    if kinds:
        return (await latest_posts_of(db, actor_id, [(kinds, limit)]))[0]
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE actor_id = ? AND deleted_at IS NULL"
        " AND series_id IS NULL ORDER BY id DESC LIMIT ?",
        (actor_id, limit),
    )
    return [_post(r) for r in rows]


async def latest_posts_of(
    db: Database, actor_id: int, lists: Sequence[tuple[tuple[KindName, ...], int]]
) -> list[list[Post]]:
    """Several of a hub's `latest_posts(kinds, limit)` lists (a hub's page shows four) in one
    query, each as `latest_posts` gives it."""
    limits: dict[KindName, int] = {}
    for kinds, limit in lists:
        for kind in kinds:
            limits[kind] = max(limit, limits.get(kind, 0))
    # Each kind's newest from the index posts_listed: with `kind IN (…)` the planner walks all
    # the hub's posts, newest first, to avoid a sort.
    each = (
        f"SELECT * FROM (SELECT {_COLUMNS} FROM posts WHERE actor_id = ? AND deleted_at IS NULL"
        " AND series_id IS NULL AND kind = ? ORDER BY id DESC LIMIT ?) AS of_kind{n}"
    )
    rows = await db.fetchall(
        " UNION ALL ".join(each.format(n=n) for n in range(len(limits))),
        [v for kind, limit in limits.items() for v in (actor_id, kind, limit)],
    ) if limits else []  # fmt: skip
    by_kind: dict[KindName, list[Post]] = {kind: [] for kind in limits}
    for row in rows:
        post = _post(row)
        by_kind[post.kind].append(post)
    found = []
    for kinds, limit in lists:
        if not kinds:  # as in latest_posts: every kind
            found.append(await latest_posts(db, actor_id, limit))
            continue
        merged = [post for kind in dict.fromkeys(kinds) for post in by_kind[kind]]
        found.append(sorted(merged, key=lambda post: post.id, reverse=True)[:limit])
    return found


async def upcoming(
    db: Database, actor_id: int | None, now: float, limit: int, dated: tuple[KindName, ...]
) -> list[Post]:
    """Posts of the `dated` kinds and occurrences not yet over, soonest first; one hub's or every
    hub's."""
    hub_filter = "AND actor_id = ?" if actor_id is not None else ""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE ends_at > ? AND deleted_at IS NULL"
        f" AND (kind IN ({_marks(dated)}) OR series_id IS NOT NULL) {hub_filter}"
        " ORDER BY starts_at, id LIMIT ?",
        (now, *dated, *([actor_id] if actor_id is not None else []), limit),
    )
    return [_post(r) for r in rows]


async def calendar_posts(
    db: Database,
    actor_id: int | None,
    since: float,
    kinds: tuple[KindName, ...],
    series_kinds: tuple[KindName, ...],
) -> list[Post]:
    """What a calendar feed lists: posts of the calendar `kinds` ending after `since`, and series
    of the `series_kinds` with a rule; cancelled ones included so calendars can show them struck
    through."""
    hub_filter = "AND actor_id = ?" if actor_id is not None else ""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE deleted_at IS NULL AND series_id IS NULL"
        f" AND kind IN ({_marks(kinds)}) {hub_filter}"
        f" AND (ends_at > ? OR (kind IN ({_marks(series_kinds)})"
        f" AND {json_member(db.dialect, 'fields', 'schedule')} IS NOT NULL))"
        " ORDER BY starts_at, id LIMIT 1000",
        (*kinds, *([actor_id] if actor_id is not None else []), since, *series_kinds),
    )
    return [_post(r) for r in rows]


async def cancelled_occurrences(db: Database, series_id: int) -> list[Post]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE series_id = ? AND status = 'cancelled'"
        " AND deleted_at IS NULL",
        (series_id,),
    )
    return [_post(r) for r in rows]


async def occurrences_of(db: Database | Transaction, series_id: int, after: float) -> list[Post]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE series_id = ? AND ends_at > ? AND deleted_at IS NULL"
        " ORDER BY starts_at",
        (series_id, after),
    )
    return [_post(r) for r in rows]


async def recurring_series(db: Database, kinds: tuple[KindName, ...]) -> list[Post]:
    """Series of the `kinds` with occurrences that may still need occurrences federated."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM posts WHERE kind IN ({_marks(kinds)}) AND series_id IS NULL"
        " AND deleted_at IS NULL AND status != 'cancelled'",
        kinds,
    )
    return [_post(r) for r in rows]


async def calendar_fingerprint(db: Database, actor_id: int | None) -> str:
    """Changes whenever a calendar's content may: a post added, edited, cancelled or deleted."""
    hub_filter = "WHERE actor_id = ?" if actor_id is not None else ""
    row = await db.fetchone(
        "SELECT count(*), max(id), max(coalesce(updated_at, 0)), max(coalesce(deleted_at, 0))"
        f" FROM posts {hub_filter}",
        (actor_id,) if actor_id is not None else (),
    )
    return ":".join(str(v) for v in row) if row else ""


async def defer_update(tx: Transaction, post_id: int, due_at: float) -> None:
    """Asks for one Update of the post by `due_at`; an earlier request already waiting wins, so
    a burst of changes is sent once, no later than the delay after the first."""
    await tx.execute(
        "INSERT INTO pending_updates (post_id, due_at) VALUES (?, ?)"
        " ON CONFLICT (post_id) DO NOTHING",
        (post_id, due_at),
    )


async def take_due_updates(tx: Transaction, now: float) -> list[int]:
    rows = await tx.fetchall(
        "DELETE FROM pending_updates WHERE due_at <= ? RETURNING post_id", (now,)
    )
    return [row[0] for row in rows]


async def next_update_due(db: Database) -> float | None:
    value = await db.fetchval("SELECT min(due_at) FROM pending_updates")
    return float(value) if value is not None else None
