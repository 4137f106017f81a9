#!/usr/bin/env python3
"""Measure matching: a hub that follows 100 hubs holding 10,000 open needs and offers.

    .venv/bin/python bench/matching.py [--hubs 100] [--intents 10000] [--runs 200]
                                       [--backend sqlite|postgresql|both]

One instance's data (SQLite in a temporary directory, and PostgreSQL 15 started as the tests
start it, tests/support/postgres.py) with one local hub following `--hubs` remote hubs, whose
`--intents` open needs and offers are spread over the shared categories, with three to six words
each from a 300-word vocabulary, quantities, and coordinates across North America (Tampa to
Vancouver: most pairs are within the default 5,000 km radius). The remote hubs are known actors,
so every match found also queues its notice to the other hub, as in production.

Then `--runs` times: a new local need or offer (a random category and words; one in fourteen
is "other", which is scored against every category) and `find_matches` for it, timed from the
call to its return (candidates read in one query, scored in Python, the best ten recorded with
their notices in one transaction). Printed: median, p95 and max in milliseconds. Target: under
200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fedihub.actors import store as actors
from fedihub.actors.store import RemoteActor
from fedihub.config import load_config
from fedihub.hubs.service import create_hub
from fedihub.instance import init_instance
from fedihub.kinds import registry
from fedihub.resources import service
from fedihub.resources import store as resources
from fedihub.resources.model import CATEGORIES, SIDES, Intent, Side
from fedihub.services import Services, close_services, open_services
from tests.support.postgres import PostgresCluster

DAY = 86_400.0
# Words a post's text can hold (letters only, as `words_of` keeps them: "waao" … "wlno"), so
# bench/wrk_matching.py's needs, written as text, share them with the intents `fill` writes.
VOCABULARY = [f"w{chr(97 + n // 26)}{chr(97 + n % 26)}o" for n in range(300)]
SPECIFIC = [c for c in CATEGORIES if c != "other"]


def random_intent(rng: random.Random, uri: str, hub_uri: str, side: Side, now: float,
                  local_post_id: int | None = None) -> Intent:  # fmt: skip
    category = "other" if rng.random() < 1 / 14 else rng.choice(SPECIFIC)
    quantity = rng.choice([None, rng.randint(1, 500)])
    return Intent(
        uri=uri, hub_uri=hub_uri, host=hub_uri.split("/")[2], side=side,
        title=" ".join(rng.sample(VOCABULARY, 2)), category=category,
        words=tuple(rng.sample(VOCABULARY, rng.randint(3, 6))), quantity=quantity,
        remaining=quantity, unit="", place=rng.choice(["", "Tampa", "Vancouver", "Chicago"]),
        latitude=rng.uniform(25, 50), longitude=rng.uniform(-125, -70),
        until_at=now + rng.uniform(1, 60) * DAY, state="open", local_post_id=local_post_id,
        published_at=now - rng.uniform(0, 30) * DAY, updated_at=now,
    )  # fmt: skip


async def fill(svc: Services, hub_id: int, hubs: int, intents: int, rng: random.Random) -> None:
    now = svc.clock.now()
    hub_uris = [f"https://h{n}.example/hubs/h{n}" for n in range(hubs)]
    for uri in hub_uris:
        host = uri.split("/")[2]
        await actors.save_remote_actor(svc.db, RemoteActor(
            uri=uri, host=host, type="Group", preferred_username=uri.rsplit("/", 1)[1],
            inbox=f"{uri}/inbox", shared_inbox=f"https://{host}/inbox", key_id=None,
            public_key_pem=None, fetched_at=now,
        ), {})  # fmt: skip
    async with svc.db.transaction() as tx:
        for uri in hub_uris:
            await tx.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', ?)",
                             (hub_id, uri, f"{uri}#follow", now))  # fmt: skip
        for n in range(intents):
            hub_uri = hub_uris[n % hubs]
            side = SIDES[rng.randrange(2)]
            await resources.save_intent(
                tx, random_intent(rng, f"{hub_uri}/posts/{n}", hub_uri, side, now)
            )


async def measure(svc: Services, hub_uri: str, runs: int, rng: random.Random) -> list[float]:
    timings = []
    now = svc.clock.now()
    for n in range(runs):
        intent = random_intent(rng, f"{hub_uri}/posts/new-{n}", hub_uri, SIDES[n % 2], now, n)
        start = time.perf_counter()
        await service.find_matches(svc, intent)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def report(name: str, timings: list[float], matches: int) -> None:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{name:11s} runs {len(timings):4d}  median {statistics.median(timings):6.1f} ms"
          f"  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms  matches {matches}")  # fmt: skip


async def one_backend(name: str, root: Path, database: str, args: argparse.Namespace) -> None:
    rng = random.Random(16)
    await init_instance(root / name, "bench.example", insecure_http=False, database=database)
    svc = await open_services(load_config(root / name), registry())
    try:
        await create_hub(svc.db, "vancouver", name="Vancouver")
        hub = await actors.get_actor(svc.db, "group", "vancouver")
        assert hub is not None
        started = time.perf_counter()
        await fill(svc, hub.id, args.hubs, args.intents, rng)
        print(f"{name}: {args.intents} intents of {args.hubs} hubs written in"
              f" {time.perf_counter() - started:.1f} s")  # fmt: skip
        timings = await measure(svc, hub.uri(svc.config.base_url), args.runs, rng)
        matches = int(await svc.db.fetchval("SELECT count(*) FROM resource_matches"))
        report(name, timings, matches)
    finally:
        await close_services(svc)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hubs", type=int, default=100)
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {platform.system()}"
          f" {platform.release()}, Python {platform.python_version()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.backend in ("sqlite", "both"):
            await one_backend("sqlite", root, "", args)
        if args.backend in ("postgresql", "both"):
            with PostgresCluster(durable=True) as cluster:
                await one_backend("postgresql", root, await cluster.new_database(), args)


if __name__ == "__main__":
    asyncio.run(main())
