"""What one remote host may ask of our inbox: requests a minute and bytes stored a day.

Token buckets, one pair per host, in memory: O(1) a request, bounded in size (the least
recently seen host is forgotten past MAX_HOSTS). A restart forgets, which at worst lets a host
have one more day's budget. Only verified requests are charged, so nobody can spend another
server's budget by claiming its actors; a host over budget is refused before its signature is
checked, so refusing it costs us almost nothing."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_HOSTS = 10_000
DAY_S = 86_400.0


@dataclass
class _Buckets:
    requests: float
    bytes: float
    at: float


class HostBudgets:
    def __init__(
        self,
        requests_per_minute: int,
        bytes_per_day: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._requests_max = float(requests_per_minute)
        self._bytes_max = float(bytes_per_day)
        self._request_rate = requests_per_minute / 60.0
        self._byte_rate = bytes_per_day / DAY_S
        self._clock = clock
        self._hosts: OrderedDict[str, _Buckets] = OrderedDict()

    def _refilled(self, host: str) -> _Buckets:
        now = self._clock()
        buckets = self._hosts.get(host)
        if buckets is None:
            buckets = self._hosts[host] = _Buckets(self._requests_max, self._bytes_max, now)
            if len(self._hosts) > MAX_HOSTS:
                self._hosts.popitem(last=False)  # the least recently seen
            return buckets
        self._hosts.move_to_end(host)  # now the most recently seen
        elapsed = now - buckets.at
        if elapsed > 0:
            buckets.requests = min(
                self._requests_max, buckets.requests + elapsed * self._request_rate
            )
            buckets.bytes = min(self._bytes_max, buckets.bytes + elapsed * self._byte_rate)
            buckets.at = now
        return buckets

    def wait_s(self, host: str) -> float:
        """0 when `host` may send now; else seconds until it may (for Retry-After)."""
        buckets = self._refilled(host)
        waits = [0.0]
        if buckets.requests < 1:
            waits.append((1 - buckets.requests) / self._request_rate)
        if buckets.bytes <= 0:
            # Room for a typical activity again, not for the largest one allowed.
            waits.append((4096 - buckets.bytes) / self._byte_rate)
        return max(waits)

    def charge(self, host: str, *, requests: int = 0, stored_bytes: int = 0) -> None:
        """Verified requests from `host`, and the bytes of activities it had us store."""
        buckets = self._refilled(host)
        buckets.requests -= requests
        buckets.bytes -= stored_bytes
