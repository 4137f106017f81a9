"""The resolver's cache ages by the clock it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
