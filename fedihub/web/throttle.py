"""A per-address limit for pages that make this server do work elsewhere (the remote-follow
lookup fetches WebFinger from whatever server a visitor names). In memory: a restart forgets,
which costs nothing worse than a few extra lookups."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000  # past this many, addresses idle for a whole window are forgotten


class PerAddressLimit:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._uses: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        """Counts a use by `address`; False when it has had `limit` in the last window."""
        now = self._clock()
        if len(self._uses) > MAX_ADDRESSES:
            self._forget_idle(now)
        uses = self._uses.setdefault(address, deque())
        while uses and uses[0] <= now - self._window_s:
            uses.popleft()
        if len(uses) >= self._limit:
            return False
        uses.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, uses in self._uses.items() if uses[-1] <= now - self._window_s]:
            del self._uses[address]
