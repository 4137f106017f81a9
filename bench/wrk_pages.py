#!/usr/bin/env python3
"""Pages and ActivityPub documents under wrk: load that is not our own code.

    .venv/bin/python bench/wrk_pages.py [--seconds 5] [--connections 32] [--threads 2]

One `fedihub serve` with bench.py's busy hub (300 events, 20 weekly calls, 500 updates, a poll
with 1,000 votes; `busy_hub`). wrk (32 connections, 2 threads, 5 s each) GETs the dashboard,
the home page, the Atom feed, a post's page, the hub actor and a post's object (the last two
with Accept: application/activity+json), first with `page_cache_bytes = 0` in the instance's
config ("cold": every request rendered), then, the same server restarted with its default
setting, "cached". Each figure is printed with its ratio to a trivial aiohttp handler in one
process measured by the same wrk in the same run (bench/limits.py).

It fails (exit 1) on any socket error or answer other than 2xx/3xx. wrk is not installed here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from limits import trivial_server, wrk_rate  # bench/limits.py

from bench import busy_hub, machine  # bench/bench.py, beside this file

ACTIVITY_JSON = "application/activity+json"
TARGETS: list[tuple[str, str, dict[str, str]]] = [  # (label, path, headers)
    ("dashboard", "/hubs/busy", {}),
    ("home page", "/", {}),
    ("Atom feed", "/hubs/busy/feed.atom", {}),
    ("post page", "/hubs/busy/posts/821", {}),
    ("hub actor (AP)", "/hubs/busy", {"Accept": ACTIVITY_JSON}),
    ("post object (AP)", "/hubs/busy/posts/821", {"Accept": ACTIVITY_JSON}),
]
NO_CACHE = "\n# bench/wrk_pages.py: cold renders\npage_cache_bytes = 0\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    load = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    root = Path(tempfile.mkdtemp(prefix="fedihub-wrk-pages-"))
    print(f"machine: {machine()}, data in {root}")
    with trivial_server() as url:
        trivial = (await asyncio.to_thread(wrk_rate, url + "/", **load))["per_second"]
    how = f"{args.connections} connections, {args.threads} threads, {args.seconds:g} s"
    print(f"trivial aiohttp handler, one process: {trivial:.0f} requests/s with wrk ({how})")
    failed = False
    async with busy_hub(root, "wrk-pages") as a:
        config = a.data / "config.toml"
        default = config.read_text()
        for phase in ("cold", "cached"):
            await a.stop()  # the page cache's setting is read at start-up
            config.write_text(default + NO_CACHE if phase == "cold" else default)
            await a.start()
            for label, path, headers in TARGETS:
                r = await asyncio.to_thread(wrk_rate, a.listening_url + path, headers=headers,
                                            **load)  # fmt: skip
                failed |= r["errors"] > 0
                print(f"{phase:6s} {label:17s} {path:22s} {r['per_second']:7.0f} requests/s ="
                      f" {r['per_second'] / trivial:.3f} of the trivial handler; median"
                      f" {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms;"
                      f" {r['errors']:.0f} errors", flush=True)  # fmt: skip
    if failed:
        raise SystemExit("FAIL: some requests were errors (socket errors or 4xx/5xx answers)")


if __name__ == "__main__":
    asyncio.run(main())
