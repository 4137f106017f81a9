#!/usr/bin/env python3
"""Measure fedihub on loopback: inbox intake, fan-out to 1,000 instances, idle memory.

    .venv/bin/python bench/bench.py [--inbox 20000] [--instances 1000] [--followers 10000]
        [--only inbox|fanout|rss|pages|stampede|freshness|limits]
        [--receiver bovine|fedify|http-signature]

(a) inbox: one `fedihub serve`; a loopback stand-in for Mastodon pre-signs N distinct `Like`
    activities (signing is not what we measure), sends them over 64 connections, and we time
    from the first request until the inbox worker has handled every one (the last 202's time
    is printed too). Every 202 means verified and committed to SQLite; the server's CPU is read
    over the same span, so it includes the work done after the answers.
(b) fan-out: a hub with F followers spread over I loopback 'instances' (ports), each with a
    shared inbox; the receiver verifies every signature. We time from the commit of the post
    (its row's created_at) to the arrival of the last delivery, for the first post after
    start-up and the next. Three receivers (bench/receivers.py), chosen with --receiver:
    - bovine (the default): tests/support/remote.py's RemoteServer in this process, verifying
      with bovine, the library fedihub signs with; its CPU is this process's.
    - fedify: an independent receiver, bench/independent_receiver/receiver.mjs, a Node process
      verifying with Fedify's verifyRequest (Digest included); its CPU is read from /proc.
      About 0.7 ms of CPU a request, on the cores fedihub needs too: on 2 cores it, not the
      sender, sets the last delivery's time.
    - http-signature: the same Node receiver verifying with TritonDataCenter's http-signature
      (a bare draft-cavage verifier; Digest, Date window and key fetching in receiver code of
      ours), ~0.2 ms a request: independent of fedihub and bovine, and cheap enough that the
      figure is the sender's.
      Both Node ones need Node.js 20 or later and npm: `npm ci` installs the pinned packages
      from the committed package-lock.json the first time. `.venv/bin/python
      bench/receiver_says_no.py` shows both answering 401 to a changed body, another key, no
      signature (and the lean one to a stale Date and an unsigned Digest).
      .venv/bin/python bench/bench.py --only fanout --receiver http-signature
    Either way, every instance must get the Create and no signature may be refused.
(c) idle RSS of `fedihub serve` after start-up, read from /proc.
(d) pages: requests per second and median latency for a busy hub's dashboard, calendar, Atom
    feed, the home page, the directory and a poll's page (see bench_pages).
(e) stampede: 5,000 GETs of one post (its page and its ActivityPub object) from 1,000 clients,
    each with its own connection and loopback address, within 5 s (see bench_stampede).
Every figure is printed with its ratio to this machine's limit measured in the same run
(bench/limits.py: a trivial aiohttp handler, RSA signing, SQLite inserts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from limits import measure as measure_limits  # bench/limits.py, beside this file
from limits import ratio
from limits import report as report_limits
from receivers import NODE_VERIFIERS, BovineReceiver, NodeReceiver, Receiver, cpu_seconds

from tests.support.instances import FedihubInstance
from tests.support.remote import RemoteActor, RemoteServer, sign_cavage_post, static_key


def tree_cpu_seconds(pid: int) -> float:
    """`cpu_seconds` of a process and of its live children (fedihub's signing processes)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu_seconds(int(child))
    return total


def machine() -> str:
    """The processor, its cores, the system and Python: printed beside every figure."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []  # fmt: skip
    return (f"{models[0] if models else platform.processor() or platform.machine()},"
            f" {len(models) or '?'} cores, {platform.system()} {platform.release()},"
            f" Python {platform.python_version()}")  # fmt: skip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def bench_idle_rss(root: Path) -> float:
    a = FedihubInstance(root, "idle")
    a.init()
    await a.start()
    await asyncio.sleep(3)
    assert a.process is not None
    value = rss_mb(a.process.pid)
    await a.stop()
    return value


def budgets_above(count: int) -> None:
    """The per-host budgets stay on (each request is checked and charged) but are set above
    what the load generator sends, so every request is answered 202 and stored. Servers
    started after this inherit it from the environment."""
    os.environ["FEDIHUB_INBOX_REQUESTS_PER_MINUTE_PER_HOST"] = str(100 * count)
    os.environ["FEDIHUB_INBOX_BYTES_PER_DAY_PER_HOST"] = str(10_000 * count)


SENDERS = 50


def signed_likes(
    senders: list[RemoteActor], hub: str, inbox: str, count: int
) -> list[tuple[bytes, dict[str, str]]]:
    """`count` distinct Likes of `hub`, the senders in turn, each signed for `inbox` (the URL
    the signature covers): [(body, headers)]."""
    requests = []
    for i in range(count):
        actor = senders[i % len(senders)]
        like = {"id": f"{actor.id}#likes/{i}", "type": "Like", "actor": actor.id, "object": hub}
        body = json.dumps(like).encode()
        requests.append((body, sign_cavage_post(actor.secret, inbox, body)))
    return requests


@asynccontextmanager
async def inbox_ready(
    root: Path, count: int, senders: int = SENDERS
) -> AsyncIterator[tuple[FedihubInstance, str, list[tuple[bytes, dict[str, str]]]]]:
    """One `fedihub serve` with a hub, `senders` remote actors whose keys it has already
    fetched (a warm-up Like each), and `count` distinct Likes signed ahead (signing is not what
    we measure): (the instance, its inbox URL, [(body, headers)]). Stopped on leaving."""
    budgets_above(count)
    async with RemoteServer(hosts=1) as remote:
        a = FedihubInstance(root, "inbox")
        a.init()
        a.cli("hub", "create", "--data", a.data, "climate", "--name", "Climate")
        await a.start()
        try:
            hub = f"{a.base_url}/hubs/climate"
            inbox = f"{a.base_url}/inbox"
            actors = [remote.add_actor(f"u{i}") for i in range(senders)]
            for actor in actors:
                like = {"id": f"{actor.id}#warm", "type": "Like", "actor": actor.id, "object": hub}
                if (status := (await remote.post(inbox, like, actor)).status) != 202:
                    raise SystemExit(f"FAIL: the warm-up Like of {actor.id} was answered {status}")
            yield a, inbox, signed_likes(actors, hub, inbox, count)
        finally:
            await a.stop()


UNHANDLED = "SELECT count(*) FROM inbox_items WHERE state IN ('pending', 'running')"
HANDLED_LIKES = ("SELECT count(*) FROM inbox_items WHERE state NOT IN ('pending', 'running')"
                 " AND type = 'Like'")  # fmt: skip


async def until_handled(a: FedihubInstance, timeout_s: float = 120.0) -> float:
    """Waits until the inbox worker has handled every stored item (none pending or running);
    returns the perf_counter time it saw that, within the 10 ms it polls at. A 202 says an
    activity is stored; what it costs is paid by the worker too, after the answer."""
    deadline = time.perf_counter() + timeout_s
    while a.query(UNHANDLED)[0][0]:
        if time.perf_counter() > deadline:
            raise SystemExit(f"FAIL: the inbox worker did not finish within {timeout_s} s")
        await asyncio.sleep(0.01)
    return time.perf_counter()


async def bench_inbox(root: Path, count: int, connections: int = 64) -> dict[str, float]:
    """Time and server CPU from the first request until the worker has handled every item:
    the rate an inbox keeps up, not only the rate it answers. The last 202's time is kept too."""
    async with inbox_ready(root, count) as (a, inbox, requests):
        queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
        for item in requests:
            queue.put_nowait(item)
        statuses: list[int] = []
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def sender() -> None:
                while not queue.empty():
                    body, headers = queue.get_nowait()
                    async with session.post(inbox, data=body, headers=headers) as resp:
                        statuses.append(resp.status)

            assert a.process is not None
            await until_handled(a)  # the warm-up Likes are not part of the figure
            cpu_before = cpu_seconds(a.process.pid)
            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(connections)))
            answered = time.perf_counter() - started
            cpu_answered = cpu_seconds(a.process.pid) - cpu_before
            # How far the worker got meanwhile: it shares the server's CPU with the intake.
            handled_by_then = a.query(HANDLED_LIKES)[0][0] - SENDERS  # the warm-ups
            elapsed = await until_handled(a) - started
            server_cpu = cpu_seconds(a.process.pid) - cpu_before
    stored = a.query("SELECT count(*) FROM inbox_items WHERE type = 'Like'")[0][0]
    assert statuses.count(202) == count, {s: statuses.count(s) for s in set(statuses)}
    assert stored == count + SENDERS
    return {"activities": count, "seconds": elapsed, "per_second": count / elapsed,
            "server_cpu_s": server_cpu, "cpu_us_each": server_cpu / count * 1e6,
            "answered_s": answered, "answered_per_second": count / answered,
            "answered_cpu_us_each": cpu_answered / count * 1e6,
            "handled_by_then": handled_by_then}  # fmt: skip


def follower_rows(ports: list[int], per_instance: int, now: float) -> list[tuple[object, ...]]:
    """remote_actors rows for `per_instance` followers on each receiver port, all with a shared
    inbox there, as fedihub stores a fetched actor. Their documents are never fetched while
    delivering (fedihub reads only these rows), so any receiver can stand behind them."""
    public_pem, _ = static_key("bob")
    rows: list[tuple[object, ...]] = []
    for port in ports:
        base = f"http://127.0.0.1:{port}"
        for n in range(per_instance):
            uri = f"{base}/users/f{n}"
            rows.append((uri, base.removeprefix("http://"), f"f{n}", f"{uri}/inbox",
                         f"{base}/inbox", f"{uri}#main-key", public_pem, now))  # fmt: skip
    return rows


def start_receiver(kind: str, instances: int) -> BovineReceiver | NodeReceiver:
    """`bovine`: RemoteServer in this process; `fedify` or `http-signature`: the Node receiver
    with that verifier (bench/receivers.py)."""
    return NodeReceiver(instances, kind) if kind in NODE_VERIFIERS else BovineReceiver(instances)


async def bench_fan_out(
    root: Path, instances: int, followers: int, receiver_kind: str = "bovine"
) -> dict[str, float]:
    # The receiver's ports are bound first, so fedihub's free port cannot be one of them.
    async with start_receiver(receiver_kind, instances) as receiver:
        a = FedihubInstance(root, "fanout")
        a.init()
        a.cli("hub", "create", "--data", a.data, "relief", "--name", "Relief")
        password = root / "pw"
        password.write_text("organise-together\n")
        a.cli("account", "create", "--data", a.data, "org", "--admin", "--password-file", password)
        rows = follower_rows(receiver.ports, followers // instances, time.time())
        # Followers are written straight into the database: this measures delivery, not the
        # 10,000 Follow handshakes (the federation tests cover those).
        with sqlite3.connect(a.data / "fedihub.sqlite3") as db:
            hub_id = db.execute("SELECT id FROM local_actors WHERE username = 'relief'").fetchone()[
                0
            ]
            db.executemany(
                "INSERT INTO remote_actors (uri, host, type, preferred_username, inbox,"
                " shared_inbox, key_id, public_key_pem, document, fetched_at)"
                " VALUES (?, ?, 'Person', ?, ?, ?, ?, ?, '{}', ?)",
                rows,
            )
            db.executemany(
                "INSERT INTO followers VALUES (?, ?, ?, 'accepted', ?)",
                [(hub_id, row[0], f"{row[0]}#follow", row[-1]) for row in rows],
            )
        await a.start()
        assert a.process is not None
        results = {}
        try:
            for which in ("cold", "warm"):
                results[which] = await _one_fan_out(a, receiver, root, instances, which)
        finally:
            await a.stop()
        if isinstance(receiver, NodeReceiver):
            # A real server's key cache: the hub's key fetched once, for 1,000 first requests.
            assert len(receiver.fetched) == 1, f"keys fetched: {receiver.fetched}"
    results["warm"]["cold_seconds"] = results["cold"]["seconds"]
    results["warm"]["cold_first_s"] = results["cold"]["first_s"]
    results["warm"]["followers"] = len(rows)
    return results["warm"]


async def _one_fan_out(
    a: FedihubInstance, receiver: Receiver, root: Path, instances: int, which: str
) -> dict[str, float]:
    """One post from the `fedihub post` command to every follower; seconds from its Create's
    created_at (stamped before the audience is read and the post committed) to the last
    arrival. The first after start-up ("cold") also loads bovine (lazily, see
    fedihub/signatures.py) and starts the signing processes; the second ("warm") is what a
    running server does."""
    assert a.process is not None
    server_cpu_before = tree_cpu_seconds(a.process.pid)
    main_cpu_before = cpu_seconds(a.process.pid)
    receiver_cpu_before = receiver.cpu_used()
    already = len(receiver.accepted)
    post = root / f"post-{which}.md"
    post.write_text(f"Volunteers: Rockaway, 9am, bring gloves ({which}).\n")
    await a.acli("post", "--data", a.data, "relief", "--as", "org", post)
    deadline = time.time() + 120
    while time.time() < deadline:
        creates = [r for r in receiver.accepted[already:] if r.type == "Create"]
        if len(creates) >= instances or receiver.rejections:
            break
        await asyncio.sleep(0.01)
    arrivals = [r.at for r in creates]
    server_cpu = tree_cpu_seconds(a.process.pid) - server_cpu_before
    main_cpu = cpu_seconds(a.process.pid) - main_cpu_before
    receiver_cpu = receiver.cpu_used() - receiver_cpu_before
    rows = a.query("SELECT id, created_at FROM outbox_activities WHERE type = 'Create'"
                   " ORDER BY id DESC LIMIT 1")  # fmt: skip
    activity_id, created_at = rows[0]
    assert receiver.rejections == [], f"receiver refused signatures: {receiver.rejections[:3]}"
    assert len(creates) == instances, f"{len(creates)} of {instances} instances got the post"
    assert len({r.port for r in creates}) == instances, "an instance got the post twice"
    elapsed = max(arrivals) - created_at
    # The last request fully at the receiver, verified or not yet: what the sender alone sets.
    received = max(r.received for r in creates) - created_at
    ordered = sorted(t - created_at for t in arrivals)
    if os.environ.get("BENCH_VERBOSE"):
        print(
            f"{which}: arrival offsets (s) at 1%/10%/50%/90%/100%:",
            [round(ordered[int(q * (len(ordered) - 1))], 3) for q in (0.01, 0.1, 0.5, 0.9, 1)],
        )
        finished = sorted(
            r[0] - created_at
            for r in a.query(
                "SELECT finished_at FROM deliveries WHERE finished_at IS NOT NULL"
                " AND activity_id = ?", (activity_id,)
            )
        )  # fmt: skip
        marks = [round(finished[int(q * (len(finished) - 1))], 3) for q in (0.01, 0.5, 1)]
        print(f"{which}: recorded as sent (s) at 1%/50%/100%:", marks)
        print(f"{which}: fedihub's CPU: {main_cpu:.2f} s in its own process,"
              f" {server_cpu - main_cpu:.2f} s in its signing processes")  # fmt: skip
        for url, asked, answered in getattr(receiver, "fetched", []):
            if asked > created_at:
                print(f"{which}: the receiver asked fedihub for {url} {asked - created_at:.3f} s"
                      f" in, answered {answered - created_at:.3f} s in")  # fmt: skip
    return {"deliveries": len(creates), "seconds": elapsed,
            "per_second": len(creates) / elapsed, "first_s": ordered[0], "received_s": received,
            "server_cpu_s": server_cpu, "receiver_cpu_s": receiver_cpu}  # fmt: skip


async def _fill_hub(data: Path, events: int, updates: int) -> None:
    """A busy hub, written in-process (one CLI call per post would take minutes)."""
    from fedihub.hubs.service import create_hub, require_hub
    from fedihub.kinds import registry
    from fedihub.polls.service import vote
    from fedihub.posts.service import publish
    from fedihub.services import services_for

    async with services_for(data, registry()) as svc:
        await create_hub(svc.db, "busy", name="Busy hub", timezone="America/New_York")
        hub = await require_hub(svc.db, "busy")
        day = 86_400.0
        for n in range(updates):
            await publish(svc, hub, None, "update", f"# Update {n}\n\nNews #climate number {n}.")
        for n in range(events):
            date = time.strftime("%Y-%m-%d", time.gmtime(time.time() + (n % 60 + 1) * day))
            text = (f"---\ntitle: Event {n}\nstart: {date} 18:00\nend: {date} 20:00\n"
                    f"capacity: 50\nlocation: Hall {n}\n---\nBring a friend.")  # fmt: skip
            await publish(svc, hub, None, "event", text)
        for n in range(20):
            start = time.strftime("%Y-%m-%d 20:00", time.gmtime(time.time() + day))
            await publish(svc, hub, None, "call", f"---\ntitle: Call {n}\nstart: {start}\n"
                          f"end: {start[:-5]}21:00\nschedule: FREQ=WEEKLY\ndial_in: +1 555 0100\n"
                          "---\nAgenda.")  # fmt: skip
        closes = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 7 * day))
        poll = await publish(svc, hub, None, "poll", f"---\ncloses: {closes}\n---\nMarch?")
        for n in range(1000):
            await vote(svc, hub, poll, f"https://voters.example/u/{n}", [n % 3], time.time())


@asynccontextmanager
async def busy_hub(root: Path, name: str = "pages") -> AsyncIterator[FedihubInstance]:
    """A started `fedihub serve` whose hub "busy" has 300 events, 20 weekly calls, 500 updates
    and a poll with 1,000 votes (_fill_hub); stopped on leaving."""
    a = FedihubInstance(root, name)
    a.init()
    await _fill_hub(a.data, events=300, updates=500)
    await a.start()
    try:
        yield a
    finally:
        await a.stop()


async def bench_pages(
    root: Path, requests: int = 2000, connections: int = 8, a: FedihubInstance | None = None
) -> dict[str, tuple[float, float, float, int]]:
    """Requests per second for the pages and feeds of a hub with 300 events, 20 weekly calls,
    500 updates and a poll with 1,000 votes, over `connections` keep-alive connections; on `a`
    when given (a busy_hub), else on a busy hub of its own. Asked for as browsers ask (gzip
    accepted) but not decompressed: the load generator shares the server's two cores, and
    inflating a 180 KB calendar 1,000 times a second would be its cost, not the server's.
    The size printed is what went over the wire."""
    if a is None:
        async with busy_hub(root) as made:
            return await bench_pages(root, requests, connections, made)
    results = {}
    gzip_accepted = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(auto_decompress=False, headers=gzip_accepted) as session:
        for path in ("/hubs/busy", "/hubs/busy/calendar.ics", "/hubs/busy/feed.atom",
                     "/", "/directory?q=%23climate", "/hubs/busy/posts/821"):  # fmt: skip
            url = a.base_url + path
            began = time.perf_counter()
            async with session.get(url) as resp:  # the first request: a cold cache, if any
                assert resp.status == 200, (path, resp.status)
                size = len(await resp.read())
            first_ms = (time.perf_counter() - began) * 1000
            latencies: list[float] = []

            async def worker(n: int, url: str = url, latencies: list[float] = latencies) -> None:
                for _ in range(n):
                    began = time.perf_counter()
                    async with session.get(url) as resp:
                        await resp.read()
                    latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(worker(requests // connections) for _ in range(connections)))
            elapsed = time.perf_counter() - began
            latencies.sort()
            median_ms = latencies[len(latencies) // 2] * 1000
            results[path] = (len(latencies) / elapsed, median_ms, first_ms, size)
    return results


STAMPEDE_POST = "/hubs/busy/posts/821"
ACTIVITY_JSON = "application/activity+json"


def loopback_sources(count: int) -> list[str]:
    """`count` loopback addresses from 127.0.0.2 up (127.0.0.2 … 127.0.3.233 for 1,000): one per
    client, as servers throttle per address. Linux answers for all of 127.0.0.0/8."""
    return [f"127.0.{n // 256}.{n % 256}" for n in range(2, count + 2)]


async def bench_freshness(a: FedihubInstance, tries: int = 5) -> list[float]:
    """How soon a visitor sees a new post: the dashboard is fetched (from the page cache) every
    5 ms while the `fedihub post` command, another process, publishes to the hub; each figure
    is the seconds from the post's Create being written (its created_at, before the commit) to
    the first answer showing it."""
    password = a.workdir / "freshness-pw"
    password.write_text("organise-together\n")
    a.cli("account", "create", "--data", a.data, "fresh", "--admin", "--password-file", password)
    url = f"{a.base_url}/hubs/busy"
    seen_after: list[float] = []
    async with aiohttp.ClientSession() as session:
        for n in range(tries):
            marker = f"Freshness check {n} {os.getpid()}"
            post = a.workdir / f"fresh-{n}.md"
            post.write_text(f"# {marker}\n\nThe depot opens at 9.\n")
            for _ in range(3):  # cached before the post
                async with session.get(url) as resp:
                    assert resp.status == 200 and marker not in await resp.text()
            posting = asyncio.create_task(
                a.acli("post", "--data", a.data, "busy", "--as", "fresh", post)
            )
            deadline = time.time() + 30
            while True:
                async with session.get(url) as resp:
                    if marker in await resp.text():
                        seen = time.time()
                        break
                if time.time() > deadline:
                    raise SystemExit(f"FAIL: the new post was not on the dashboard in 30 s ({n})")
                await asyncio.sleep(0.005)
            await posting
            created = a.query(
                "SELECT created_at FROM outbox_activities WHERE type = 'Create'"
                " AND document LIKE ?", (f"%{marker}%",)
            )  # fmt: skip
            seen_after.append(seen - float(created[0][0]))
    return seen_after


async def bench_stampede(
    a: FedihubInstance, requests: int = 5_000, clients: int = 1_000, seconds: float = 5.0
) -> dict[str, float]:
    """A post shared by a big account: `requests` GETs of one post, alternately its page (HTML)
    and its ActivityPub object, from `clients` clients, each with its own connection (another
    only while its last request is unanswered) and its own loopback source address, paced evenly
    so that all are sent within `seconds`. Any answer but 200 and any socket error or timeout
    counts as an error; latency is from a request's sending to its answer's last byte."""
    url = a.listening_url + STAMPEDE_POST
    interval = seconds / requests
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sent_offsets: list[float] = []
    done_at: list[float] = []
    sessions = [aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, local_addr=(source, 0)),
        timeout=aiohttp.ClientTimeout(total=60),
    ) for source in loopback_sources(clients)]  # fmt: skip
    try:
        start = time.perf_counter() + 0.5  # every client waiting before the first is due

        async def one(session: aiohttp.ClientSession, i: int) -> None:
            accept = ACTIVITY_JSON if i % 2 else "text/html"
            began = time.perf_counter()
            sent_offsets.append(began - start)
            try:
                async with session.get(url, headers={"Accept": accept}) as resp:
                    body = await resp.read()
                    if resp.status != 200 or not body:
                        errors[f"status {resp.status}"] += 1
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                errors[type(e).__name__] += 1
            finished = time.perf_counter()
            latencies.append(finished - began)
            done_at.append(finished - start)

        async def client(c: int) -> None:
            # Each request leaves at its time: a client whose last answer has not come yet
            # opens another connection (from its own address), as a browser would.
            sent = []
            for i in range(c, requests, clients):
                await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
                sent.append(asyncio.create_task(one(sessions[c], i)))
            await asyncio.gather(*sent)

        await asyncio.gather(*(client(c) for c in range(clients)))
    finally:
        await asyncio.gather(*(session.close() for session in sessions))
    latencies.sort()
    return {"requests": len(latencies), "clients": clients,
            "median_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
            "max_ms": latencies[-1] * 1000, "errors": sum(errors.values()),
            "error_kinds": dict(errors), "last_sent_s": max(sent_offsets),
            "per_second": len(latencies) / max(done_at)}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inbox", type=int, default=20_000)
    parser.add_argument("--instances", type=int, default=1_000)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--only", choices=["inbox", "fanout", "rss", "pages", "stampede",
                                           "freshness", "limits"])  # fmt: skip
    parser.add_argument(
        "--receiver", choices=["bovine", *NODE_VERIFIERS], default="bovine",
        help="who receives the fan-out and checks its signatures: see (b)",
    )  # fmt: skip
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fedihub-bench-"))
    print(f"machine: {machine()}, data in {root}")
    # The machine's limits, measured in this run: every figure below is also a share of one.
    limits = await measure_limits() if args.only != "rss" else {}
    if limits:
        report_limits(limits)
    trivial = limits.get("http_client", 0.0)  # our aiohttp client, the load generator below
    if args.only in (None, "rss"):
        print(f"(c) idle RSS of fedihub serve: {await bench_idle_rss(root):.1f} MB")
    if args.only in (None, "inbox"):
        r = await bench_inbox(root, args.inbox)
        print(f"(a) inbox: {r['activities']} signed activities verified, stored and handled by"
              f" the worker in {r['seconds']:.2f} s = {r['per_second']:.0f}/s; the server used"
              f" {r['server_cpu_s']:.2f} s of CPU ({r['cpu_us_each']:.0f} µs each). The last 202"
              f" came after {r['answered_s']:.2f} s ({r['answered_per_second']:.0f}/s, "
              f"{r['answered_cpu_us_each']:.0f} µs each by then), when the worker had handled"
              f" {r['handled_by_then']}")  # fmt: skip
        rows = limits["sqlite_rows"]
        print(f"    = {ratio(r['per_second'], trivial)} the trivial handler's requests/s with our"
              f" client, {ratio(r['per_second'], rows)} SQLite's rows/s")  # fmt: skip
    if args.only in (None, "pages", "stampede", "freshness"):
        async with busy_hub(root) as busy:
            if args.only in (None, "pages"):
                for path, (rate, median_ms, first_ms, size) in (
                    await bench_pages(root, a=busy)
                ).items():
                    print(f"(d) {path}: {rate:.0f} requests/s = {ratio(rate, trivial)} the"
                          f" trivial handler's, median {median_ms:.1f} ms (first request"
                          f" {first_ms:.0f} ms), {size} bytes")  # fmt: skip
            if args.only in (None, "freshness"):
                waits = sorted(await bench_freshness(busy))
                print(f"(f) a post by the `fedihub post` command on the dashboard (cached) after"
                      f" {', '.join(f'{w:.3f}' for w in waits)} s (median"
                      f" {waits[len(waits) // 2]:.3f} s)")  # fmt: skip
            if args.only in (None, "stampede"):
                r = await bench_stampede(busy)
                print(f"(e) stampede on {STAMPEDE_POST} (page and ActivityPub object):"
                      f" {r['requests']} GETs from {r['clients']} clients, the last sent"
                      f" {r['last_sent_s']:.2f} s in; median {r['median_ms']:.1f} ms, p99"
                      f" {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms; {r['errors']} errors"
                      f" {r['error_kinds'] or ''}; {r['per_second']:.0f} requests/s ="
                      f" {ratio(r['per_second'], trivial)} the trivial handler's")  # fmt: skip
    if args.only in (None, "fanout"):
        r = await bench_fan_out(root, args.instances, args.followers, args.receiver)
        print(f"(b) fan-out to the {args.receiver} receiver: {r['followers']:.0f} followers on"
              f" {r['deliveries']:.0f} instances,"
              f" last delivery verified {r['seconds']:.2f} s after the post was stored ="
              f" {r['per_second']:.0f} signed deliveries/s (first after {r['first_s']:.2f} s;"
              f" the last request fully received, before its verification, after"
              f" {r['received_s']:.2f} s);"
              f" CPU used: fedihub {r['server_cpu_s']:.2f} s, receiver"
              f" {r['receiver_cpu_s']:.2f} s (the post command's own start-up excluded). The"
              f" first post after start-up: last delivery after {r['cold_seconds']:.2f} s"
              f" (first after {r['cold_first_s']:.2f} s)")  # fmt: skip
        signing = max(limits["sign_1"], limits["sign_2"])
        print(f"    = {ratio(r['per_second'], signing)} the RSA signatures/s this machine makes")


if __name__ == "__main__":
    asyncio.run(main())
