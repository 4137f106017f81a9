#!/usr/bin/env python3
"""The inbox benchmark with wrk as the load generator: load that is not our own code.

    .venv/bin/python bench/wrk_inbox.py [--requests 40000] [--duration 6] [--connections 32]
                                        [--threads 2] [--senders 20] [--processes N]

Set up by bench/bench.py's inbox_ready, as bench_inbox is: one `fedihub serve` with its budgets
on but set far above what we send, 20 remote senders on a loopback stand-in for Mastodon, each
sender's key fetched once by a warm-up activity. N distinct `Like`s are then pre-signed
(signing is not what we measure) and written as one file per wrk thread, each file a disjoint
slice; a generated Lua script turns each line into a request with wrk.format in `init` and
hands them out one by one in `request`, so no activity is sent twice while a slice lasts.
`response` counts every status; `done` prints the counts, which the script checks. The server's
CPU is read when wrk ends and again once the inbox worker has handled every item, so the cost
per Like includes the work done after its 202.

With `--processes N`, the instance keeps its data in a durable PostgreSQL (started in a temporary
directory) and is served by N `fedihub serve --reuse-port` processes on one port, which the
kernel spreads wrk's connections over (bench/cluster.py's `one_port_ready`).

It fails (exit 1) when any answer was not 202, on socket errors, or when the database holds
fewer distinct Likes than were answered 202. wrk is not installed by this script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cluster import one_port_ready  # bench/cluster.py
from wrkmarks import LUA_SUMMARY, MARK, marked, summary_of  # bench/wrkmarks.py

from bench import cpu_seconds, inbox_ready, until_handled  # bench/bench.py, beside this file
from tests.support.instances import FedihubInstance

LIKES = "SELECT count(DISTINCT activity_uri) FROM inbox_items WHERE type = 'Like'"

LUA = (
    r"""-- Written by bench/wrk_inbox.py: POSTs pre-signed Likes to fedihub's inbox.
-- wrk loads this file into its main Lua state and into one state per thread.
local data_dir = [==[@DATA_DIR@]==]
local names = {@NAMES@}  -- each line: these headers' values, then the body, tab-separated
local threads = {}
local counter = 0

function setup(thread)  -- main state, once per thread, before that thread's init
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   prepared = {}
   for line in io.lines(data_dir .. "/slice-" .. id .. ".txt") do
      local headers, start = {}, 1
      for i = 1, #names do
         local tab = string.find(line, "\t", start, true)
         headers[names[i]] = string.sub(line, start, tab - 1)
         start = tab + 1
      end
      prepared[#prepared + 1] = wrk.format("POST", "/inbox", headers, string.sub(line, start))
   end
   slice = #prepared
   generated = 0  -- requests handed to wrk to send
   statuses = {}
   -- wrk calls request() once in its first thread only to check that the request parses,
   -- and never sends that one: hand it the first request without counting it.
   checking = (id == 1)
end

function request()
   if checking then
      checking = false
      return prepared[1]
   end
   generated = generated + 1
   return prepared[(generated - 1) % slice + 1]  -- past the slice's end: duplicates
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
      print(string.format("@MARK@ thread %d slice %d generated %d", id,
                          thread:get("slice"), thread:get("generated")))
      for status, count in pairs(thread:get("statuses")) do
         print(string.format("@MARK@ thread %d status %d count %d", id, status, count))
      end
   end
   print_summary(summary, latency)
end
"""
)


@dataclass
class WrkThread:
    slice: int = 0
    generated: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


@dataclass
class WrkResult:
    threads: dict[int, WrkThread]
    summary: dict[str, int]
    errors: dict[str, int]


def parse_marks(output: str) -> WrkResult:
    threads: dict[int, WrkThread] = {}
    for kind, pairs in marked(output):
        if kind == "thread":
            t = threads.setdefault(pairs["thread"], WrkThread())
            if "status" in pairs:
                t.statuses[pairs["status"]] = pairs["count"]
            else:
                t.slice, t.generated = pairs["slice"], pairs["generated"]
    summary, errors = summary_of(output)
    if not threads:
        raise SystemExit("FAIL: wrk's output lacks the script's counts: did the Lua script load?")
    return WrkResult(threads, summary, errors)


def write_requests(
    directory: Path, requests: list[tuple[bytes, dict[str, str]]], threads: int
) -> list[str]:
    """One file per wrk thread (slice-1.txt ...), disjoint and contiguous; returns the header
    names in the order of each line's fields. wrk.format adds a Host header unless it is
    given one spelled "Host", so ours (signed: localhost:PORT, not 127.0.0.1) is renamed."""
    names = list(requests[0][1])
    for k in range(threads):
        lines = []
        for body, headers in requests[k * len(requests) // threads :
                                      (k + 1) * len(requests) // threads]:  # fmt: skip
            assert list(headers) == names, (names, list(headers))
            fields = [*(headers[n] for n in names), body.decode()]
            assert not any(c in f for f in fields for c in "\t\r\n"), fields
            lines.append("\t".join(fields) + "\n")
        (directory / f"slice-{k + 1}.txt").write_text("".join(lines))
    return ["Host" if n.lower() == "host" else n for n in names]


def write_script(directory: Path, names: list[str]) -> Path:
    assert "]==]" not in str(directory)
    script = directory / "inbox.lua"
    script.write_text(
        LUA.replace("@DATA_DIR@", str(directory))
        .replace("@NAMES@", ", ".join(json.dumps(n) for n in names))
        .replace("@MARK@", MARK)
    )
    return script


@asynccontextmanager
async def ready(
    root: Path, count: int, processes: int, senders: int
) -> AsyncIterator[tuple[list[FedihubInstance], int, list[tuple[bytes, dict[str, str]]]]]:
    """(the serving processes, their port, the signed requests): one process on SQLite, or
    `processes` on one port on PostgreSQL."""
    if processes:
        async with one_port_ready(root, count, processes) as found:
            yield found
    else:
        async with inbox_ready(root, count, senders) as (a, _, requests):
            yield [a], a.port, requests


def total_cpu(processes: list[FedihubInstance]) -> float:
    return sum(cpu_seconds(p.process.pid) for p in processes if p.process is not None)


async def run(args: argparse.Namespace, wrk: str, root: Path) -> int:
    count = args.requests
    print(f"starting fedihub and signing {count} Likes ...", flush=True)
    async with ready(root, count, args.processes, args.senders) as (processes, port, requests):
        a = processes[0]
        names = write_requests(root, requests, args.threads)
        del requests
        script = write_script(root, names)
        command = [wrk, "-t", str(args.threads), "-c", str(args.connections),
                   "-d", f"{args.duration}s", "--latency", "-s", str(script),
                   f"http://127.0.0.1:{port}/inbox"]  # fmt: skip
        print("$", " ".join(command), flush=True)
        await until_handled(a)  # the warm-up Likes are not part of the figure
        before = a.query(LIKES)[0][0]
        spy = await start_py_spy(args.py_spy, a) if args.py_spy else None
        cpu_before = total_cpu(processes)
        # Run wrk without blocking this loop: the stand-in for Mastodon must keep answering.
        proc = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out_b, err_b = await proc.communicate()
        ended = time.perf_counter()
        server_cpu = total_cpu(processes) - cpu_before
        waiting = a.query("SELECT count(*) FROM inbox_items WHERE state = 'pending'")[0][0]
        # What the answered activities cost includes the worker's handling after the 202s.
        tail_s = await until_handled(a) - ended
        cpu_handled = total_cpu(processes) - cpu_before
        stored = a.query(LIKES)[0][0] - before
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples when interrupted
            await spy.wait()
            print(f"py-spy's samples: {args.py_spy} (bench/profile_top.py {args.py_spy})")
    out, err = out_b.decode(), err_b.decode()
    print("".join(line + "\n" for line in out.splitlines() if not line.startswith(MARK)), end="")
    if err.strip():
        print(f"wrk (stderr): {err.strip()}")
    if proc.returncode != 0:
        raise SystemExit(f"FAIL: wrk exited with {proc.returncode}")
    return report(parse_marks(out), stored, (server_cpu, cpu_handled, tail_s), waiting, count)


async def start_py_spy(output: Path, a: FedihubInstance) -> asyncio.subprocess.Process:
    """py-spy (the `bench` extra) sampling the server's threads from now until interrupted, as
    collapsed stacks ("frame;frame;… count"), which bench/profile_top.py ranks."""
    assert a.process is not None
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(a.process.pid),
        "--rate", "250", "--format", "raw", "--output", str(output),
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1.0)  # attached before the load starts
    return spy


def report(
    r: WrkResult, stored: int, cpu: tuple[float, float, float], waiting: int, count: int
) -> int:
    """`cpu`: the servers' CPU seconds while wrk ran, the same until the worker had handled
    every item, and the seconds that took after wrk ended."""
    server_cpu, cpu_handled, tail_s = cpu
    failures = []
    statuses: dict[int, int] = {}
    for t in r.threads.values():
        for status, n in t.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    answered = sum(statuses.values())
    generated = sum(t.generated for t in r.threads.values())
    distinct_sent = sum(min(t.generated, t.slice) for t in r.threads.values())
    duplicates = generated - distinct_sent
    cut_off = generated - answered  # handed to wrk but unanswered when the duration ended
    # Distinct Likes certainly answered 202: without duplicates, every 202; with them, each
    # request not answered 202 may have been the only copy of its id.
    must_be_stored = sum(
        max(0, min(t.generated, t.slice) - (t.generated - t.statuses.get(202, 0)))
        for t in r.threads.values()
    )
    seconds = r.summary["duration_us"] / 1e6
    s = r.summary
    print("\nfedihub inbox under wrk")
    print(f"  distinct Likes prepared: {count} in {len(r.threads)} slices"
          f" ({', '.join(str(t.slice) for t in r.threads.values())})")  # fmt: skip
    print(f"  requests sent: {generated} ({distinct_sent} distinct, {duplicates} duplicates),"
          f" answered: {answered}, cut off in flight at the end: {cut_off}")  # fmt: skip
    print(f"  statuses: {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}")
    print(f"  requests/s as wrk measured: {s['requests'] / seconds:.0f}"
          f" ({s['requests']} answered in {seconds:.2f} s)")  # fmt: skip
    print(f"  Likes stored: {stored} = {stored / seconds:.0f}/s over wrk's {seconds:.2f} s"
          f" ({waiting} inbox items still pending for the worker when wrk ended)")  # fmt: skip
    print(f"  fedihub CPU during the run: {server_cpu:.2f} s"
          f" ({server_cpu / max(answered, 1) * 1e6:.0f} µs per answered request,"
          f" {server_cpu / max(stored, 1) * 1e6:.0f} µs per stored Like)")  # fmt: skip
    print(f"  until the worker had handled every item ({tail_s:.2f} s after wrk ended):"
          f" {cpu_handled:.2f} s of CPU, {cpu_handled / max(stored, 1) * 1e6:.0f} µs per stored"
          " Like, its handling included")  # fmt: skip
    print(f"  latency (wrk, with its coordinated-omission correction): p50 {s['p50_us'] / 1000:.2f}"
          f" ms, p90 {s['p90_us'] / 1000:.2f} ms, p99 {s['p99_us'] / 1000:.2f} ms,"
          f" max {s['max_us'] / 1000:.2f} ms")  # fmt: skip
    if duplicates:
        print(f"  WARNING: {duplicates} requests repeated an id already sent (answered 202,"
              " not stored again), so neither rate is intake of new activities: wrk's counts"
              " the duplicates' answers, the stored one is capped by --requests. Raise"
              " --requests until the slices outlast --duration")  # fmt: skip
    if r.errors["timeout"]:
        print(f"  WARNING: {r.errors['timeout']} answers took longer than wrk's 2 s timeout;"
              " wrk leaves them out of its latency percentiles")  # fmt: skip
    if other := {k: v for k, v in statuses.items() if k != 202}:
        failures.append(f"answers other than 202: {other}")
    if answered == 0:
        failures.append("no answers at all")
    if socket := {k: r.errors[k] for k in ("connect", "read", "write") if r.errors[k]}:
        failures.append(f"socket errors: {socket}")
    if stored < must_be_stored:
        failures.append(f"{stored} Likes stored, fewer than the {must_be_stored} distinct ones"
                        " answered 202")  # fmt: skip
    if stored > distinct_sent:
        failures.append(f"{stored} Likes stored, more than the {distinct_sent} distinct sent")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # The defaults are issue 18's setting: 20 actors, 32 connections, 6 s, with enough distinct
    # Likes that none is sent twice at up to 6,500/s (a repeat is answered 202, not stored).
    parser.add_argument("--requests", type=int, default=40_000, help="distinct Likes to sign")
    parser.add_argument("--duration", type=int, default=6, help="seconds wrk runs")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--senders", type=int, default=20,
                        help="remote actors signing the Likes (one process only: --processes"
                        " uses bench/cluster.py's 50)")  # fmt: skip
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="sample the server with py-spy into FILE (collapsed stacks)",
    )
    parser.add_argument("--processes", type=int, default=0,
                        help="N fedihub processes on one port, data in PostgreSQL (default:"
                        " one process on SQLite)")  # fmt: skip
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: apt-get install wrk (Debian has wrk 4.1.0)", file=sys.stderr)
        return 2
    if args.threads < 1 or args.connections < args.threads or args.requests < args.threads:
        parser.error("need 1 <= --threads <= --connections and --threads <= --requests")
    if args.connections % args.threads:
        print(f"note: wrk opens {args.connections // args.threads} connections per thread,"
              f" {args.connections // args.threads * args.threads} in all")  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="fedihub-wrk-"))
    print(f"data in {root}")
    try:
        code = asyncio.run(run(args, wrk, root))
    except SystemExit as e:  # a failure found before the counts could be checked
        print(e, file=sys.stderr)
        code = 1
    if code == 0:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"kept {root} (the instance's log is inbox.log)")
    return code


if __name__ == "__main__":
    sys.exit(main())
