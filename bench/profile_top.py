#!/usr/bin/env python3
"""Rank the functions in a py-spy profile: bench/profile_top.py FILE [--top 30]

FILE holds collapsed stacks, as `py-spy record --format raw` writes them (one line per distinct
stack: `frame;frame;… count`, each frame `function (file:line)`). Prints, per function,
the share of samples where it was running itself ("self") and where it was anywhere on the
stack ("total"), each function counted once per sample however deep it recurses.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

LINE = re.compile(r":\d+\)$")
# Leaves where a thread waits rather than works, which py-spy does not always see as idle: the
# event loop in epoll, aiosqlite's thread and the executor's threads waiting on their queues
# (aiosqlite 0.21's line). Their samples are left out: the shares are of busy samples.
WAITS = (
    "EpollSelector.select (selectors.py:",
    "_connection_worker_thread (aiosqlite/core.py:59)",
    "_worker (concurrent/futures/thread.py:",
)


def function_of(frame: str) -> str:
    """`name (path:line)` -> `name (path)`: a function once, whichever of its lines ran."""
    return LINE.sub(")", frame.strip())


def rank(text: str) -> tuple[int, Counter[str], Counter[str]]:
    samples, own, anywhere = 0, Counter[str](), Counter[str]()
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if stack.rsplit(";", 1)[-1].startswith(WAITS):
            continue
        frames = [function_of(f) for f in stack.split(";")]
        samples += count
        if frames:
            own[frames[-1]] += count
        for function in set(frames):
            anywhere[function] += count
    return samples, own, anywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    samples, own, anywhere = rank(args.file.read_text())
    print(f"{samples} busy samples from {args.file.name} (waits left out)\n")
    print("self %  function (where it runs itself)")
    for function, count in own.most_common(args.top):
        print(f"{100 * count / samples:5.1f}  {function}")
    print("\ntotal %  function (anywhere on the stack)")
    for function, count in anywhere.most_common(args.top):
        print(f"{100 * count / samples:6.1f}  {function}")


if __name__ == "__main__":
    main()
