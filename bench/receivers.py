"""The receivers bench.py's fan-out delivers to: loopback 'instances', one shared inbox each.

All give the fan-out the same small interface (`Receiver`), so one measurement serves all:
- `BovineReceiver`: tests/support/remote.py's RemoteServer in this process, checking signatures
  with bovine (the library fedihub signs with).
- `NodeReceiver(hosts, verifier)`: bench/independent_receiver/receiver.mjs, a Node process
  checking every signature with an implementation that shares no code with fedihub: Fedify's
  `verifyRequest` (verifier "fedify", ~0.7 ms of CPU each) or TritonDataCenter's
  http-signature with our Digest, Date and key checks (verifier "http-signature", ~0.2 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.remote import RemoteServer

NODE_RECEIVER = Path(__file__).resolve().parent / "independent_receiver"


@dataclass(frozen=True)
class Arrival:
    """A delivery the receiver accepted: when (epoch seconds, after its signature verified),
    the activity's type and id, the port ('instance') it came to, and when its body had been
    read, before verification (`received`)."""

    at: float
    type: str
    id: str
    port: int
    received: float


class Receiver(Protocol):
    ports: list[int]  # one 'instance' each, bound before fedihub starts

    @property
    def accepted(self) -> list[Arrival]:
        """Every delivery accepted so far, in order of arrival."""
        ...

    @property
    def rejections(self) -> list[str]:
        """Why each refused request was refused, so far."""
        ...

    def cpu_used(self) -> float:
        """CPU the receiver has used so far."""
        ...


class BovineReceiver:
    """RemoteServer (bovine verifies) in this process; its CPU is this process's."""

    def __init__(self, hosts: int) -> None:
        self._remote = RemoteServer(hosts=hosts)
        self.ports = self._remote.ports
        self._arrivals: list[Arrival] = []  # RemoteServer's received, converted as they come

    async def __aenter__(self) -> BovineReceiver:
        await self._remote.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._remote.stop()

    @property
    def accepted(self) -> list[Arrival]:
        # Only the new ones are converted: the bench asks every 10 ms, in the process that
        # receives, so its asking is part of the receiver's CPU.
        remote, done = self._remote, len(self._arrivals)
        self._arrivals.extend(
            Arrival(at, str(r.activity.get("type")), str(r.activity.get("id")),
                    int(r.url.split("/")[2].rpartition(":")[2]), read)  # http://127.0.0.1:port/…
            for r, at, read in zip(remote.received[done:], remote.arrival_times[done:],
                                   remote.read_times[done:], strict=True)
        )  # fmt: skip
        return self._arrivals

    @property
    def rejections(self) -> list[str]:
        return list(self._remote.rejected)

    def cpu_used(self) -> float:
        return time.process_time()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


NODE_VERIFIERS = ("fedify", "http-signature")  # receiver.mjs's --verifier


class NodeReceiver:
    """bench/independent_receiver/receiver.mjs in a Node process of its own, verifying with
    `verifier` (one of NODE_VERIFIERS), read from its stdout (one JSON line per event; see the
    comment at the top of receiver.mjs). `npm ci` installs its pinned packages first when
    node_modules lacks them."""

    def __init__(self, hosts: int, verifier: str = "fedify") -> None:
        assert verifier in NODE_VERIFIERS, verifier
        self.hosts = hosts
        self.verifier = verifier
        self.ports: list[int] = []
        self._accepted: list[Arrival] = []
        self._rejections: list[str] = []
        # Documents it fetched for keys: (URL, when asked, when answered).
        self.fetched: list[tuple[str, float, float]] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def accepted(self) -> list[Arrival]:
        return self._accepted

    @property
    def rejections(self) -> list[str]:
        return self._rejections

    def cpu_used(self) -> float:
        return cpu_seconds(self.pid)

    @staticmethod
    def node() -> str:
        node = shutil.which("node")
        if node is None:
            raise SystemExit(
                "FAIL: --receiver fedify|http-signature needs Node.js (v20 or later) on the"
                " PATH: `node` was"
                " not found. Install it, or measure with --receiver bovine."
            )
        return node

    @staticmethod
    def install() -> None:
        """`npm ci` from the committed package-lock.json, once (when node_modules lacks one of
        the verifiers, as one installed before http-signature was added does)."""
        modules = NODE_RECEIVER / "node_modules"
        if all((modules / name).is_dir() for name in ("@fedify/fedify", "http-signature")):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("FAIL: `npm` was not found: it installs the receiver's verifiers")
        print(f"installing the independent receiver's packages (npm ci in {NODE_RECEIVER})")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_RECEIVER, check=True)

    async def __aenter__(self) -> NodeReceiver:
        node = self.node()
        self.install()
        self._process = await asyncio.create_subprocess_exec(
            node, "receiver.mjs", str(self.hosts), "--verifier", self.verifier, cwd=NODE_RECEIVER,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self._process.stdout is not None
        line = b""
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout=60)
            self.ports = json.loads(line)["ports"]
        except (TimeoutError, ValueError, KeyError) as e:
            await self._end()
            raise SystemExit(
                f"FAIL: the {self.verifier} receiver did not start: {e!r} {line!r}"
            ) from e
        self._reader = asyncio.create_task(self._read(self._process.stdout))
        return self

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        async for line in stdout:
            event = json.loads(line)
            if "accepted" in event:
                at, kind, activity_id, port, received = event["accepted"]
                self._accepted.append(Arrival(at, kind, activity_id, port, received))
            elif "rejected" in event:
                self._rejections.append(f"port {event['port']}: {event['rejected']}")
            elif "fetched" in event:
                self.fetched.append((event["fetched"], event["at"], event["answered"]))

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._end()

    async def _end(self) -> None:
        """Closing its stdin stops it; it is terminated if it has not in 5 s."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.terminate()
            await process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._reader, timeout=5)
