#!/usr/bin/env python3
"""Measure the dispatch board's queries with 50,000 volunteers and 500 shifts.

    .venv/bin/python bench/volunteer_board.py [--volunteers 50000] [--shifts 500] [--runs 200]
                                              [--backend sqlite|postgresql|both]
                                              [--postgresql URL]

One instance's data (SQLite in a temporary directory, and PostgreSQL 15 started as the tests
start it, tests/support/postgres.py, or the database at `--postgresql URL`) with one hub whose
effort holds `--volunteers` volunteers (written with executemany in batches: random skills,
three in ten availability slots, one of 40 areas, English and/or Spanish and now and then
another language, transport, one in twenty past their consent), 20 sites and `--shifts` shifts
over the next 30 days (each a post, as the shift kind keeps them, asking one or two skills and a
language), and about six assignments a shift in every state.

Then `--runs` times each, on a random shift: the board's first page (coming shifts and their
places), the proposals for a shift (volunteers/board.py over assignments_store.py: one query
that filters and ranks the effort's volunteers), and a shift's list of who is asked. Printed:
median, p95 and max in milliseconds. Target: under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fedihub.actors import store as actors
from fedihub.config import load_config
from fedihub.hubs.service import create_hub
from fedihub.instance import init_instance
from fedihub.kinds import registry
from fedihub.services import Services, close_services, open_services
from fedihub.volunteers import assignments_store, board, sites_store
from fedihub.volunteers.model import (
    DAYS,
    MONTH_S,
    PARTS,
    SKILL_KEYS,
    TRANSPORTS,
    area_key,
    language_list,
    shift_slots,
)
from tests.support.postgres import PostgresCluster

DAY = 86_400.0
BATCH = 2_000
AREAS = [f"District {n}" for n in range(40)]
STATES = ["invited", "invited", "confirmed", "confirmed", "declined", "cancelled", "checked_in"]
SLOTS = len(DAYS) * len(PARTS)


def random_languages(rng: random.Random) -> str:
    codes = rng.choice([["en"], ["es"], ["en", "es"], ["en", "es"], ["es"]])
    if rng.random() < 0.1:
        codes.append(rng.choice(["fr", "ht", "zh", "ru", "pt"]))
    return language_list(codes)


async def fill_volunteers(svc: Services, hub_id: int, count: int, rng: random.Random) -> None:
    now = svc.clock.now()
    rows = []
    for n in range(count):
        area = rng.choice(AREAS)
        skills = sum(1 << rng.randrange(len(SKILL_KEYS)) for _ in range(rng.randint(0, 3)))
        availability = sum(1 << b for b in range(SLOTS) if rng.random() < 0.3)
        consent = now + (-DAY if rng.random() < 0.05 else rng.choice([1, 3, 6, 12]) * MONTH_S)
        rows.append((
            hub_id, f"Volunteer {n}", f"v{n}@example.org", f"+1555{n:07d}", f"+1555{n:07d}",
            None if rng.random() < 0.9 else f"@v{n}@social.example", random_languages(rng),
            skills, availability, area, area_key(area), rng.choice(TRANSPORTS)[0], "en",
            consent, f"token-{n}", now - rng.uniform(0, 30) * DAY, now,
        ))  # fmt: skip
    for start in range(0, len(rows), BATCH):
        async with svc.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO volunteers (hub_id, name, email, phone, phone_key, handle,"
                " languages, skills, availability, area, area_key, transport, language,"
                " consent_until, token_hash, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows[start : start + BATCH],
            )


async def fill_shifts(
    svc: Services, hub_id: int, count: int, volunteers: int, rng: random.Random
) -> None:
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        site_ids = []
        for n in range(20):
            site_ids.append(await sites_store.add_site(tx, hub_id, f"Site {n}", AREAS[n * 2],
                                                       f"{n} Main St", "Gloves", now))  # fmt: skip
        for n in range(count):
            starts = now + rng.uniform(0, 30) * DAY
            starts -= starts % 3600
            ends = starts + rng.choice([2, 4, 6]) * 3600
            post_id = await tx.insert(
                "INSERT INTO posts (actor_id, kind, title, source_markdown, content_html,"
                " fields, starts_at, ends_at, status, published_at)"
                " VALUES (?, 'update', ?, '', '', ?, ?, ?, 'confirmed', ?)",
                (hub_id, f"Shift {n}", json.dumps({}), starts, ends, now),
            )
            skills = sum(1 << rng.randrange(len(SKILL_KEYS)) for _ in range(rng.randint(0, 2)))
            await tx.execute(
                "INSERT INTO volunteer_shifts (post_id, hub_id, site_id, starts_at, ends_at,"
                " needed, skills, languages, slots, state, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                (post_id, hub_id, rng.choice(site_ids), starts, ends, rng.randint(2, 12),
                 skills, language_list(rng.choice([[], ["es"], ["en"], ["en", "es"]])),
                 shift_slots(starts, ends, ZoneInfo("UTC")), now),
            )  # fmt: skip
            picked = rng.sample(range(1, volunteers + 1), rng.randint(0, 12))
            await tx.executemany(
                "INSERT INTO volunteer_assignments (shift_id, volunteer_id, state, token_hash,"
                " assigned_at) VALUES (?, ?, ?, ?, ?)",
                [(post_id, v, rng.choice(STATES), f"a-{post_id}-{v}", now) for v in picked],
            )


async def timed(runs: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    timings = []
    for n in range(runs):
        start = time.perf_counter()
        await call(n)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def report(name: str, timings: list[float], extra: str = "") -> None:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{name:36s} runs {len(timings):4d}  median {statistics.median(timings):6.1f} ms"
          f"  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms  {extra}")  # fmt: skip


async def measure(svc: Services, hub_id: int, name: str, runs: int, rng: random.Random) -> None:
    now = svc.clock.now()
    coming = await sites_store.coming_shifts(svc.db, hub_id, now)
    site_of = {s.id: s for s in await sites_store.sites(svc.db, hub_id)}
    picks = [rng.choice(coming) for _ in range(runs)]

    async def first_page(n: int) -> None:
        shifts = await sites_store.coming_shifts(svc.db, hub_id, now)
        await sites_store.places(svc.db, shifts)

    found: list[int] = []

    async def proposals(n: int) -> None:
        shift = picks[n]
        found.append(len(await board.proposals(svc.db, hub_id, shift, site_of[shift.site_id],
                                               now=now)))  # fmt: skip

    async def asked(n: int) -> None:
        await assignments_store.assigned(svc.db, hub_id, picks[n].post_id)

    report(f"{name}: coming shifts and places", await timed(runs, first_page),
           f"{len(coming)} shifts")  # fmt: skip
    report(f"{name}: proposals for a shift", await timed(runs, proposals),
           f"{statistics.mean(found):.0f} proposed on average")  # fmt: skip
    report(f"{name}: a shift's assigned list", await timed(runs, asked))


async def one_backend(name: str, root: Path, database: str, args: argparse.Namespace) -> None:
    rng = random.Random(17)
    await init_instance(root / name, "bench.example", insecure_http=False, database=database)
    svc = await open_services(load_config(root / name), registry())
    try:
        await create_hub(svc.db, "sandy", name="Sandy")
        hub = await actors.get_actor(svc.db, "group", "sandy")
        assert hub is not None
        started = time.perf_counter()
        await fill_volunteers(svc, hub.id, args.volunteers, rng)
        first_id = int(await svc.db.fetchval("SELECT min(id) FROM volunteers"))
        await fill_shifts(svc, hub.id, args.shifts, args.volunteers, rng)
        if first_id != 1:
            raise SystemExit("the bench expects a new database (volunteer ids from 1)")
        if svc.db.dialect == "postgresql":
            await svc.db.execute("ANALYZE")
        print(f"{name}: {args.volunteers} volunteers and {args.shifts} shifts written in"
              f" {time.perf_counter() - started:.1f} s")  # fmt: skip
        await measure(svc, hub.id, name, args.runs, rng)
    finally:
        await close_services(svc)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--shifts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        default="",
        help="an empty PostgreSQL database to use instead of starting one",
    )
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {platform.system()}"
          f" {platform.release()}, Python {platform.python_version()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.backend in ("sqlite", "both"):
            await one_backend("sqlite", root, "", args)
        if args.backend in ("postgresql", "both") and args.postgresql:
            await one_backend("postgresql", root, args.postgresql, args)
        elif args.backend in ("postgresql", "both"):
            with PostgresCluster(durable=True) as cluster:
                await one_backend("postgresql", root, await cluster.new_database(), args)


if __name__ == "__main__":
    asyncio.run(main())
