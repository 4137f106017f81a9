#!/usr/bin/env python3
"""Measure a PostgreSQL-backed fedihub served by 1, 2 and 4 processes: inbox intake and fan-out.

    .venv/bin/python bench/cluster.py [--processes 1,2,4] [--inbox 20000]
                                      [--instances 1000] [--followers 10000] [--only inbox|fanout]

A PostgreSQL 15 cluster is started in a temporary directory (tests/support/postgres.py, as the
tests do); each run gets a fresh database and N `fedihub serve` processes of one instance (one
data directory, one database, a port each), each running the web and the workers.

(a) inbox: SENDERS remote actors on a loopback stand-in for Mastodon, their keys fetched by a
    warm-up Like through every process; N distinct Likes pre-signed (signing is not what we
    measure) and sent over 64 connections spread evenly over the processes' ports; timed from
    the first request to the last 202. Every 202 means verified and committed to PostgreSQL.
(b) fan-out: a hub with F followers on I loopback 'instances' (shared inboxes; the receiver
    verifies every signature with bovine), written straight into the database; one post from
    the CLI; timed from the post's commit to the last delivery's arrival. Every process's
    delivery worker takes part: they share the queue through leases. `--remote-delay-s`: each
    receiving server answers only after that long, as servers across the internet do; then a
    process's `delivery_concurrency` (requests in flight) is what limits it, not the CPU.

The same-machine caveat matters more here than in bench.py: PostgreSQL, the load generator or
receiver and every fedihub process share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import budgets_above, cpu_seconds, signed_likes  # bench/bench.py, beside this file
from tests.support.instances import FedihubInstance
from tests.support.network import eventually, listening_sockets
from tests.support.postgres import PostgresCluster
from tests.support.remote import RemoteServer

SENDERS = 50
PASSWORD = "organise-together\n"


async def start_processes(root: Path, cluster: PostgresCluster, name: str, count: int,
                          hub: str) -> list[FedihubInstance]:  # fmt: skip
    first = FedihubInstance(root, name, cluster=cluster)
    first.init()
    password = root / "pw"
    password.write_text(PASSWORD)
    first.cli("account", "create", "--data", first.data, "org", "--admin",
              "--password-file", password)  # fmt: skip
    first.cli("hub", "create", "--data", first.data, hub, "--name", hub.title())
    processes = [first, *(first.another_process(f"{name}-{n}") for n in range(2, count + 1))]
    for process in processes:
        await process.start()
    return processes


@asynccontextmanager
async def one_port_ready(
    root: Path, count: int, processes_n: int
) -> AsyncIterator[tuple[list[FedihubInstance], int, list[tuple[bytes, dict[str, str]]]]]:
    """For wrk, which sends to one address: a durable PostgreSQL, `processes_n` `fedihub serve
    --reuse-port` processes of one instance on one port (the kernel spreads connections), the
    senders' keys fetched by warm-up Likes, and `count` distinct Likes signed ahead:
    (the processes, the port, [(body, headers)]). Stopped on leaving."""
    budgets_above(count)
    with PostgresCluster(durable=True) as cluster:
        async with RemoteServer(hosts=1) as remote:
            first = FedihubInstance(root, f"wrk{processes_n}", cluster=cluster)
            first.init()
            first.cli("hub", "create", "--data", first.data, "climate", "--name", "Climate")
            processes = [first, *(first.another_process(f"wrk{processes_n}-{n}")
                                  for n in range(2, processes_n + 1))]  # fmt: skip
            for process in processes:
                process.port = first.port
                await process.start("--reuse-port")

            async def all_listen() -> bool:
                return listening_sockets(first.port) == processes_n

            try:
                await eventually(all_listen, what=f"{processes_n} processes on one port")
                hub, inbox = f"{first.base_url}/hubs/climate", f"{first.base_url}/inbox"
                senders = [remote.add_actor(f"u{i}") for i in range(SENDERS)]
                # Connections land on any process: enough warm-ups that each fetches each key.
                for n in range(4 * processes_n):
                    for actor in senders:
                        like = {"id": f"{actor.id}#warm{n}", "type": "Like", "actor": actor.id,
                                "object": hub}  # fmt: skip
                        answer = await remote.post(f"{first.listening_url}/inbox", like, actor)
                        if (status := answer.status) != 202:
                            raise SystemExit(f"FAIL: warm-up Like answered {status}")
                yield processes, first.port, signed_likes(senders, hub, inbox, count)
            finally:
                await stop_processes(processes)


async def stop_processes(processes: list[FedihubInstance]) -> None:
    for process in reversed(processes):  # the first, which owns the database, last
        await process.stop()
    processes[0].drop_database()


def total_cpu(processes: list[FedihubInstance]) -> float:
    return sum(cpu_seconds(p.process.pid) for p in processes if p.process is not None)


async def bench_inbox(root: Path, cluster: PostgresCluster, count: int, processes_n: int,
                      connections: int = 64) -> dict[str, float]:  # fmt: skip
    budgets_above(count)
    async with RemoteServer(hosts=1) as remote:
        processes = await start_processes(root, cluster, f"inbox{processes_n}", processes_n,
                                          "climate")  # fmt: skip
        try:
            first = processes[0]
            hub = f"{first.base_url}/hubs/climate"
            senders = [remote.add_actor(f"u{i}") for i in range(SENDERS)]
            # Each process fetches each sender's key once, as it would in production.
            for n, process in enumerate(processes):
                for actor in senders:
                    like = {"id": f"{actor.id}#warm{n}", "type": "Like", "actor": actor.id,
                            "object": hub}  # fmt: skip
                    answer = await remote.post(f"{process.listening_url}/inbox", like, actor)
                    if (status := answer.status) != 202:
                        raise SystemExit(f"FAIL: warm-up Like answered {status}")
            # Signed for the instance's inbox URL (what the signature covers), sent to a port.
            inbox = f"{first.base_url}/inbox"
            # Spread evenly over the processes' ports.
            requests = [(f"{processes[i % processes_n].listening_url}/inbox", body, headers)
                        for i, (body, headers) in enumerate(signed_likes(senders, hub, inbox,
                                                                         count))]  # fmt: skip
            queue: asyncio.Queue[tuple[str, bytes, dict[str, str]]] = asyncio.Queue()
            for item in requests:
                queue.put_nowait(item)
            statuses: Counter[int] = Counter()
            connector = aiohttp.TCPConnector(limit=connections)
            async with aiohttp.ClientSession(connector=connector) as session:

                async def sender() -> None:
                    while not queue.empty():
                        url, body, headers = queue.get_nowait()
                        async with session.post(url, data=body, headers=headers) as resp:
                            statuses[resp.status] += 1

                cpu_before = total_cpu(processes)
                started = time.perf_counter()
                await asyncio.gather(*(sender() for _ in range(connections)))
                elapsed = time.perf_counter() - started
                server_cpu = total_cpu(processes) - cpu_before
            stored = first.query("SELECT count(*) FROM inbox_items WHERE type = 'Like'"
                                 " AND activity_uri LIKE '%#likes/%'")[0][0]  # fmt: skip
        finally:
            await stop_processes(processes)
    assert statuses == Counter({202: count}), statuses
    assert stored == count, (stored, count)
    return {"activities": count, "seconds": elapsed, "per_second": count / elapsed,
            "server_cpu_s": server_cpu}  # fmt: skip


async def bench_fan_out(root: Path, cluster: PostgresCluster, instances: int, followers: int,
                        processes_n: int, delay_s: float = 0.0) -> dict[str, float]:  # fmt: skip
    # `delay_s`: each receiving server takes that long to answer, as real ones far away do.
    async with RemoteServer(hosts=instances, delay_s=delay_s) as remote:
        processes = await start_processes(root, cluster, f"fanout{processes_n}", processes_n,
                                          "relief")  # fmt: skip
        try:
            first = processes[0]
            per_instance = followers // instances
            actors = [remote.add_actor(f"f{n}", host_index=h)
                      for h in range(instances) for n in range(per_instance)]  # fmt: skip
            hub_id = first.query("SELECT id FROM local_actors WHERE username = 'relief'")[0][0]
            now = time.time()
            # Followers written straight into the database: this measures delivery, not the
            # Follow handshakes (the federation tests cover those).
            with first.writing() as db:
                for x in actors:
                    db.execute(
                        "INSERT INTO remote_actors (uri, host, type, preferred_username, inbox,"
                        " shared_inbox, key_id, public_key_pem, document, fetched_at)"
                        " VALUES (?, ?, 'Person', ?, ?, ?, ?, ?, '{}', ?)",
                        (x.id, x.base_url.removeprefix("http://"), x.username, x.inbox,
                         f"{x.base_url}/inbox", x.key_id, x.public_pem, now),
                    )  # fmt: skip
                    db.execute(
                        "INSERT INTO followers (local_actor_id, actor_uri, follow_activity_uri,"
                        " state, created_at) VALUES (?, ?, ?, 'accepted', ?)",
                        (hub_id, x.id, f"{x.id}#follow", now),
                    )
            await asyncio.sleep(1)  # let every process settle into its idle wait
            cpu_before = total_cpu(processes)
            post = root / f"post{processes_n}.md"
            post.write_text("Volunteers: Rockaway, 9am, bring gloves.\n")
            await first.acli("post", "--data", first.data, "relief", "--as", "org", post)
            deadline = time.time() + 180
            while time.time() < deadline:
                creates = [r for r in remote.received if r.activity["type"] == "Create"]
                if len(creates) >= instances:
                    break
                await asyncio.sleep(0.01)
            arrivals = list(remote.arrival_times)
            server_cpu = total_cpu(processes) - cpu_before
            created_at = first.query(
                "SELECT created_at FROM outbox_activities WHERE type = 'Create'"
            )[0][0]
            senders = dict(first.query(
                "SELECT locked_by, count(*) FROM deliveries WHERE state = 'done'"
                " GROUP BY locked_by"))  # fmt: skip
        finally:
            await stop_processes(processes)
    assert remote.rejected == [], f"receiver refused signatures: {remote.rejected[:3]}"
    assert len(creates) == instances, f"{len(creates)} of {instances} instances got the post"
    elapsed = max(arrivals) - created_at
    return {"deliveries": len(creates), "followers": len(actors), "seconds": elapsed,
            "per_second": len(creates) / elapsed, "first_s": min(arrivals) - created_at,
            "server_cpu_s": server_cpu, "owners": len(senders)}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--inbox", type=int, default=20_000)
    parser.add_argument("--instances", type=int, default=1_000)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--only", choices=["inbox", "fanout"])
    parser.add_argument("--remote-delay-s", type=float, default=0.0,
                        help="fan-out: each receiving server answers after this long")  # fmt: skip
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="fedihub-cluster-bench-"))
    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()},"
          f" Python {platform.python_version()}, data in {root}")  # fmt: skip
    # Durable, as an operator runs it: the tests turn flushing off, which would flatter us.
    with PostgresCluster(durable=True) as cluster:
        for n in counts:
            if args.only in (None, "inbox"):
                r = await bench_inbox(root, cluster, args.inbox, n)
                print(f"(a) inbox, {n} process(es): {r['activities']} signed activities verified"
                      f" and stored in {r['seconds']:.2f} s = {r['per_second']:.0f}/s; fedihub"
                      f" used {r['server_cpu_s']:.2f} s of CPU", flush=True)  # fmt: skip
            if args.only in (None, "fanout"):
                r = await bench_fan_out(root, cluster, args.instances, args.followers, n,
                                        args.remote_delay_s)  # fmt: skip
                print(f"(b) fan-out, {n} process(es): {r['followers']} followers on"
                      f" {r['deliveries']} instances, last delivery {r['seconds']:.2f} s after"
                      f" the post was stored = {r['per_second']:.0f} deliveries/s (first after"
                      f" {r['first_s']:.2f} s); fedihub used {r['server_cpu_s']:.2f} s of CPU;"
                      f" {r['owners']} process(es) sent", flush=True)  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
