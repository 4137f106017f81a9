"""What our wrk benchmarks (wrk_inbox.py, wrk_matching.py) share: the marked lines their Lua
`done` prints for the Python side to read back, and reading them.

Each script's Lua prints its own per-thread lines ("@MARK@ thread 1 status 303 count 9") and
then calls `print_summary(summary, latency)` (LUA_SUMMARY, put before its `done`) for wrk's own
counts; `@MARK@` is replaced by MARK when the script is written.
"""

from __future__ import annotations

from collections.abc import Iterator

MARK = "fedihub-wrk:"  # how the Lua `done` marks the lines the scripts read back

LUA_SUMMARY = r"""
local function print_summary(summary, latency)
   local e = summary.errors
   print(string.format("@MARK@ summary requests %d duration_us %d p50_us %d p90_us %d"
                       .. " p99_us %d max_us %d", summary.requests, summary.duration,
                       latency:percentile(50), latency:percentile(90),
                       latency:percentile(99), latency.max))
   print(string.format("@MARK@ errors connect %d read %d write %d status %d timeout %d",
                       e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def marked(output: str) -> Iterator[tuple[str, dict[str, int]]]:
    """Each marked line as (kind, its numbers by name): "thread 1 status 303 count 9" is
    ("thread", {"thread": 1, "status": 303, "count": 9}). Lines marked otherwise ("@MARK@-…",
    free text) are the scripts' own to read."""
    for line in output.splitlines():
        if not line.startswith(MARK + " "):
            continue
        kind, *words = line.removeprefix(MARK).split()
        if kind == "thread":  # the first pair is the thread's number
            words = [kind, *words]
        yield kind, {k: int(v) for k, v in zip(words[::2], words[1::2], strict=True)}


def summary_of(output: str) -> tuple[dict[str, int], dict[str, int]]:
    """wrk's own counts (requests, duration, latencies) and errors, as print_summary wrote them;
    the benchmark fails when they are missing: the Lua script did not load."""
    found = dict(marked(output))
    if "summary" not in found or "errors" not in found:
        raise SystemExit("FAIL: wrk's output lacks the script's counts: did the Lua script load?")
    return found["summary"], found["errors"]
