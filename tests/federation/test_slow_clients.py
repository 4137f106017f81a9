"""Slow clients (slowloris) against a real `fedihub serve`: a connection that trickles its
request headers is closed after `header_timeout_s`, one that trickles a body gets 408 after
`body_timeout_s`, and other visitors are answered meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest

from tests.support.instances import FedihubInstance

pytestmark = pytest.mark.federation

TIMEOUT_S = 1.0
MARGIN_S = 3.0  # two shared cores: timers fire late under load
SLOW_CONNECTIONS = 200


@pytest.fixture
async def server(
    new_instance: Callable[[str], FedihubInstance], monkeypatch: pytest.MonkeyPatch
) -> FedihubInstance:
    monkeypatch.setenv("FEDIHUB_HEADER_TIMEOUT_S", str(TIMEOUT_S))
    monkeypatch.setenv("FEDIHUB_BODY_TIMEOUT_S", str(TIMEOUT_S))
    instance = new_instance("slow")
    await instance.start()
    return instance


async def trickle(writer: asyncio.StreamWriter, data: bytes, every_s: float = 0.2) -> None:
    """Sends `data` a byte at a time, until it is all sent or the server hangs up."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every_s)


async def closed_after(reader: asyncio.StreamReader, started: float) -> tuple[bytes, float]:
    """What the server sent until it closed the connection, and when it closed it."""
    try:
        data = await asyncio.wait_for(reader.read(), TIMEOUT_S + MARGIN_S)
    except TimeoutError:
        raise AssertionError("the server kept a slow connection open") from None
    except ConnectionError:
        data = b""
    return data, time.monotonic() - started


async def normal_request(server: FedihubInstance) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"GET /nodeinfo/2.1 HTTP/1.1\r\nHost: {server.domain}\r\n"
                 "Connection: close\r\n\r\n".encode())  # fmt: skip
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


async def test_connections_that_trickle_their_headers_are_closed(server: FedihubInstance) -> None:
    headers = f"GET /nodeinfo/2.1 HTTP/1.1\r\nHost: {server.domain}\r\nX-Slow: ".encode()
    headers += b"a" * 200
    started = time.monotonic()
    connections = [
        await asyncio.open_connection("127.0.0.1", server.port) for _ in range(SLOW_CONNECTIONS)
    ]
    senders = [asyncio.create_task(trickle(w, headers)) for _, w in connections]
    try:
        # Someone else is answered while the slow ones hang on.
        assert (await normal_request(server)).startswith(b"HTTP/1.1 200")
        results = await asyncio.gather(*(closed_after(r, started) for r, _ in connections))
    finally:
        for task in senders:
            task.cancel()
        for _, writer in connections:
            writer.close()
    for data, after_s in results:
        assert data == b"" and after_s < TIMEOUT_S + MARGIN_S, (data, after_s)


async def test_a_connection_idle_after_its_response_is_closed(server: FedihubInstance) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(f"GET /nodeinfo/2.1 HTTP/1.1\r\nHost: {server.domain}\r\n\r\n".encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))  # fmt: skip
        await reader.readexactly(length)
        started = time.monotonic()
        writer.write(b"GET /nodeinfo/2.1 HT")  # the next request starts, and stalls
        data, after_s = await closed_after(reader, started)
        assert data == b"" and after_s < TIMEOUT_S + MARGIN_S
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/inbox", "application/activity+json"), ("/signin", "application/x-www-form-urlencoded")],
)
async def test_a_body_that_trickles_is_cut_off_with_408(
    server: FedihubInstance, path: str, content_type: str
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = time.monotonic()
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {server.domain}\r\nContent-Type: {content_type}"
                 "\r\nContent-Length: 1000\r\n\r\n".encode())  # fmt: skip
    sender = asyncio.create_task(trickle(writer, b"x" * 1000))
    try:
        assert (await normal_request(server)).startswith(b"HTTP/1.1 200")
        try:
            status = await asyncio.wait_for(reader.readline(), TIMEOUT_S + MARGIN_S)
        except TimeoutError:
            raise AssertionError("the server kept reading a trickling body") from None
        except ConnectionError:
            status = b""
        after_s = time.monotonic() - started
    finally:
        sender.cancel()
        writer.close()
    assert status.startswith(b"HTTP/1.1 408"), status
    assert TIMEOUT_S * 0.9 <= after_s < TIMEOUT_S + MARGIN_S, after_s
