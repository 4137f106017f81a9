"""A per-address limit for pages that make this server do work elsewhere (the remote-follow
lookup fetches WebFinger from whatever server a visitor names). In memory: a restart forgets,
which costs nothing worse than a few extra lookups."""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from collections.abc import Callable

from fedihub.clock import SYSTEM_CLOCK

# The most addresses remembered; past it the least recently seen is forgotten, so memory and
# the cost of a call stay bounded however many addresses an attacker has.
MAX_ADDRESSES = 10_000


def client_key(address: str) -> str:
    """IPv6 clients are counted by their /64: one host can hold a whole /64 of addresses."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class PerAddressLimit:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = SYSTEM_CLOCK.monotonic
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._uses: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, address: str) -> bool:
        """Counts a use by `address`; False when it has had `limit` in the last window."""
        now = self._clock()
        key = client_key(address)
        uses = self._uses.pop(key, None) or deque()
        self._uses[key] = uses  # now the most recently seen
        while len(self._uses) > MAX_ADDRESSES:
            self._uses.popitem(last=False)
        while uses and uses[0] <= now - self._window_s:
            uses.popleft()
        if len(uses) >= self._limit:
            return False
        uses.append(now)
        return True
