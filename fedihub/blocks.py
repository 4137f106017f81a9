"""The list of blocked hosts, read on every inbox POST, so kept in memory for a few seconds.
A block made with the CLI (another process) takes effect within `ttl_s`."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from fedihub.db import Database


class BlockedHosts:
    def __init__(
        self, db: Database, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._hosts: frozenset[str] = frozenset()
        self._read_at: float | None = None

    async def covers(self, host: str) -> bool:
        """True for a blocked host and for any subdomain of one, as Mastodon's domain blocks."""
        blocked = await self.get()
        if host in blocked:
            return True
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        try:
            ipaddress.ip_address(name.strip("[]"))
            return name in blocked  # an address has no parent domains
        except ValueError:
            parts = name.split(".")
            return any(".".join(parts[i:]) in blocked for i in range(len(parts)))

    async def get(self) -> frozenset[str]:
        now = self._clock()
        if self._read_at is None or now - self._read_at > self._ttl_s:
            rows = await self._db.fetchall("SELECT host FROM blocked_hosts")
            self._hosts = frozenset(r[0] for r in rows)
            self._read_at = now
        return self._hosts
