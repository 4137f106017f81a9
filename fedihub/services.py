"""The collaborators every capability function needs, built once per process and passed in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
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
from fedihub.instance import ensure_newswire

if TYPE_CHECKING:  # the kinds are assembled above the capabilities (fedihub/kinds) and passed in
    from fedihub.posts.kind import PostKinds


# The queues whose workers a write wakes; also the channels (LISTEN/NOTIFY on PostgreSQL, socket
# notices on SQLite) that carry the wake-up to the workers of other processes.
INBOX_CHANNEL = "fedihub_inbox"
DELIVERIES_CHANNEL = "fedihub_deliveries"
SCHEDULER_CHANNEL = "fedihub_scheduler"
MAIL_CHANNEL = "fedihub_mail"
CHANNELS = (INBOX_CHANNEL, DELIVERIES_CHANNEL, SCHEDULER_CHANNEL, MAIL_CHANNEL)
MEDIA_THREADS = 8  # the media store's calls at once (each an image, or 64 KiB of one)


class Wakeups:
    """Work was written: the workers that do it should look now, not at their next idle poll.
    `wake(channel)` wakes this process's worker for it (if it runs one, see `here`) and tells
    the other processes (`Database.notify`: on PostgreSQL a NOTIFY, on SQLite a datagram to each
    listener's socket);
    `listen` wakes this process's workers when another process tells. The polls stay as the
    safety net."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._here: dict[str, Callable[[], None]] = {}

    def here(self, channel: str, wake: Callable[[], None]) -> None:
        """This process runs the worker for `channel`; `wake` wakes it."""
        self._here[channel] = wake

    def wake(self, channel: str) -> None:
        self.heard(channel)
        self._db.notify(channel)

    def heard(self, channel: str) -> None:
        if (wake := self._here.get(channel)) is not None:
            wake()

    async def listen(self) -> None:
        """Until cancelled: another process's notices wake the workers registered `here`."""
        await self._db.listen(sorted(self._here), self.heard)


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
    # What time it is; tests pass a FixedClock. Everything that stores or compares a time reads it.
    clock: Clock = SYSTEM_CLOCK
    # The server registers its workers here, so work enqueued in any process is picked up at once.
    wakeups: Wakeups = field(init=False)
    # The media store's blocking calls (files, S3) run here, never on the event loop's default
    # executor, which the resolver's DNS lookups need: a hung store cannot starve federation.
    media_threads: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.wakeups = Wakeups(self.db)
        self.media_threads = ThreadPoolExecutor(MEDIA_THREADS, thread_name_prefix="media")

    def wake_delivery(self) -> None:
        """Deliveries were enqueued (and committed)."""
        self.wakeups.wake(DELIVERIES_CHANNEL)

    def wake_scheduler(self) -> None:
        """Something the scheduler looks at changed (and was committed)."""
        self.wakeups.wake(SCHEDULER_CHANNEL)

    def new_activity_uri(self) -> str:
        return f"{self.config.base_url}/activities/{uuid.uuid4()}"


async def open_services(config: Config, kinds: PostKinds, clock: Clock = SYSTEM_CLOCK) -> Services:
    db = await open_database(config.database_target)
    # The settings an admin stored at /admin count over config.toml's, for the server, every
    # command and every test alike.
    config = await settings.apply_stored(config, db)
    await ensure_newswire(db, clock)
    client = HttpClient.create(config, clock)
    keyring = KeyRing(db, config.base_url)
    blocked = BlockedHosts(db, ttl_s=config.blocks_reread_s, clock=clock.monotonic)
    resolver = Resolver(db, client, keyring, clock, blocked)
    return Services(config, db, client, keyring, resolver, blocked, kinds, clock=clock)


async def close_services(services: Services) -> None:
    await services.client.close()
    await services.db.close()
    # Not waiting for calls a hung store holds: they end with it, or with the process.
    services.media_threads.shutdown(wait=False, cancel_futures=True)


@asynccontextmanager
async def services_for(data_dir: Path, kinds: PostKinds) -> AsyncIterator[Services]:
    services = await open_services(load_config(data_dir), kinds)
    try:
        yield services
    finally:
        await close_services(services)
