#!/usr/bin/env python3
"""Publishing a need, matching included, with wrk as load generator: how long an organiser waits.

    .venv/bin/python bench/wrk_matching.py [--database sqlite|postgresql] [--hubs 100]
                                           [--intents 10000] [--duration 15] [--connections 4]
                                           [--threads 2]

A fresh instance (SQLite in a temporary directory, or a durable PostgreSQL started there as the
tests start it, tests/support/postgres.py) with an organiser account and a hub it organises,
made with the CLI as an operator would. Before the server starts, bench/matching.py's `fill`
gives the hub `--hubs` followed remote hubs holding `--intents` open needs and offers (the
remote hubs are known actors, so every match also queues a notice to the other hub, as in
production); they are marked matched, as they would be once they had arrived, so the
scheduler's retry pass has nothing to take up during the run.

`fedihub serve` (workers on, as deployed) is started; the organiser signs in over HTTP (aiohttp:
the sign-in form's CSRF token, the password, the session cookie) and reads the compose page's
CSRF token. A generated Lua script then has wrk POST the compose form (`/hubs/<hub>/compose`,
urlencoded, file mode: `kind=need`, `text=` the front matter) with that cookie and token. Every
request is a new need drawn in `request` as bench/matching.py draws its intents: two to six
words of the same 300-word vocabulary (`waao`..`wlno`, the first two its title), one of the
shared categories ("other", scored against every category, one time in fourteen), a quantity
or none, a place with coordinates across North America, a date one to sixty days ahead. The
compose handler publishes it and runs the matcher after the commit
(fedihub/resources/kind.py `after_commit` → matching_hook.py → service.py `find_matches`)
before it answers 303, so wrk's latency is the organiser's wait, matching included.
`response` counts every status; `done` prints the counts, which this script reads back.

Printed: requests/s and wrk's p50/p90/p99 latency, the p99 against issue 16's 200 ms target
for matching, the needs stored and the matches recorded (read from the database after), and
the server's CPU. `--hubs 0` (no fill) measures publishing alone, to see what matching adds.

It fails (exit 1) on any answer but 303, on socket errors or timeouts, when fewer needs were
stored than answered 303, or when a stored need was left unmatched (the matcher failed: it logs
and leaves it to the scheduler, which would make the publish look faster than it is). wrk is
not installed by this script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching import SPECIFIC, VOCABULARY, fill  # bench/matching.py, beside this file
from wrkmarks import LUA_SUMMARY, MARK, marked, summary_of  # bench/wrkmarks.py

from bench import cpu_seconds, machine  # bench/bench.py, beside this file
from fedihub.actors import store as actors
from fedihub.config import load_config
from fedihub.kinds import registry
from fedihub.resources.model import words_of
from fedihub.services import close_services, open_services
from fedihub.web.auth import COOKIE
from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.web import csrf_of, signed_in

# The needs are text: their words are what `words_of` keeps of it, the vocabulary's own.
assert all(words_of(w) == (w,) for w in VOCABULARY), "bench/matching.py's words are not words"
ORGANISER, PASSWORD, HUB = "organiser", "organise-together", "vancouver"
TARGET_MS = 200.0  # issue 16: matching under 200 ms
PLACES = ["Tampa", "Vancouver", "Chicago"]

LUA = (
    r"""-- Written by bench/wrk_matching.py: a new need per request, through the compose form.
-- wrk loads this file into its main Lua state and into one state per thread.
local path = [==[@PATH@]==]
local csrf = [==[@CSRF@]==]
local headers = {["Host"] = [==[@HOST@]==], ["Cookie"] = [==[@COOKIE@]==],
                 ["Content-Type"] = "application/x-www-form-urlencoded"}
local vocabulary = {@VOCABULARY@}
local specific = {@SPECIFIC@}
local places = {@PLACES@}
local threads = {}
local counter = 0

function setup(thread)  -- main state, once per thread, before that thread's init
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() * 1000 + id)
   generated = 0  -- requests handed to wrk to send
   statuses = {}
   refused = ""  -- the first answer other than 303, for the report
end

local function encode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

local function words(n)  -- n distinct words of the vocabulary
   local picked, seen = {}, {}
   while #picked < n do
      local w = vocabulary[math.random(#vocabulary)]
      if not seen[w] then
         seen[w] = true
         picked[#picked + 1] = w
      end
   end
   return picked
end

-- As bench/matching.py's random_intent draws an intent.
local function need()
   local w = words(math.random(3, 6))
   local category = specific[math.random(#specific)]
   if math.random() < 1 / 14 then category = "other" end
   local lines = {"---", "title: " .. w[1] .. " " .. w[2], "category: " .. category}
   if math.random(2) == 1 then lines[#lines + 1] = "quantity: " .. math.random(1, 500) end
   lines[#lines + 1] = "place:"
   lines[#lines + 1] = "  name: " .. places[math.random(#places)]
   lines[#lines + 1] = string.format("  latitude: %.4f", 25 + 25 * math.random())
   lines[#lines + 1] = string.format("  longitude: %.4f", -125 + 55 * math.random())
   lines[#lines + 1] = "needed_by: " .. os.date("!%Y-%m-%d", os.time() + math.random(1, 60) * 86400)
   lines[#lines + 1] = "---"
   lines[#lines + 1] = table.concat(w, " ", 3) .. "."
   return table.concat(lines, "\n")
end

function request()
   generated = generated + 1
   local body = "csrf=" .. encode(csrf) .. "&mode=file&kind=need&text=" .. encode(need())
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= 303 and refused == "" then
      local alert = string.find(body, 'role="alert"', 1, true)
      refused = string.gsub(string.sub(body, alert or 1, (alert or 1) + 300), "%s+", " ")
   end
end

"""
    + LUA_SUMMARY
    + r"""
function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      local id = thread:get("id")
      print(string.format("@MARK@ thread %d generated %d", id, thread:get("generated")))
      for status, count in pairs(thread:get("statuses")) do
         print(string.format("@MARK@ thread %d status %d count %d", id, status, count))
      end
      if thread:get("refused") ~= "" then
         print(string.format("@MARK@-refused thread %d: %s", id, thread:get("refused")))
      end
   end
   print_summary(summary, latency)
end
"""
)


@dataclass
class WrkResult:
    generated: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


def parse_marks(output: str) -> WrkResult:
    r = WrkResult()
    threads = set()
    for line in output.splitlines():
        if line.startswith(f"{MARK}-refused"):
            r.refused.append(line.removeprefix(f"{MARK}-refused").strip())
    for kind, pairs in marked(output):
        if kind != "thread":
            continue
        threads.add(pairs["thread"])
        if "status" in pairs:
            r.statuses[pairs["status"]] = r.statuses.get(pairs["status"], 0) + pairs["count"]
        else:
            r.generated += pairs["generated"]
    r.summary, r.errors = summary_of(output)
    if not threads:
        raise SystemExit("FAIL: wrk's output lacks the script's counts: did the Lua script load?")
    return r


def lua_list(values: list[str]) -> str:
    return ", ".join(json.dumps(v) for v in values)  # JSON strings of plain text are Lua's too


def write_script(directory: Path, a: FedihubInstance, cookie: str, csrf: str) -> Path:
    for value in (cookie, csrf, a.domain):
        assert "]==]" not in value and "\n" not in value, value
    script = directory / "matching.lua"
    script.write_text(
        LUA.replace("@PATH@", f"/hubs/{HUB}/compose")
        .replace("@CSRF@", csrf)
        .replace("@HOST@", a.domain)
        .replace("@COOKIE@", f"{COOKIE}={cookie}")
        .replace("@VOCABULARY@", lua_list(VOCABULARY))
        .replace("@SPECIFIC@", lua_list(SPECIFIC))
        .replace("@PLACES@", lua_list(PLACES))
        .replace("@MARK@", MARK)
    )
    return script


async def prepare(a: FedihubInstance, root: Path, hubs: int, intents: int) -> None:
    """The instance, its organiser and hub (the CLI), then the followed hubs' needs and offers
    written straight into its database (bench/matching.py's `fill`), before it serves."""
    a.init()
    password = root / "password"
    password.write_text(PASSWORD + "\n")
    a.cli("account", "create", "--data", a.data, ORGANISER, "--password-file", password)
    a.cli("hub", "create", "--data", a.data, HUB, "--name", HUB.title(),
          "--organizer", ORGANISER)  # fmt: skip
    if not hubs:
        return
    svc = await open_services(load_config(a.data), registry())
    try:
        hub = await actors.get_actor(svc.db, "group", HUB)
        if hub is None:
            raise SystemExit(f"FAIL: `fedihub hub create {HUB}` made no hub")
        started = asyncio.get_running_loop().time()
        await fill(svc, hub.id, hubs, intents, random.Random(16))
        # As they would be once arrived: matched then, nothing for the scheduler's retry pass.
        await svc.db.execute("UPDATE resource_intents SET matched_at = updated_at"
                             " WHERE local_post_id IS NULL")  # fmt: skip
        print(f"{intents} intents of {hubs} followed hubs written in"
              f" {asyncio.get_running_loop().time() - started:.1f} s", flush=True)  # fmt: skip
    finally:
        await close_services(svc)


async def session_of(a: FedihubInstance) -> tuple[str, str]:
    """(the organiser's session cookie, the compose page's CSRF token), signed in over HTTP."""
    async with aiohttp.ClientSession() as session:
        await signed_in(session, a.base_url, ORGANISER, PASSWORD)
        async with session.get(f"{a.base_url}/hubs/{HUB}/compose?kind=need&mode=file") as resp:
            if resp.status != 200:
                raise SystemExit(f"FAIL: the compose page answered {resp.status}")
            csrf = csrf_of(await resp.text())
        cookies = [c.value for c in session.cookie_jar if c.key == COOKIE]
    if len(cookies) != 1:
        raise SystemExit(f"FAIL: {len(cookies)} session cookies after signing in")
    return cookies[0], csrf


COUNTS = {
    "needs": "SELECT count(*) FROM posts WHERE kind = 'need'",
    "intents": "SELECT count(*) FROM resource_intents WHERE local_post_id IS NOT NULL",
    "unmatched": "SELECT count(*) FROM resource_intents"
    " WHERE local_post_id IS NOT NULL AND matched_at IS NULL",
    "matches": "SELECT count(*) FROM resource_matches",
    "deliveries": "SELECT count(*) FROM deliveries",
}


async def run(args: argparse.Namespace, wrk: str, root: Path) -> int:
    with ExitStack() as stack:
        cluster = None
        if args.database == "postgresql":
            cluster = stack.enter_context(PostgresCluster(durable=True))
        a = FedihubInstance(root, "matching", cluster=cluster)
        print(f"preparing the instance ({args.database}) ...", flush=True)
        await prepare(a, root, args.hubs, args.intents)
        await a.start()
        try:
            cookie, csrf = await session_of(a)
            script = write_script(root, a, cookie, csrf)
            command = [wrk, "-t", str(args.threads), "-c", str(args.connections),
                       "-d", f"{args.duration}s", "--latency", "-s", str(script),
                       f"{a.listening_url}/hubs/{HUB}/compose"]  # fmt: skip
            print("$", " ".join(command), flush=True)
            assert a.process is not None
            cpu_before = cpu_seconds(a.process.pid)
            proc = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            out_b, err_b = await proc.communicate()
            server_cpu = cpu_seconds(a.process.pid) - cpu_before
            counts = await settled(a)
            cap = load_config(a.data).match_host_daily_cap
        finally:
            await a.stop()
            a.drop_database()
    out, err = out_b.decode(), err_b.decode()
    print("".join(line + "\n" for line in out.splitlines() if not line.startswith(MARK)), end="")
    if err.strip():
        print(f"wrk (stderr): {err.strip()}")
    if proc.returncode != 0:
        raise SystemExit(f"FAIL: wrk exited with {proc.returncode}")
    failed_matching = a.log.read_text().count("failed; the scheduler will try again")
    return report(args, parse_marks(out), counts, server_cpu, failed_matching, cap)


async def settled(a: FedihubInstance, timeout_s: float = 30.0) -> dict[str, int]:
    """The counts once the requests wrk left in flight are done: the same twice, 0.5 s apart,
    with no stored need waiting for its matcher (or, after `timeout_s`, as they are)."""
    counts: dict[str, int] = {}
    for _ in range(int(timeout_s / 0.5)):
        now = {k: int(a.query(sql)[0][0]) for k, sql in COUNTS.items()}
        if now == counts and not now["unmatched"]:
            break
        counts = now
        await asyncio.sleep(0.5)
    return counts


def report(args: argparse.Namespace, r: WrkResult, counts: dict[str, int], server_cpu: float,
           failed_matching: int, cap: int) -> int:  # fmt: skip
    failures = []
    s = r.summary
    seconds = s["duration_us"] / 1e6
    answered = sum(r.statuses.values())
    published = r.statuses.get(303, 0)
    p99_ms = s["p99_us"] / 1000
    print(f"\nfedihub: publishing a need through the compose form under wrk ({args.database})")
    print(f"  the hub follows {args.hubs} hubs holding {args.intents if args.hubs else 0}"
          " open needs and offers")  # fmt: skip
    print(f"  requests sent: {r.generated}, answered: {answered},"
          f" cut off in flight at the end: {r.generated - answered}")  # fmt: skip
    print(f"  statuses: {', '.join(f'{k}: {v}' for k, v in sorted(r.statuses.items()))}")
    print(f"  requests/s as wrk measured: {s['requests'] / seconds:.1f}"
          f" ({s['requests']} answered in {seconds:.2f} s)")  # fmt: skip
    print(f"  latency (wrk): p50 {s['p50_us'] / 1000:.1f} ms, p90 {s['p90_us'] / 1000:.1f} ms,"
          f" p99 {p99_ms:.1f} ms, max {s['max_us'] / 1000:.1f} ms")  # fmt: skip
    verdict = "under" if p99_ms < TARGET_MS else "OVER"
    print(f"  p99 {p99_ms:.1f} ms is {verdict} issue 16's {TARGET_MS:.0f} ms target for"
          f" matching (this is the whole publish, matching included, with {args.connections}"
          " organisers publishing at once)")  # fmt: skip
    print(f"  needs stored: {counts['needs']} ({counts['intents']} in the matcher's index,"
          f" {counts['unmatched']} left unmatched); matches recorded: {counts['matches']}"
          f" ({counts['matches'] / max(counts['needs'], 1):.1f} per need);"
          f" deliveries queued: {counts['deliveries']}")  # fmt: skip
    print(f"  fedihub CPU during the run: {server_cpu:.2f} s"
          f" ({server_cpu / max(answered, 1) * 1000:.1f} ms per answered request)")  # fmt: skip
    if args.hubs and counts["matches"] >= args.hubs * cap:
        print(f"  WARNING: {counts['matches']} matches reach the {cap} a day each of the"
              f" {args.hubs} remote hosts may be sent (match_host_daily_cap): later needs were"
              " scored but fewer of their matches recorded, so they wrote less than the first"
              " did. Lower --duration or raise --hubs")  # fmt: skip
    for refusal in r.refused:
        print(f"  refused: {refusal}")
    if r.errors["timeout"]:
        failures.append(f"{r.errors['timeout']} answers took longer than wrk's 2 s timeout"
                        " and are left out of its percentiles")  # fmt: skip
    if other := {k: v for k, v in r.statuses.items() if k != 303}:
        failures.append(f"answers other than 303: {other}")
    if published == 0:
        failures.append("nothing published")
    if socket := {k: r.errors[k] for k in ("connect", "read", "write") if r.errors[k]}:
        failures.append(f"socket errors: {socket}")
    if counts["needs"] < published:
        failures.append(f"{counts['needs']} needs stored, fewer than the {published} answered 303")
    if counts["intents"] != counts["needs"]:
        failures.append(f"{counts['needs']} needs stored but {counts['intents']} in the index")
    if failed_matching:
        failures.append(f"{failed_matching} matcher failures logged: those publishes did not"
                        " wait for matching")  # fmt: skip
    if counts["unmatched"]:
        print(f"  WARNING: {counts['unmatched']} stored needs were never matched (matched_at"
              " NULL, no failure logged): their requests answered without matching, or never"
              " answered; the scheduler matches them a minute on")  # fmt: skip
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--hubs", type=int, default=100,
                        help="followed remote hubs (0: none and no fill)")  # fmt: skip
    parser.add_argument("--intents", type=int, default=10_000,
                        help="their open needs and offers")  # fmt: skip
    parser.add_argument("--duration", type=int, default=15, help="seconds wrk runs")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: apt-get install wrk (Debian has wrk 4.1.0)", file=sys.stderr)
        return 2
    if args.threads < 1 or args.connections < args.threads:
        parser.error("need 1 <= --threads <= --connections")
    if args.hubs < 0 or (args.hubs and args.intents < args.hubs):
        parser.error("need 0 <= --hubs <= --intents")
    print(machine())
    root = Path(tempfile.mkdtemp(prefix="fedihub-wrk-matching-"))
    print(f"data in {root}")
    try:
        code = asyncio.run(run(args, wrk, root))
    except SystemExit as e:  # a failure found before the counts could be checked
        print(e, file=sys.stderr)
        code = 1
    if code == 0:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"kept {root} (the instance's log is matching.log)")
    return code


if __name__ == "__main__":
    sys.exit(main())
