"""What one remote host may ask of our inbox: requests a minute and bytes stored a day.

Token buckets, one pair per host, in memory: O(1) a request, bounded in size (the least
recently seen host is forgotten past MAX_HOSTS). A restart forgets, which at worst lets a host
have one more day's budget. Only verified requests are charged, so nobody can spend another
server's budget by claiming its actors; a host over budget is refused before its signature is
checked, so refusing it costs us almost nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from math import inf

MAX_HOSTS = 10_000
DAY_S = 86_400.0


@dataclass
class _Buckets:
    requests: float
    bytes: float
    at: float


class HostBudgets:
    """0 for either limit means no limit of that kind."""

    def __init__(
        self,
        requests_per_minute: int,
        bytes_per_day: int,
        clock: Callable[[], float],
    ) -> None:
        self._requests_max = float(requests_per_minute) if requests_per_minute > 0 else inf
        self._bytes_max = float(bytes_per_day) if bytes_per_day > 0 else inf
        self._request_rate = requests_per_minute / 60.0
        self._byte_rate = bytes_per_day / DAY_S
        self._clock = clock
        self._hosts: OrderedDict[str, _Buckets] = OrderedDict()

    def _refill(self, buckets: _Buckets, now: float) -> None:
        elapsed = now - buckets.at
        if elapsed > 0:
            buckets.requests = min(
                self._requests_max, buckets.requests + elapsed * self._request_rate
            )
            buckets.bytes = min(self._bytes_max, buckets.bytes + elapsed * self._byte_rate)
            buckets.at = now

    def wait_s(self, host: str) -> float:
        """0 when `host` may send now; else seconds until it may (for Retry-After). Only
        looks: it runs before the signature is checked, so a host named by anyone must not
        get a record here (nor push a real host's record out)."""
        buckets = self._hosts.get(host)
        if buckets is None:
            return 0.0
        self._refill(buckets, self._clock())
        waits = [0.0]
        if buckets.requests < 1:
            waits.append((1 - buckets.requests) / self._request_rate)
        if buckets.bytes <= 0:
            # Room for a typical activity again, not for the largest one allowed.
            waits.append((4096 - buckets.bytes) / self._byte_rate)
        return max(waits)

    def charge(self, host: str, *, requests: int = 0, stored_bytes: int = 0) -> None:
        """Verified requests from `host`, and the bytes of activities it had us store."""
        now = self._clock()
        buckets = self._hosts.get(host)
        if buckets is None:
            buckets = self._hosts[host] = _Buckets(self._requests_max, self._bytes_max, now)
            if len(self._hosts) > MAX_HOSTS:
                self._hosts.popitem(last=False)  # the least recently seen
        else:
            self._hosts.move_to_end(host)  # now the most recently seen
            self._refill(buckets, now)
        buckets.requests -= requests
        buckets.bytes -= stored_bytes
