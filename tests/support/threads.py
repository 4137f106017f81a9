"""Running a coroutine to its end from sync code, whether or not an event loop runs there."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Runs `coro` in a thread of its own, with its own event loop, and returns its result:
    asyncio.run() refuses to start in a thread whose loop is running (an async test calling sync
    helpers, Playwright's sync API)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
