"""The list of blocked hosts, read on every inbox POST, so kept in memory for a few seconds.
A block made with the CLI (another process) takes effect within `ttl_s`."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from fedihub.clock import SYSTEM_CLOCK
from fedihub.db import Database
from fedihub.outbox import store as outbox


class BlockedHosts:
    def __init__(
        self, db: Database, ttl_s: float = 5.0, clock: Callable[[], float] = SYSTEM_CLOCK.monotonic
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._hosts: frozenset[str] = frozenset()
        self._normal: frozenset[str] = frozenset()
        self._read_at: float | None = None

    async def covers(self, host: str) -> bool:
        """True for a blocked host and for any subdomain of one, as Mastodon's domain blocks.
        `host` is written as `host_of` writes it ("evil.example:8443", "[2001:db8::1]:8443").
        A block without a port covers every port of its host; one with a port, that port."""
        blocked = await self._normalised()
        host = normalise_host(host)
        name, _ = split_port(host)
        if host in blocked or name in blocked:
            return True
        if name.startswith("[") or _is_address(name):
            return False  # an address has no parent domains
        parts = name.split(".")
        return any(".".join(parts[i:]) in blocked for i in range(1, len(parts)))

    async def get(self) -> frozenset[str]:
        """The blocks as stored."""
        now = self._clock()
        if self._read_at is None or now - self._read_at > self._ttl_s:
            self._hosts = await outbox.blocked_hosts(self._db)
            self._normal = frozenset(normalise_host(h) for h in self._hosts)
            self._read_at = now
        return self._hosts

    async def _normalised(self) -> frozenset[str]:
        await self.get()
        return self._normal


def split_port(host: str) -> tuple[str, str]:
    """("name", ":port" or "") of host[:port]; an IPv6 literal keeps its brackets, and one
    written without them ("2001:db8::1") has no port."""
    if host.startswith("["):
        end = host.find("]") + 1
        return (host[:end], host[end:]) if end else (host, "")
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        return name, ":" + port
    return host, ""


@lru_cache(maxsize=65_536)  # on every inbox POST: the same few hosts again and again
def normalise_host(host: str) -> str:
    """One spelling for each host[:port], so a block cannot be dodged by writing an address
    another way ("[2001:DB8:0::1]", "[::ffff:192.0.2.1]" for 192.0.2.1): lower case, no
    trailing dot, addresses in their canonical form, IPv6 ones in brackets as `host_of` has them."""
    name, port = split_port(host.strip().lower())
    name = name.rstrip(".")
    try:
        ip = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return name + port
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return f"[{ip.compressed}]{port}"
        ip = ip.ipv4_mapped
    return f"{ip}{port}"


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
