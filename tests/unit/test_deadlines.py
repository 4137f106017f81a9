"""The watchdog that keeps time limits: an await past its limit raises TimeoutError, one
within it is untouched, and a cancellation from elsewhere stays a cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from fedihub.clock import FixedClock
from fedihub.deadlines import Watchdog


async def test_an_await_past_its_limit_raises_timeout_and_the_task_goes_on() -> None:
    watchdog = Watchdog(every_s=0.05)
    runner = asyncio.create_task(watchdog.run())
    started = time.monotonic()
    with pytest.raises(TimeoutError), watchdog.limit(0.1):
        await asyncio.sleep(10)
    assert 0.1 <= time.monotonic() - started < 1.0
    await asyncio.sleep(0.01)  # the task was not left cancelled: it can await again
    with watchdog.limit(1.0):
        await asyncio.sleep(0.01)
    runner.cancel()


async def test_a_cancellation_from_elsewhere_is_not_a_timeout() -> None:
    watchdog = Watchdog(every_s=0.05)
    runner = asyncio.create_task(watchdog.run())

    async def limited() -> None:
        with watchdog.limit(10):
            await asyncio.sleep(10)

    task = asyncio.create_task(limited())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    runner.cancel()


async def test_stopping_wins_over_a_timeout_that_comes_with_it() -> None:
    watchdog = Watchdog(every_s=0.05)
    runner = asyncio.create_task(watchdog.run())

    async def limited() -> None:
        with watchdog.limit(0.05):
            try:
                await asyncio.sleep(10)
            finally:
                asyncio.current_task().cancel()  # type: ignore[union-attr]  # a stop, too

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(limited())
    runner.cancel()


async def test_an_inner_limit_keeps_the_outer_one() -> None:
    watchdog = Watchdog(every_s=0.05)
    runner = asyncio.create_task(watchdog.run())
    started = time.monotonic()
    with pytest.raises(TimeoutError), watchdog.limit(0.2):
        with watchdog.limit(10):
            await asyncio.sleep(0.01)
        await asyncio.sleep(10)
    assert time.monotonic() - started < 1.0
    runner.cancel()


async def test_deadlines_follow_the_clock_it_is_given() -> None:
    clock = FixedClock(at=0.0)
    watchdog = Watchdog(every_s=0.01, clock=clock)
    runner = asyncio.create_task(watchdog.run())
    with watchdog.limit(30):
        await asyncio.sleep(0.05)  # several sweeps, and no time has passed on the clock
    with pytest.raises(TimeoutError), watchdog.limit(30):
        clock.advance(31)
        await asyncio.sleep(10)
    runner.cancel()
