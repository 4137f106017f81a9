"""The blocked and silenced hosts and actors, read on every inbox POST, so kept in memory for a
few seconds. A block made with the CLI (another process) takes effect within `ttl_s`; one made
in this process at once (`forget`).

`block` is Mastodon's "suspend": nothing in, nothing out. `silence` is its "limit": activities
arrive, but posts into hubs wait for a moderator and follows of hubs for approval."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Literal

from fedihub.activitystreams import host_of
from fedihub.clock import SYSTEM_CLOCK
from fedihub.db import Database
from fedihub.moderation.blocking import store

Severity = Literal["block", "silence"]
SEVERITIES: tuple[Severity, ...] = ("block", "silence")


class BlockedHosts:
    def __init__(
        self, db: Database, ttl_s: float = 5.0, clock: Callable[[], float] = SYSTEM_CLOCK.monotonic
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._hosts: frozenset[str] = frozenset()
        self._normal: dict[Severity, frozenset[str]] = {
            "block": frozenset(),
            "silence": frozenset(),
        }
        self._actors: dict[str, Severity] = {}
        self._read_at: float | None = None

    async def covers(self, host: str) -> bool:
        """True for a blocked host and for any subdomain of one, as Mastodon's domain blocks.
        `host` is written as `host_of` writes it ("evil.example:8443", "[2001:db8::1]:8443").
        A block without a port covers every port of its host; one with a port, that port."""
        await self._read()
        return within(self._normal["block"], host)

    async def silenced(self, host: str) -> bool:
        """True for a silenced host (or subdomain of one) that is not blocked outright."""
        await self._read()
        return within(self._normal["silence"], host) and not within(self._normal["block"], host)

    async def refuses(self, actor_uri: str) -> bool:
        """Nothing from or to this actor: it, or its host, is blocked."""
        await self._read()
        if not self._actors and not self._normal["block"]:
            return False  # nothing is blocked: the inbox asks twice a request
        return self._actors.get(actor_uri) == "block" or await self.covers(host_of(actor_uri))

    async def refused(self, actor_uris: Iterable[str]) -> set[str]:
        """Those of `actor_uris` that `refuses`, each host judged once: a fan-out's 10,000
        followers live on a few hundred hosts, and judging one (an address parsed, its parent
        domains looked up) costs ten times what the rest of a follower's fan-out does."""
        await self._read()
        judged: dict[str, bool] = {}  # by "scheme://authority", all that host_of reads
        refused = set()
        for uri in actor_uris:
            origin = "/".join(uri.split("/", 3)[:3])
            if (blocked := judged.get(origin)) is None:
                blocked = judged[origin] = within(self._normal["block"], host_of(uri))
            if blocked or self._actors.get(uri) == "block":
                refused.add(uri)
        return refused

    async def quiets(self, actor_uri: str) -> bool:
        """This actor, or its host, is silenced (and not blocked)."""
        if await self.refuses(actor_uri):
            return False
        return self._actors.get(actor_uri) == "silence" or await self.silenced(host_of(actor_uri))

    async def get(self) -> frozenset[str]:
        """The blocked (not silenced) hosts as stored."""
        await self._read()
        return self._hosts

    def forget(self) -> None:
        """This process changed the blocks: read them again at the next check."""
        self._read_at = None

    async def _read(self) -> None:
        now = self._clock()
        if self._read_at is None or now - self._read_at > self._ttl_s:
            hosts = await store.host_severities(self._db)
            self._hosts = frozenset(h for h, severity in hosts if severity != "silence")
            self._normal = {
                s: frozenset(normalise_host(h) for h, severity in hosts
                             if (severity == "silence") == (s == "silence"))
                for s in SEVERITIES
            }  # fmt: skip
            self._actors = {
                uri: "silence" if severity == "silence" else "block"
                for uri, severity in await store.actor_severities(self._db)
            }
            self._read_at = now


def within(blocked: frozenset[str], host: str) -> bool:
    """`host` is one of `blocked` or a subdomain of one of them."""
    host = normalise_host(host)
    name, _ = split_port(host)
    if host in blocked or name in blocked:
        return True
    if name.startswith("[") or _is_address(name):
        return False  # an address has no parent domains
    parts = name.split(".")
    return any(".".join(parts[i:]) in blocked for i in range(1, len(parts)))


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


@lru_cache(maxsize=65_536)  # as normalise_host: a name that is not an address raises, which costs
def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
