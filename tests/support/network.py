"""Loopback ports and waiting, for tests that start real servers."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# The suite runs on SQLite and on PostgreSQL at the same time (dev.py test). A port found free
# is bound later by another process, so the two runs pick from ranges of their own, both below
# the kernel's ephemeral ports (32768 and up on Linux), which every client connection takes:
# neither run can be handed a port the other, or a connection, just found free.
PORT_RANGES = {"sqlite": (20_000, 26_383), "postgresql": (26_384, 32_767)}


def free_port() -> int:
    low, high = PORT_RANGES.get(os.environ.get("FEDIHUB_TEST_DATABASE", ""), PORT_RANGES["sqlite"])
    while True:
        port = random.randint(low, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # taken: another
                continue
            return port


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
