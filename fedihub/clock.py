"""What time it is, as a collaborator: code that needs the time takes a Clock, so tests can set it.

Wall time (`now`) is what is stored and compared with other servers; monotonic time (`monotonic`)
measures durations and deadlines and never jumps when the system clock is changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; only differences mean anything."""
        ...


class SystemClock:
    # One instance serves the whole process: nothing may be set on it (a test that set `now`
    # would stop the time for every test after it); code that needs another time takes a
    # FixedClock.
    __slots__ = ()

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()


@dataclass
class FixedClock:
    """A clock that moves only when told: for tests and for replaying work at a given time."""

    at: float
    ticks: float = 0.0

    def now(self) -> float:
        return self.at

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, seconds: float) -> None:
        self.at += seconds
        self.ticks += seconds
