"""Loopback ports and waiting, for tests that start real servers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0, what: str = "condition"
) -> None:
    """Polls `check` until it holds; fails the test with `what` when time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def listening_sockets(port: int) -> int:
    """Sockets listening on 127.0.0.1:`port`, as the kernel lists them (Linux)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local, listen = f"0100007F:{port:04X}", "0A"
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == listen)
