#!/usr/bin/env python3
"""A burst of volunteer sign-ups against a real `fedihub serve`: none lost, none duplicated.

    .venv/bin/python bench/volunteer_signup.py [--database sqlite|postgresql] [--signups 50000]
                                               [--repeats 5000] [--clients 64]
                                               [--wrk SECONDS] [--wrk-connections 32]

A fresh instance (SQLite in a temporary directory, or a durable PostgreSQL started there as the
tests start it, tests/support/postgres.py: every commit flushed to disk) with one hub, made with
the CLI; its per-address limit on sign-ups is lifted (FEDIHUB_VOLUNTEER_SIGNUPS_PER_ADDRESS_HOUR)
because every client here is one loopback address. `fedihub serve` runs with its workers, as
deployed.

Our client: `--clients` concurrent HTTP clients, each with its own session (the public form's
CSRF token and cookie, read once from the sign-up page as a phone's browser does), post the
public form (/hubs/HUB/volunteer) as fast as the server answers: first `--signups` minus
`--repeats` new people (each a distinct e-mail address; one in four also a phone number), then,
still at full speed and interleaved across the clients, `--repeats` of those people signing up
again with their e-mail address and another area. Every answer must be 303. Then the database
must hold exactly one volunteer per distinct person, and every repeated person's row must carry
the area of their second sign-up: nothing lost, nothing duplicated, every update kept.

`--wrk SECONDS` then has wrk (an independent load generator, not our code) post new sign-ups
for that long over `--wrk-connections` connections with one session, every tenth request again
an address that thread sent before; its Lua counts each answer. Checked: only 303s, and the rows
it added lie between the distinct addresses answered and those sent (a request cut off at the
end may or may not have landed). wrk is not installed by this script.

Printed: sign-ups/s, the client's latency percentiles, the server's CPU per sign-up, the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wrkmarks import LUA_SUMMARY, MARK, marked, summary_of  # bench/wrkmarks.py

from bench import cpu_seconds, machine  # bench/bench.py, beside this file
from fedihub.web.auth import COOKIE
from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.web import csrf_of

HUB = "sandy"
PATH = f"/hubs/{HUB}/volunteer"
SKILLS = ["first_aid", "driving", "cleanup", "cooking", "translation", "heavy_lifting"]
AREAS = [f"District {n}" for n in range(40)]
AVAILABILITY = [f"avail.{d}.{p}" for d in ("mo", "tu", "we", "th", "fr", "sa", "su")
                for p in ("morning", "afternoon", "evening", "night")]  # fmt: skip


def person(n: int, rng: random.Random, area: str | None = None) -> list[tuple[str, str]]:
    """The form of person `n`: always the same address; area, skills and times drawn."""
    form = [
        ("name", f"Volunteer {n}"), ("email", f"v{n}@burst.example"),
        ("phone", f"+1 555 {n:07d}" if n % 4 == 0 else ""), ("handle", ""),
        ("languages", "en"), ("other_languages", ""), ("other_skills", ""),
        ("area", area or rng.choice(AREAS)), ("transport", rng.choice(["none", "car", "bike"])),
        ("notes", ""), ("consent", "yes"), ("consent_months", "3"), ("homepage", ""),
    ]  # fmt: skip
    form += [("skills", s) for s in rng.sample(SKILLS, rng.randint(0, 3))]
    form += [(slot, "yes") for slot in rng.sample(AVAILABILITY, rng.randint(1, 8))]
    return form


@dataclass
class Burst:
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


async def client(base: str, work: asyncio.Queue[list[tuple[str, str]]], burst: Burst) -> None:
    """One phone's browser: reads the form once (cookie and CSRF token), then posts."""
    async with aiohttp.ClientSession() as session:
        async with session.get(base + PATH, headers={"Accept": "text/html"}) as resp:
            csrf = csrf_of(await resp.text())
        while True:
            try:
                form = work.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            async with session.post(base + PATH, data=[("csrf", csrf), *form],
                                    allow_redirects=False) as resp:  # fmt: skip
                body = await resp.read()
            burst.latencies.append(time.perf_counter() - started)
            burst.statuses[resp.status] = burst.statuses.get(resp.status, 0) + 1
            if resp.status != 303 and len(burst.refused) < 3:
                burst.refused.append(f"{resp.status}: {body[:300]!r}")


async def run_burst(base: str, forms: list[list[tuple[str, str]]], clients: int) -> Burst:
    work: asyncio.Queue[list[tuple[str, str]]] = asyncio.Queue()
    for form in forms:
        work.put_nowait(form)
    burst = Burst()
    await asyncio.gather(*(client(base, work, burst) for _ in range(clients)))
    return burst


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def report_burst(name: str, burst: Burst, seconds: float, cpu: float) -> None:
    answered = sum(burst.statuses.values())
    ms = [x * 1000 for x in burst.latencies]
    print(f"\n{name}")
    print(f"  statuses: {', '.join(f'{k}: {v}' for k, v in sorted(burst.statuses.items()))}")
    print(f"  {answered} sign-ups in {seconds:.1f} s: {answered / seconds:.0f} sign-ups/s")
    print(
        f"  latency (our client): p50 {statistics.median(ms):.1f} ms, p90"
        f" {percentile(ms, 90):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
    )
    print(f"  fedihub CPU: {cpu:.1f} s ({cpu / max(answered, 1) * 1000:.2f} ms per sign-up)")
    for refusal in burst.refused:
        print(f"  refused: {refusal}")


LUA = (
    r"""-- Written by bench/volunteer_signup.py: a new sign-up per request (every tenth again an
-- address this thread sent before), through the public form.
local path = [==[@PATH@]==]
local csrf = [==[@CSRF@]==]
local headers = {["Host"] = [==[@HOST@]==], ["Cookie"] = [==[@COOKIE@]==],
                 ["Content-Type"] = "application/x-www-form-urlencoded"}
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() * 1000 + id)
   generated = 0  -- requests handed to wrk
   fresh = 0  -- of which new addresses
   statuses = {}
end

local function encode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function request()
   generated = generated + 1
   local n
   if generated % 10 == 0 and fresh > 5 then
      n = math.random(fresh - 5, fresh)  -- someone this thread signed up, again
   else
      fresh = fresh + 1
      n = fresh
   end
   local body = "csrf=" .. encode(csrf) .. "&name=W" .. id .. "-" .. n
      .. "&email=w" .. id .. "-" .. n .. "%40wrk.example&phone=&handle=&languages=en"
      .. "&area=District+" .. math.random(0, 39) .. "&transport=none&consent=yes"
      .. "&consent_months=3&homepage=&avail.sa.morning=yes&skills=cleanup"
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end
"""
    + LUA_SUMMARY
    + r"""
function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      local id = thread:get("id")
      print(string.format("@MARK@ thread %d generated %d fresh %d", id, thread:get("generated"),
                          thread:get("fresh")))
      for status, count in pairs(thread:get("statuses")) do
         print(string.format("@MARK@ thread %d status %d count %d", id, status, count))
      end
   end
   print_summary(summary, latency)
end
"""
)


async def run_wrk(args: argparse.Namespace, wrk: str, a: FedihubInstance, root: Path) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(a.base_url + PATH, headers={"Accept": "text/html"}) as resp:
            csrf = csrf_of(await resp.text())
        cookie = next(c.value for c in session.cookie_jar if c.key == COOKIE)
    script = root / "signup.lua"
    script.write_text(LUA.replace("@PATH@", PATH).replace("@CSRF@", csrf)
                      .replace("@HOST@", a.domain).replace("@COOKIE@", f"{COOKIE}={cookie}")
                      .replace("@MARK@", MARK))  # fmt: skip
    before_rows = int(a.query("SELECT count(*) FROM volunteers")[0][0])
    assert a.process is not None
    cpu_before = cpu_seconds(a.process.pid)
    command = [wrk, "-t", "2", "-c", str(args.wrk_connections), "-d", f"{args.wrk}s",
               "--latency", "-s", str(script), a.listening_url + PATH]  # fmt: skip
    print("$", " ".join(command), flush=True)
    proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out_b, err_b = await proc.communicate()
    cpu = cpu_seconds(a.process.pid) - cpu_before
    await asyncio.sleep(1.0)  # what wrk left in flight lands or not
    rows = int(a.query("SELECT count(*) FROM volunteers")[0][0]) - before_rows
    out = out_b.decode()
    if proc.returncode != 0:
        print(err_b.decode())
        return 1
    statuses: dict[int, int] = {}
    generated = fresh = 0
    for kind, pairs in marked(out):
        if kind == "thread" and "status" in pairs:
            statuses[pairs["status"]] = statuses.get(pairs["status"], 0) + pairs["count"]
        elif kind == "thread":
            generated += pairs["generated"]
            fresh += pairs["fresh"]
    summary, errors = summary_of(out)
    seconds = summary["duration_us"] / 1e6
    answered = sum(statuses.values())
    print(f"\nwrk: {args.wrk_connections} connections, {args.wrk} s")
    print(f"  statuses: {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}")
    print(f"  {summary['requests']} answered in {seconds:.1f} s:"
          f" {summary['requests'] / seconds:.0f} sign-ups/s")  # fmt: skip
    print(f"  latency (wrk): p50 {summary['p50_us'] / 1000:.1f} ms, p90"
          f" {summary['p90_us'] / 1000:.1f} ms, p99 {summary['p99_us'] / 1000:.1f} ms,"
          f" max {summary['max_us'] / 1000:.1f} ms")  # fmt: skip
    print(f"  fedihub CPU: {cpu:.1f} s ({cpu / max(answered, 1) * 1000:.2f} ms per sign-up)")
    print(f"  new addresses sent {fresh} (of {generated} requests); rows added {rows}")
    failures = []
    if other := {k: v for k, v in statuses.items() if k != 303}:
        failures.append(f"answers other than 303: {other}")
    if any(errors[k] for k in ("connect", "read", "write", "timeout")):
        failures.append(f"socket errors or timeouts: {errors}")
    # Each thread's new addresses are numbered 1..fresh; the repeats reuse them. At most the
    # requests still in flight at the end (one per connection) were sent and not answered.
    if not fresh - args.wrk_connections <= rows <= fresh:
        failures.append(f"{rows} rows added for {fresh} new addresses sent")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


async def run(args: argparse.Namespace, root: Path) -> int:
    rng = random.Random(17)
    distinct = args.signups - args.repeats
    firsts = [person(n, rng) for n in range(distinct)]
    again = rng.sample(range(distinct), args.repeats)
    repeats = [person(n, rng, area=f"Moved {n}") for n in again]
    os.environ["FEDIHUB_VOLUNTEER_SIGNUPS_PER_ADDRESS_HOUR"] = str(10 * args.signups)
    with ExitStack() as stack:
        cluster = None
        if args.database == "postgresql":
            cluster = stack.enter_context(PostgresCluster(durable=True))
        a = FedihubInstance(root, "volunteers", cluster=cluster)
        a.init()
        a.cli("hub", "create", "--data", a.data, HUB, "--name", "Sandy Relief")
        await a.start()
        try:
            assert a.process is not None
            cpu = cpu_seconds(a.process.pid)
            started = time.perf_counter()
            first = await run_burst(a.base_url, firsts, args.clients)
            second = await run_burst(a.base_url, repeats, args.clients)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(a.process.pid) - cpu
            rows = int(a.query("SELECT count(*) FROM volunteers")[0][0])
            emails = int(a.query("SELECT count(DISTINCT email) FROM volunteers")[0][0])
            moved = int(a.query("SELECT count(*) FROM volunteers WHERE area LIKE 'Moved %'")[0][0])
            right = int(a.query("SELECT count(*) FROM volunteers WHERE area = 'Moved '"
                                " || substr(email, 2, instr(email, '@') - 2)")[0][0]
                        if args.database == "sqlite" else
                        a.query("SELECT count(*) FROM volunteers WHERE area = 'Moved '"
                                " || split_part(substr(email, 2), '@', 1)")[0][0])  # fmt: skip
            both = Burst({k: first.statuses.get(k, 0) + second.statuses.get(k, 0)
                          for k in {*first.statuses, *second.statuses}},
                         first.latencies + second.latencies,
                         first.refused + second.refused)  # fmt: skip
            print(machine())
            report_burst(f"our client: {args.signups} sign-ups ({distinct} people, then"
                         f" {args.repeats} of them again) from {args.clients} clients,"
                         f" {args.database}", both, seconds, cpu)  # fmt: skip
            print(f"  rows: {rows} volunteers, {emails} distinct addresses; {moved} moved by"
                  f" their second sign-up ({right} to exactly their own new area)")  # fmt: skip
            failures = []
            if set(both.statuses) != {303}:
                failures.append(f"answers other than 303: {both.statuses}")
            if rows != distinct or emails != distinct:
                failures.append(f"{rows} rows for {distinct} people (lost or duplicated)")
            if moved != len(set(again)) or right != moved:
                failures.append(f"{moved} rows updated for {len(set(again))} people again")
            code = 0
            if args.wrk:
                wrk = shutil.which("wrk")
                if wrk is None:
                    failures.append("wrk is not installed: apt-get install wrk")
                else:
                    code = await run_wrk(args, wrk, a, root)
            for failure in failures:
                print(f"FAIL: {failure}")
            return 1 if failures or code else 0
        finally:
            await a.stop()
            a.drop_database()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--signups", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5_000,
                        help="of the sign-ups, people signing up again")  # fmt: skip
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk after (0: none)")
    parser.add_argument("--wrk-connections", type=int, default=32)
    args = parser.parse_args()
    if not 0 <= args.repeats < args.signups:
        parser.error("need 0 <= --repeats < --signups")
    root = Path(tempfile.mkdtemp(prefix="fedihub-volunteer-signup-"))
    try:
        return asyncio.run(run(args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
