#!/usr/bin/env python3
"""What this machine can do at all, measured in the same run as fedihub's figures, so each of
those can be read as a share of a limit rather than against a number from another machine.

    .venv/bin/python bench/limits.py [--seconds 5]

(1) HTTP: a trivial aiohttp handler (`web.Response(text="ok")`) in a separate Python process
    on loopback, one process as `fedihub serve` is one, loaded by wrk (32 connections, 2
    threads) and by our own aiohttp client (32 keep-alive connections): requests/s.
(2) Signing: RSA-2048 PKCS#1 v1.5 SHA-256 signatures/s (cryptography), on 1 and on 2 threads:
    every delivery and signed fetch costs one.
(3) SQLite: rows/s inserted 1,000 per transaction, with fedihub's pragmas (fedihub/db.py
    _connect: WAL, synchronous NORMAL): an inbox item is a row.

bench/bench.py prints its figures as ratios to these (`--only limits` prints these alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import aiohttp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wrkmarks import LUA_SUMMARY, MARK, summary_of  # bench/wrkmarks.py

TRIVIAL = """
import sys
from aiohttp import web

async def ok(request):
    return web.Response(text="ok")

app = web.Application()
app.router.add_get("/", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

WRK_LUA = (
    LUA_SUMMARY.replace("@MARK@", MARK)
    + """
function done(summary, latency, requests)
   print_summary(summary, latency)
end
"""
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def trivial_server() -> Iterator[str]:
    """The trivial handler in a process of its own: its base URL while the block runs."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", TRIVIAL, str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("FAIL: the trivial aiohttp server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def wrk_rate(url: str, *, connections: int = 32, threads: int = 2, seconds: float = 5,
             headers: dict[str, str] | None = None) -> dict[str, float]:  # fmt: skip
    """wrk against one URL: requests/s, latency percentiles (ms) and errors (socket errors and
    non-2xx/3xx answers). Fails when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("FAIL: wrk is not installed")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA)
    try:
        header_args = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
        result = subprocess.run(
            [wrk, f"-c{connections}", f"-t{threads}", f"-d{seconds}s", "-s", script.name,
             *header_args, url],
            capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    summary, errors = summary_of(result.stdout)
    duration_s = summary["duration_us"] / 1e6
    return {"per_second": summary["requests"] / duration_s, "requests": summary["requests"],
            "p50_ms": summary["p50_us"] / 1000, "p99_ms": summary["p99_us"] / 1000,
            "max_ms": summary["max_us"] / 1000, "errors": sum(errors.values())}  # fmt: skip


async def client_rate(url: str, *, connections: int = 32, seconds: float = 5) -> float:
    """Our own aiohttp client against one URL over `connections` keep-alive connections:
    requests/s (what the load generator in bench.py can send at most)."""
    count = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < stop:
                async with session.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise SystemExit(f"FAIL: the trivial handler answered {resp.status}")
                count += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return count / (time.perf_counter() - began)


def signing_rate(threads: int, seconds: float = 2.0) -> float:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signatures/s on `threads` threads."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"(request-target): post /inbox\nhost: a.example\ndate: x\ndigest: SHA-256=y" * 2

    def sign_until(stop: float) -> int:
        n = 0
        while time.perf_counter() < stop:
            key.sign(message, padding.PKCS1v15(), hashes.SHA256())
            n += 1
        return n

    with ThreadPoolExecutor(threads) as pool:
        began = time.perf_counter()
        stop = began + seconds
        total = sum(pool.map(sign_until, [stop] * threads))
        return total / (time.perf_counter() - began)


def sqlite_rate(directory: Path, rows: int = 100_000, per_transaction: int = 1_000) -> float:
    """Rows/s inserted into a table shaped like inbox_items, `per_transaction` rows a commit,
    with the pragmas fedihub/db.py's _connect sets."""
    path = directory / "limits.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, uri TEXT UNIQUE NOT NULL,"
                     " actor TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,"
                     " created_at REAL NOT NULL)")  # fmt: skip
        body = '{"type": "Like", "actor": "https://a.example/u", "object": "https://h/x"}' * 3
        began = time.perf_counter()
        for start in range(0, rows, per_transaction):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO items (uri, actor, body, state, created_at) VALUES (?, ?, ?, ?, ?)",
                [(f"https://a.example/likes/{n}", "https://a.example/u", body, "pending",
                  time.time()) for n in range(start, start + per_transaction)],
            )  # fmt: skip
            conn.execute("COMMIT")
        return rows / (time.perf_counter() - began)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


async def measure(seconds: float = 5) -> dict[str, float]:
    """Every limit, measured now: the figures bench.py divides by."""
    with trivial_server() as url:
        wrk = await asyncio.to_thread(wrk_rate, url + "/", seconds=seconds)
        ours = await client_rate(url + "/", seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="fedihub-limits-") as directory:
        rows = sqlite_rate(Path(directory))
    return {"http_wrk": wrk["per_second"], "http_wrk_p50_ms": wrk["p50_ms"],
            "http_wrk_errors": wrk["errors"], "http_client": ours,
            "sign_1": signing_rate(1), "sign_2": signing_rate(2),
            "sqlite_rows": rows}  # fmt: skip


def report(limits: dict[str, float]) -> None:
    print(f"limit: trivial aiohttp handler, one process: {limits['http_wrk']:.0f} requests/s"
          f" with wrk (32 connections, 2 threads; median {limits['http_wrk_p50_ms']:.2f} ms,"
          f" {limits['http_wrk_errors']:.0f} errors), {limits['http_client']:.0f} requests/s"
          " with our aiohttp client (32 connections)")  # fmt: skip
    print(f"limit: RSA-2048 PKCS#1 v1.5 SHA-256 signatures: {limits['sign_1']:.0f}/s on 1"
          f" thread, {limits['sign_2']:.0f}/s on 2 threads")  # fmt: skip
    print(f"limit: SQLite (WAL, synchronous NORMAL), 1,000 rows a transaction:"
          f" {limits['sqlite_rows']:.0f} rows/s")  # fmt: skip


def ratio(figure: float, limit: float) -> str:
    """'0.42 of the limit', for printing beside a figure."""
    return f"{figure / limit:.2f} of" if limit > 0 else "n/a of"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    report(await measure(args.seconds))


if __name__ == "__main__":
    asyncio.run(main())
