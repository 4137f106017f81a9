"""Time limits on awaits, kept by one watchdog task instead of a timer per await.

`asyncio.timeout` arms and cancels a timer each time: a few microseconds, which on the inbox's
hot path (every body read, every item handled) cost more than the work itself. Here an await
registers its task and deadline in a dict; a watchdog looks every `every_s` seconds and cancels
what is overdue, and the limit turns that cancellation into TimeoutError. Deadlines are kept
to within `every_s`: plenty for limits of seconds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from fedihub.clock import SYSTEM_CLOCK, Clock


class Watchdog:
    def __init__(self, every_s: float = 0.5, clock: Clock = SYSTEM_CLOCK) -> None:
        self._every_s = every_s
        self._clock = clock
        self._due: dict[asyncio.Task[object], float] = {}
        self._cut: set[asyncio.Task[object]] = set()

    @contextlib.contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """`with watchdog.limit(30): await …` raises TimeoutError once the awaits inside
        have taken longer than `seconds` (give or take `every_s`)."""
        task = asyncio.current_task()
        assert task is not None, "a limit is for awaits inside a task"
        outer = self._due.get(task)  # a limit inside another keeps the sooner of the two
        due = self._clock.monotonic() + seconds
        self._due[task] = due if outer is None else min(due, outer)
        try:
            yield
        except asyncio.CancelledError:
            if task not in self._cut:
                raise  # cancelled by someone else: the server is stopping
            self._cut.discard(task)
            if task.uncancel() > 0:
                raise  # someone else cancelled it too: stopping wins over a timeout
            raise TimeoutError from None
        finally:
            if outer is None:
                self._due.pop(task, None)
            else:
                self._due[task] = outer

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            now = self._clock.monotonic()
            for task, due in list(self._due.items()):
                if now > due and task not in self._cut:
                    self._cut.add(task)
                    task.cancel()
