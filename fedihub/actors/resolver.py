"""Remote actors and their keys: from the cache, else by a GET signed by the instance actor."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fedihub.activitystreams import host_of, id_of, is_actor_type
from fedihub.actors import store
from fedihub.actors.keyring import KeyRing
from fedihub.actors.store import RemoteActor
from fedihub.blocks import BlockedHosts
from fedihub.client import HttpClient
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.db import Database
from fedihub.errors import FetchError, OriginError

CACHE_TTL_S = 24 * 3600
JUST_FETCHED_S = 1.0
REFETCHES_PER_HOST_PER_MINUTE = 10
# Memory stays bounded however many servers write to us: the keys least recently used past
# this many are read again from the database (~1 KB each), and hosts refetched from past this
# many lose their count (at worst a host gets a few more refetches).
MAX_CACHED_KEYS = 20_000
MAX_REFETCH_HOSTS = 10_000


def parse_actor_document(document: dict[str, Any], fetched_at: float) -> RemoteActor:
    """Validates a fetched actor document; raises FetchError naming what is wrong."""
    uri = document.get("id")
    if not isinstance(uri, str):
        raise FetchError("actor document has no id")
    kind = document.get("type")
    if not is_actor_type(kind):
        raise FetchError("%(uri)s: %(kind)r is not an actor type", uri=uri, kind=kind)
    inbox = document.get("inbox")
    if not isinstance(inbox, str) or host_of(inbox) != host_of(uri):
        raise FetchError("%(uri)s: actor has no inbox on its own host", uri=uri)
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    if not isinstance(shared, str) or host_of(shared) != host_of(uri):
        shared = None
    key = document.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), None)
    key_id = key_pem = None
    if isinstance(key, dict) and isinstance(key.get("id"), str):
        key_id = key["id"]
        key_pem = key.get("publicKeyPem") if isinstance(key.get("publicKeyPem"), str) else None
        if host_of(key_id) != host_of(uri) or id_of(key.get("owner")) not in (None, uri):
            raise OriginError("%(uri)s: its key belongs to another host or owner", uri=uri)
    username = document.get("preferredUsername")
    return RemoteActor(
        uri=uri,
        host=host_of(uri),
        type=str(kind[0] if isinstance(kind, list) else kind),
        preferred_username=username if isinstance(username, str) else None,
        inbox=inbox,
        shared_inbox=shared,
        key_id=key_id,
        public_key_pem=key_pem,
        fetched_at=fetched_at,
    )


class Resolver:
    def __init__(
        self,
        db: Database,
        client: HttpClient,
        keyring: KeyRing,
        clock: Clock = SYSTEM_CLOCK,
        blocked: BlockedHosts | None = None,
    ) -> None:
        self._db = db
        self._blocked = blocked  # nothing is fetched from a blocked host or actor
        self._client = client
        self._keyring = keyring
        self._clock = clock
        self._refetches: OrderedDict[str, list[float]] = OrderedDict()
        # key id -> (owner, PEM, cached at): verification is on the inbox's hot path.
        self._keys: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
        self._instance_actor_id: int | None = None
        # One fetch per URI at a time: a burst of requests naming an unknown key or actor
        # (answers to a fan-out, boosts of a popular post) would otherwise fetch it once each.
        # A lock per URI, not shared stripes: a host that never answers must not hold up
        # fetches of anyone else's key. Each lock lives only while someone holds or awaits it.
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: Counter[str] = Counter()

    async def fetch_object(self, uri: str) -> dict[str, Any]:
        """Any object (a poll to vote in, say), fetched fresh and signed by the instance actor."""
        return await self._fetch(uri)

    async def _refuse_blocked(self, uri: str) -> None:
        if self._blocked is not None and await self._blocked.refuses(uri.split("#", 1)[0]):
            raise FetchError("%(uri)s: that server or account is blocked here", uri=uri)

    async def _fetch(self, uri: str) -> dict[str, Any]:
        await self._refuse_blocked(uri)
        if self._instance_actor_id is None:
            self._instance_actor_id = (await store.get_instance_actor(self._db)).id
        secret = await self._keyring.secret_for(self._instance_actor_id)
        return await self._client.fetch_json(uri, secret)

    @asynccontextmanager
    async def _one_fetch_of(self, uri: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(uri, asyncio.Lock())
        self._lock_users[uri] += 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[uri] -= 1
            if self._lock_users[uri] == 0:
                del self._lock_users[uri], self._locks[uri]

    async def actor(self, uri: str, *, refresh: bool = False) -> RemoteActor:
        # A refresh is satisfied only by a fetch made while it waited for the lock.
        fresh_for = JUST_FETCHED_S if refresh else CACHE_TTL_S
        cached = await store.get_remote_actor(self._db, uri)
        if cached and self._clock.now() - cached.fetched_at < fresh_for:
            return cached
        async with self._one_fetch_of(uri):
            cached = await store.get_remote_actor(self._db, uri)
            if cached and self._clock.now() - cached.fetched_at < fresh_for:
                return cached
            return await self._fetch_actor(uri)

    async def actor_at(self, address: str) -> RemoteActor:
        """The actor an address people copy leads to: its id, or a profile page
        (https://server/@name) that answers with the actor's document under another id, which
        must be on the same host."""
        cached = await store.get_remote_actor(self._db, address)
        if cached is not None:
            return cached
        document = await self._fetch(address)
        uri = document.get("id")
        if not isinstance(uri, str) or host_of(uri) != host_of(address):
            raise FetchError("%(uri)s: no account of that server is there", uri=address)
        return await self.actor(uri)

    async def _fetch_actor(self, uri: str) -> RemoteActor:
        document = await self._fetch(uri)
        actor = parse_actor_document(document, self._clock.now())
        if actor.uri != uri:
            raise FetchError("%(uri)s: fetched actor has id %(id)s", uri=uri, id=actor.uri)
        await store.save_remote_actor(self._db, actor, document)
        return actor

    def may_refetch(self, host: str, now: float) -> bool:
        """Bounds forced key refetches per host, so a flood of bad signatures costs us little."""
        recent = [t for t in self._refetches.get(host, []) if now - t < 60]
        allowed = len(recent) < REFETCHES_PER_HOST_PER_MINUTE
        if allowed:
            recent.append(now)
        self._refetches[host] = recent
        self._refetches.move_to_end(host)
        if len(self._refetches) > MAX_REFETCH_HOSTS:
            self._refetches.popitem(last=False)
        return allowed

    async def key(self, key_id: str, *, refresh: bool = False) -> tuple[str, str]:
        """(owner actor id, public key PEM) for a signature's keyId; the claim is two-way."""
        await self._refuse_blocked(key_id)  # not even a cached key of a blocked server
        if refresh and not self.may_refetch(host_of(key_id), self._clock.now()):
            refresh = False
        if not refresh and (known := await self._cached_key(key_id)):
            return known
        async with self._one_fetch_of(key_id):
            hit = self._keys.get(key_id)
            if hit and self._clock.now() - hit[2] < JUST_FETCHED_S:  # fetched while we waited
                return hit[0], hit[1]
            return await self._fetch_key(key_id)

    async def _cached_key(self, key_id: str) -> tuple[str, str] | None:
        hit = self._keys.get(key_id)
        if hit and self._clock.now() - hit[2] < CACHE_TTL_S:
            self._keys.move_to_end(key_id)
            return hit[0], hit[1]
        stored = await store.get_key(self._db, key_id)
        if stored:
            self._remember_key(key_id, *stored)
        return stored

    def _remember_key(self, key_id: str, owner: str, pem: str) -> None:
        self._keys[key_id] = (owner, pem, self._clock.now())
        self._keys.move_to_end(key_id)
        if len(self._keys) > MAX_CACHED_KEYS:
            self._keys.popitem(last=False)  # the least recently used

    async def _fetch_key(self, key_id: str) -> tuple[str, str]:
        document = await self._fetch(key_id.split("#", 1)[0])
        if is_actor_type(document.get("type")):
            owner_uri = document["id"]
        else:
            # A separate key document: its owner must name this key back.
            owner_uri = id_of(document.get("owner"))
            if not owner_uri:
                raise FetchError("%(key_id)s: key document names no owner", key_id=key_id)
        actor = (
            parse_actor_document(document, self._clock.now())
            if owner_uri == document.get("id")
            else await self._fetch_actor(owner_uri)
        )
        if owner_uri == document.get("id"):
            await store.save_remote_actor(self._db, actor, document)
        if actor.key_id != key_id or not actor.public_key_pem:
            raise FetchError(
                "%(key_id)s: the actor %(owner)s does not claim this key",
                key_id=key_id,
                owner=owner_uri,
            )
        if host_of(key_id) != actor.host:
            raise OriginError("%(key_id)s: key and owner are on different hosts", key_id=key_id)
        self._remember_key(key_id, actor.uri, actor.public_key_pem)
        return actor.uri, actor.public_key_pem
