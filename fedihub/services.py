"""The collaborators every capability function needs, built once per process and passed in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fedihub import settings
from fedihub.actors.keyring import KeyRing
from fedihub.actors.resolver import Resolver
from fedihub.blocks import BlockedHosts
from fedihub.client import HttpClient
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.config import Config, load_config
from fedihub.db import Database
from fedihub.engine import open_database

if TYPE_CHECKING:  # the kinds are assembled above the capabilities (fedihub/kinds) and passed in
    from fedihub.posts.kind import PostKinds


def _no_op() -> None:
    return None


@dataclass
class Services:
    config: Config
    db: Database
    client: HttpClient
    keyring: KeyRing
    resolver: Resolver
    blocked: BlockedHosts
    # Every kind of post, with the hooks events and polls give theirs (posts asks it, never them).
    kinds: PostKinds
    # Set by the server so work enqueued in-process is picked up at once; the CLI leaves it.
    wake_delivery: Callable[[], None] = field(default=_no_op)
    wake_scheduler: Callable[[], None] = field(default=_no_op)
    # What time it is; tests pass a FixedClock. Everything that stores or compares a time reads it.
    clock: Clock = SYSTEM_CLOCK

    def new_activity_uri(self) -> str:
        return f"{self.config.base_url}/activities/{uuid.uuid4()}"


async def open_services(config: Config, kinds: PostKinds, clock: Clock = SYSTEM_CLOCK) -> Services:
    db = await open_database(config.database_target)
    # The settings an admin stored at /admin count over config.toml's, for the server, every
    # command and every test alike.
    config = await settings.apply_stored(config, db)
    client = HttpClient.create(config, clock)
    keyring = KeyRing(db, config.base_url)
    resolver = Resolver(db, client, keyring, clock)
    blocked = BlockedHosts(db, clock=clock.monotonic)
    return Services(config, db, client, keyring, resolver, blocked, kinds, clock=clock)


async def close_services(services: Services) -> None:
    await services.client.close()
    await services.db.close()


@asynccontextmanager
async def services_for(data_dir: Path, kinds: PostKinds) -> AsyncIterator[Services]:
    services = await open_services(load_config(data_dir), kinds)
    try:
        yield services
    finally:
        await close_services(services)
