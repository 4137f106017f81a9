"""The resolver's cache ages by the clock it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedihub.actors import resolver as resolver_module
from fedihub.actors import store
from fedihub.actors.resolver import CACHE_TTL_S, Resolver, parse_actor_document
from fedihub.clock import FixedClock
from fedihub.engine import open_database

ALICE = "https://remote.example/users/alice"


async def test_a_cached_actor_is_fresh_until_the_clock_says_otherwise(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "db.sqlite3")
    document = {"id": ALICE, "type": "Person", "inbox": f"{ALICE}/inbox"}
    await store.save_remote_actor(db, parse_actor_document(document, 1000.0), document)
    clock = FixedClock(at=1000.0)
    # No client and no instance actor: any fetch fails, so a result came from the cache.
    nothing: Any = None
    resolver = Resolver(db, nothing, nothing, clock)
    try:
        clock.advance(CACHE_TTL_S - 1)
        assert (await resolver.actor(ALICE)).uri == ALICE
        clock.advance(2)
        with pytest.raises(LookupError, match="instance actor"):
            await resolver.actor(ALICE)
    finally:
        await db.close()


async def test_the_key_cache_keeps_the_most_recently_used_keys_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded however many servers sign requests to us: past MAX_CACHED_KEYS, the
    least recently used key is forgotten and read again from the database when it comes back."""
    monkeypatch.setattr(resolver_module, "MAX_CACHED_KEYS", 2)
    db = await open_database(tmp_path / "db.sqlite3")
    uris = [f"https://remote{n}.example/users/u" for n in range(3)]
    for uri in uris:
        key = {"id": f"{uri}#key", "owner": uri, "publicKeyPem": f"PEM {uri}"}
        document = {"id": uri, "type": "Person", "inbox": f"{uri}/inbox", "publicKey": key}
        await store.save_remote_actor(db, parse_actor_document(document, 1000.0), document)
    nothing: Any = None  # no client: a key neither cached nor stored cannot be found
    resolver = Resolver(db, nothing, nothing, FixedClock(at=1000.0))
    try:
        for uri in uris:  # remote0 is the least recently used when remote2 comes in
            assert await resolver.key(f"{uri}#key") == (uri, f"PEM {uri}")
        async with db.transaction() as tx:
            for uri in uris:
                await store.forget_remote_actor(tx, uri)
        for uri in uris[1:]:  # still held in memory
            assert await resolver.key(f"{uri}#key") == (uri, f"PEM {uri}")
        with pytest.raises(LookupError):  # forgotten by the cache: a fetch is tried, and fails
            await resolver.key(f"{uris[0]}#key")
    finally:
        await db.close()
