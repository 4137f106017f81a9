"""SQL for local actors, hub organisers and cached remote actors (accounts: accounts/store.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fedihub.actors.model import NEWSWIRE_USERNAME, PATH_PREFIX, ActorKind, JoinPolicy, LocalActor
from fedihub.db import Database, Row, Transaction
from fedihub.dialects import joined

_ACTOR_COLUMNS = (
    "id, kind, username, name, summary, manually_approves_followers, public_key_pem, created_at,"
    " timezone, join_policy, posting_restricted_to_mods, reshare_policy, reshare_tags, languages,"
    " icon, header"
)


def _actor(row: Row) -> LocalActor:
    return LocalActor(
        id=row["id"],
        kind=row["kind"],
        username=row["username"],
        name=row["name"],
        summary=row["summary"],
        manually_approves_followers=bool(row["manually_approves_followers"]),
        public_key_pem=row["public_key_pem"],
        created_at=row["created_at"],
        timezone=row["timezone"],
        join_policy=row["join_policy"],
        posting_restricted_to_mods=bool(row["posting_restricted_to_mods"]),
        reshare_policy=row["reshare_policy"],
        reshare_tags=tuple(t for t in row["reshare_tags"].split(",") if t),
        languages=tuple(row["languages"].split()) or ("en",),
        icon=row["icon"],
        header=row["header"],
    )


async def insert_actor(
    tx: Transaction,
    *,
    kind: ActorKind,
    username: str,
    name: str,
    summary: str,
    manually_approves_followers: bool,
    public_key_pem: str,
    private_key_pem: str,
    created_at: float,
    timezone: str = "UTC",
    languages: tuple[str, ...] = ("en",),
    join_policy: JoinPolicy = "open",
) -> int:
    return await tx.insert(
        "INSERT INTO local_actors (kind, username, name, summary, manually_approves_followers,"
        " public_key_pem, private_key_pem, created_at, timezone, languages, join_policy)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            kind,
            username,
            name,
            summary,
            int(manually_approves_followers),
            public_key_pem,
            private_key_pem,
            created_at,
            timezone,
            " ".join(languages),
            join_policy,
        ),
    )


async def get_actor(db: Database, kind: ActorKind, username: str) -> LocalActor | None:
    row = await db.fetchone(
        f"SELECT {_ACTOR_COLUMNS} FROM local_actors WHERE kind = ? AND username = ?",
        (kind, username),
    )
    return _actor(row) if row else None


async def get_actor_by_id(db: Database, actor_id: int) -> LocalActor | None:
    row = await db.fetchone(f"SELECT {_ACTOR_COLUMNS} FROM local_actors WHERE id = ?", (actor_id,))
    return _actor(row) if row else None


async def get_actor_by_username(db: Database, username: str) -> LocalActor | None:
    row = await db.fetchone(
        f"SELECT {_ACTOR_COLUMNS} FROM local_actors WHERE username = ?", (username,)
    )
    return _actor(row) if row else None


async def lock_actor(tx: Transaction, actor_id: int | None) -> None:
    """Takes a hub's row (None: the instance actor's) for the rest of the transaction, so that
    transactions which count one hub's rows against a cap and then write run one after another
    across processes on PostgreSQL. Call it first. SQLite has one writer already."""
    if tx.dialect == "postgresql":
        where = "id = ?" if actor_id is not None else "kind = 'application'"
        await tx.fetchone(
            f"SELECT id FROM local_actors WHERE {where} FOR UPDATE",
            (actor_id,) if actor_id is not None else (),
        )


async def username_in_use(tx: Transaction, username: str) -> bool:
    """Any local actor (hub, account, the newswire) named so, in the caller's transaction."""
    found = await tx.fetchone("SELECT 1 FROM local_actors WHERE username = ?", (username,))
    return found is not None


async def get_instance_actor(db: Database) -> LocalActor:
    row = await db.fetchone(
        f"SELECT {_ACTOR_COLUMNS} FROM local_actors WHERE kind = 'application' LIMIT 1"
    )
    if row is None:
        raise LookupError("this data directory has no instance actor; run `fedihub init`")
    return _actor(row)


async def private_key_pem(db: Database, actor_id: int) -> str:
    return str(
        await db.fetchval("SELECT private_key_pem FROM local_actors WHERE id = ?", (actor_id,))
    )


async def list_actors(db: Database, kind: ActorKind) -> list[LocalActor]:
    rows = await db.fetchall(
        f"SELECT {_ACTOR_COLUMNS} FROM local_actors WHERE kind = ? ORDER BY username", (kind,)
    )
    return [_actor(r) for r in rows]


async def actor_for_uri(db: Database, base_url: str, uri: str) -> LocalActor | None:
    """The local actor whose id is `uri`, if the URI is ours."""
    if not uri.startswith(base_url + "/"):
        return None
    parts = uri[len(base_url) :].split("/")
    if parts == ["", "actor"]:
        return await get_instance_actor(db)
    if parts == ["", NEWSWIRE_USERNAME]:
        return await get_actor(db, "service", NEWSWIRE_USERNAME)
    if len(parts) == 3:
        for kind, prefix in PATH_PREFIX.items():
            if parts[1] == prefix:
                return await get_actor(db, kind, parts[2])  # type: ignore[arg-type]
    return None


# Organisers


async def add_organizer(tx: Transaction, hub_id: int, account_id: int) -> None:
    await tx.execute(
        "INSERT INTO hub_organizers (hub_id, account_id) VALUES (?, ?)", (hub_id, account_id)
    )


async def is_organizer(db: Database, hub_id: int, account_id: int) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM hub_organizers WHERE hub_id = ? AND account_id = ?", (hub_id, account_id)
    )
    return row is not None


async def organizers(db: Database, hub_id: int) -> list[LocalActor]:
    rows = await db.fetchall(
        f"SELECT {', '.join('a.' + c.strip() for c in _ACTOR_COLUMNS.split(','))}"
        " FROM local_actors a JOIN hub_organizers o ON o.account_id = a.id"
        " WHERE o.hub_id = ? ORDER BY a.username",
        (hub_id,),
    )
    return [_actor(r) for r in rows]


# Remote actors


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    host: str
    type: str
    preferred_username: str | None
    inbox: str
    shared_inbox: str | None
    key_id: str | None
    public_key_pem: str | None
    fetched_at: float

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox


def remote_from_row(row: Row) -> RemoteActor:
    return RemoteActor(
        uri=row["uri"],
        host=row["host"],
        type=row["type"],
        preferred_username=row["preferred_username"],
        inbox=row["inbox"],
        shared_inbox=row["shared_inbox"],
        key_id=row["key_id"],
        public_key_pem=row["public_key_pem"],
        fetched_at=row["fetched_at"],
    )


REMOTE_COLUMNS = (
    "uri, host, type, preferred_username, inbox, shared_inbox, key_id, public_key_pem, fetched_at"
)


async def get_remote_actor(db: Database, uri: str) -> RemoteActor | None:
    row = await db.fetchone(f"SELECT {REMOTE_COLUMNS} FROM remote_actors WHERE uri = ?", (uri,))
    return remote_from_row(row) if row else None


async def get_key(db: Database, key_id: str) -> tuple[str, str] | None:
    """(owner actor id, public key PEM) for a cached key id."""
    # key_id is not unique: another actor may claim someone's key id in its own document.
    # Prefer the actor the key id names; verification fails (and refetches) for any other.
    row = await db.fetchone(
        "SELECT uri, public_key_pem FROM remote_actors"
        " WHERE key_id = ? AND public_key_pem IS NOT NULL ORDER BY uri = ? DESC LIMIT 1",
        (key_id, key_id.split("#", 1)[0]),
    )
    return (row["uri"], row["public_key_pem"]) if row else None


async def get_remote_actors(db: Database, uris: list[str]) -> list[RemoteActor]:
    found: list[RemoteActor] = []
    for start in range(0, len(uris), 500):
        chunk = uris[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT {REMOTE_COLUMNS} FROM remote_actors WHERE uri IN ({marks})", chunk
        )
        found.extend(remote_from_row(r) for r in rows)
    return found


async def save_remote_actor(db: Database, actor: RemoteActor, document: dict[str, Any]) -> None:
    await db.execute(
        "INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, shared_inbox,"
        " key_id, public_key_pem, document, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (uri) DO UPDATE SET host = excluded.host, type = excluded.type,"
        " preferred_username = excluded.preferred_username, inbox = excluded.inbox,"
        " shared_inbox = excluded.shared_inbox, key_id = excluded.key_id,"
        " public_key_pem = excluded.public_key_pem, document = excluded.document,"
        " fetched_at = excluded.fetched_at",
        (
            actor.uri,
            actor.host,
            actor.type,
            actor.preferred_username,
            actor.inbox,
            actor.shared_inbox,
            actor.key_id,
            actor.public_key_pem,
            json.dumps(document),
            actor.fetched_at,
        ),
    )


async def forget_remote_actor(tx: Transaction, uri: str) -> None:
    """A remote account was deleted: drop its cached document and key."""
    await tx.execute("DELETE FROM remote_actors WHERE uri = ?", (uri,))


@dataclass(frozen=True)
class MetGroup:
    """A remote group this instance has met, with what it last posted (newest first)."""

    uri: str
    host: str
    preferred_username: str | None
    document: dict[str, Any]
    recent: list[dict[str, Any]]


async def groups_met(db: Database, limit: int) -> list[MetGroup]:
    """Remote groups followed, re-shared, or posting for their members, the latest fetched first,
    each with up to 30 of the objects seen from it. A group that merely signed a request to us
    is not among them."""
    rows = await db.fetchall(
        "SELECT a.uri, a.host, a.preferred_username, a.document,"
        f" (SELECT {joined(db.dialect, 'o.document', 30)} FROM"
        "   (SELECT document FROM received_objects"
        "   WHERE (actor_uri = a.uri OR attributed_to = a.uri) AND deleted_at IS NULL"
        "   ORDER BY received_at DESC LIMIT 30) o) AS recent"
        " FROM remote_actors a WHERE a.type = 'Group'"
        "   AND (a.uri IN (SELECT actor_uri FROM following)"
        "   OR a.uri IN (SELECT author_uri FROM reshares)"
        "   OR a.uri IN (SELECT attributed_to FROM received_objects))"
        " ORDER BY a.fetched_at DESC LIMIT ?",
        (limit,),
    )
    return [
        MetGroup(
            uri=row["uri"],
            host=row["host"],
            preferred_username=row["preferred_username"],
            document=json.loads(row["document"]),
            recent=[json.loads(text) for text in (row["recent"] or "").split("\x1e") if text],
        )
        for row in rows
    ]


# People as pages show them


@dataclass(frozen=True)
class Person:
    """Someone as a page names them: display name, @user@host handle, avatar (a remote URL
    or our own /media path; None for none) and where their profile is."""

    uri: str
    name: str
    handle: str
    avatar: str | None
    profile: str


def _first_url(value: Any) -> str | None:
    """The URL an actor document's `icon` or `url` gives: a string, a Link or Image, or a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") if "url" in value else value.get("href")
        if isinstance(value, (list, dict)):
            return _first_url(value)
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _remote_person(row: Row) -> Person:
    document = json.loads(row["document"] or "{}")
    username = row["preferred_username"] or row["uri"].rstrip("/").rsplit("/", 1)[-1]
    name = document.get("name")
    return Person(
        uri=row["uri"],
        name=(name if isinstance(name, str) and name.strip() else username).strip()[:100],
        handle=f"@{username}@{row['host']}",
        avatar=_first_url(document.get("icon")),
        profile=_first_url(document.get("url")) or row["uri"],
    )


async def people(db: Database, base_url: str, domain: str, uris: list[str]) -> dict[str, Person]:
    """Each actor id we know as a person to show: our own accounts and hubs, and remote actors
    from their cached documents. An id we know nothing of is shown as itself."""
    found: dict[str, Person] = {}
    remote = [u for u in dict.fromkeys(uris) if not u.startswith(base_url + "/")]
    for start in range(0, len(remote), 500):
        chunk = remote[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            "SELECT uri, host, preferred_username, document FROM remote_actors"
            f" WHERE uri IN ({marks})",
            chunk,
        )
        found.update((row["uri"], _remote_person(row)) for row in rows)
    for uri in dict.fromkeys(uris):
        if uri in found:
            continue
        local = await actor_for_uri(db, base_url, uri)
        if local is not None:
            avatar = f"/media/{local.icon}" if local.icon else None
            found[uri] = Person(uri, local.name or local.username,
                                f"@{local.username}@{domain}", avatar, uri)  # fmt: skip
        else:
            found[uri] = Person(uri, uri, "", None, uri)
    return found


async def set_summary_source(tx: Transaction, actor_id: int, source: str) -> None:
    await tx.execute("UPDATE local_actors SET summary_source = ? WHERE id = ?", (source, actor_id))


async def summary_source(db: Database, actor_id: int) -> str | None:
    """The Markdown an organiser wrote for a hub's description; None when only the rendered
    HTML was kept (hubs described before it was stored)."""
    found = await db.fetchval("SELECT summary_source FROM local_actors WHERE id = ?", (actor_id,))
    return found if isinstance(found, str) and found else None
