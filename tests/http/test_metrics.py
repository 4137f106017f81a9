"""GET /metrics on a real app over loopback HTTP: hidden without a token, 401 without the right
one, and Prometheus' text format (read back by the library's own parser) whose values follow
real work: queued deliveries, a delivery to a real receiver, a failing host, a dead host, inbox
items handled, signatures refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from fedihub.activitystreams import host_of
from fedihub.app import create_app
from fedihub.config import Config, split_host_port
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.metrics import OTHER_HOSTS, Metrics
from fedihub.outbox import store
from fedihub.outbox.deliveries import classify
from fedihub.outbox.recipients import Target
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.network import free_port
from tests.support.remote import RemoteServer

TOKEN = "s3cret-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def serving(config: Config) -> AsyncIterator[TestClient]:
    """One app on its own loopback port (the instance's domain), workers stepped by hand."""
    app: web.Application = create_app(config, run_workers=False)
    server = TestServer(app, host="127.0.0.1", port=split_host_port(config.domain)[1])
    async with TestClient(server) as client:
        yield client


@pytest.fixture
async def app_client(instance_config: Config) -> AsyncIterator[TestClient]:
    """conftest's app, with a metrics token set."""
    async with serving(replace(instance_config, metrics_token=TOKEN)) as client:
        yield client


async def scrape(client: TestClient) -> Samples:
    resp = await client.get("/metrics", headers=AUTH)
    assert resp.status == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(await resp.text()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def failures(samples: Samples) -> dict[str, float]:
    return {dict(k[1])["host"]: v for k, v in samples.items()
            if k[0] == "fedihub_delivery_failures_total"}  # fmt: skip


async def enqueue(services: Services, targets: list[Target], now: float) -> None:
    actor_id = await services.db.fetchval("SELECT id FROM local_actors LIMIT 1")
    activity = {"id": services.new_activity_uri(), "type": "Create"}
    async with services.db.transaction() as tx:
        await store.enqueue(
            tx, actor_id=actor_id, activity=activity, targets=targets, is_public=True, now=now
        )


@pytest.fixture
async def hub(services: Services) -> str:
    await create_hub(services.db, "climate", name="Climate")
    return f"{services.config.base_url}/hubs/climate"


async def test_without_a_token_there_is_no_metrics_page(instance_config: Config) -> None:
    assert instance_config.metrics_token == ""
    async with serving(instance_config) as client:
        for headers in ({}, {"Authorization": "Bearer "}, AUTH):
            assert (await client.get("/metrics", headers=headers)).status == 404


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer wrong", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
    f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN.upper()}", "Bearer " + "x" * 8000,
])  # fmt: skip
async def test_without_the_right_token_it_is_401(
    app_client: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    resp = await app_client.get("/metrics", headers=headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "fedihub_" not in await resp.text()


async def test_the_scheme_is_case_insensitive_and_spaces_around_the_token_do_not_count(
    app_client: TestClient,
) -> None:
    for authorization in (f"bearer {TOKEN}", f"BEARER   {TOKEN} "):
        resp = await app_client.get("/metrics", headers={"Authorization": authorization})
        assert resp.status == 200


async def raw_get(port: int, headers: bytes) -> bytes:
    """A request written byte for byte: what a client library would refuse to send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer.split(b"\r\n", 1)[0]


async def test_a_huge_authorization_header_is_refused_before_any_comparison(
    app_client: TestClient,
) -> None:
    port = app_client.server.port
    assert port is not None
    status = await raw_get(port, b"Authorization: Bearer " + b"x" * 100_000 + b"\r\n")
    assert status.split()[1] == b"400"  # aiohttp's parser: a header line over 8190 bytes


@pytest.mark.parametrize("token", [b"\xff\xfe\x80", TOKEN.encode() + b"\xc3", b"\xe2\x82\xac"])
async def test_a_token_with_odd_bytes_is_401_not_an_error(
    app_client: TestClient, token: bytes
) -> None:
    port = app_client.server.port
    assert port is not None
    assert await raw_get(port, b"Authorization: Bearer " + token + b"\r\n") == (
        b"HTTP/1.1 401 Unauthorized"
    )
    # and the server still answers
    assert (await app_client.get("/metrics", headers=AUTH)).status == 200


async def test_a_token_beyond_ascii_works_when_sent_as_utf8(instance_config: Config) -> None:
    async with serving(replace(instance_config, metrics_token="ключ-€-token")) as client:
        port = client.server.port
        assert port is not None
        good = "Authorization: Bearer ключ-€-token\r\n".encode()
        assert await raw_get(port, good) == b"HTTP/1.1 200 OK"
        assert await raw_get(port, good.replace(b"\xe2\x82\xac", b"E")) == (
            b"HTTP/1.1 401 Unauthorized"
        )


async def test_prometheus_text_format_with_every_agreed_metric(app_client: TestClient) -> None:
    resp = await app_client.get("/metrics", headers=AUTH)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-store"
    families = {f.name: f for f in text_string_to_metric_families(await resp.text())}
    assert families["fedihub_queue_depth"].type == "gauge"
    assert families["fedihub_queue_lag_seconds"].type == "gauge"
    assert families["fedihub_dead_hosts"].type == "gauge"
    assert families["fedihub_delivery_latency_seconds"].type == "histogram"
    assert families["fedihub_delivery_failures"].type == "counter"  # the parser drops _total
    assert families["fedihub_inbox_items"].type == "counter"
    assert families["fedihub_inbox_signature_failures"].type == "counter"
    assert families["process_start_time_seconds"].type == "gauge"
    assert not [name for name in families if name.endswith("_created")]
    samples = await scrape(app_client)
    for queue in ("inbox", "deliveries", "feeds"):
        for state in ("pending", "running"):
            assert value(samples, "fedihub_queue_depth", queue=queue, state=state) == 0
        assert value(samples, "fedihub_queue_lag_seconds", queue=queue) == 0
    assert value(samples, "fedihub_dead_hosts") == 0
    assert value(samples, "fedihub_delivery_latency_seconds_count") == 0
    assert failures(samples) == {OTHER_HOSTS: 0}


async def test_queued_deliveries_raise_the_depth_and_a_late_one_the_lag(
    app_client: TestClient, services: Services, hub: str
) -> None:
    now = services.clock.now()
    late = [Target(f"https://{h}/inbox", h) for h in ("a.example", "b.example")]
    await enqueue(services, late, now - 120)
    await enqueue(services, [Target("https://c.example/inbox", "c.example")], now + 3600)
    samples = await scrape(app_client)
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 3
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="running") == 0
    assert 120 <= value(samples, "fedihub_queue_lag_seconds", queue="deliveries") < 180
    await store.claim_due(
        services.db, now=services.clock.now(), limit=1, per_host=8, in_flight={}, owner="test"
    )
    samples = await scrape(app_client)
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 2
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="running") == 1


async def test_a_follow_handled_and_its_accept_delivered_show_in_the_counts(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice = remote.add_actor("alice", key="alice")
    follow = load("mastodon-follow", **{
        "https://mastodon.example/users/alice": alice.id,
        "https://mastodon.example": remote.base_url(),
        "https://fedihub.example/hubs/climate": hub,
    })  # fmt: skip
    assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 202
    samples = await scrape(app_client)
    assert value(samples, "fedihub_queue_depth", queue="inbox", state="pending") == 1
    assert await app_client.app[inbox_worker_key].run_once() == 1
    samples = await scrape(app_client)
    assert value(samples, "fedihub_queue_depth", queue="inbox", state="pending") == 0
    assert value(samples, "fedihub_inbox_items_total", outcome="done") == 1
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 1

    started = time.monotonic()
    assert await app_client.app[delivery_worker_key].run_once() == 1
    took_s = time.monotonic() - started
    assert len(remote.received_by(f"/users/{alice.username}/inbox")) == 1  # the Accept
    samples = await scrape(app_client)
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 0
    assert value(samples, "fedihub_delivery_latency_seconds_count") == 1
    latency_s = value(samples, "fedihub_delivery_latency_seconds_sum")
    assert 0 < latency_s < took_s + 5
    assert value(samples, "fedihub_delivery_latency_seconds_bucket", le="+Inf") == 1
    assert failures(samples) == {OTHER_HOSTS: 0}


async def test_an_unsigned_and_a_forged_activity_count_as_signature_failures(
    app_client: TestClient, remote: RemoteServer, hub: str
) -> None:
    assert (await app_client.post("/inbox", json=load("mastodon-follow"))).status == 401
    alice, forger = remote.add_actor("alice", key="alice"), remote.add_actor("f", key="mallory")
    follow = {"id": f"{alice.id}#follow", "type": "Follow", "actor": alice.id, "object": hub}
    alice.secret.private_key = forger.secret.private_key  # signs with the wrong key for alice's id
    assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 401
    samples = await scrape(app_client)
    assert value(samples, "fedihub_inbox_signature_failures_total") == 2
    assert value(samples, "fedihub_queue_depth", queue="inbox", state="pending") == 0


async def test_a_failing_host_counts_its_failures(
    app_client: TestClient, services: Services, hub: str
) -> None:
    async with RemoteServer(respond_status=503) as failing:
        inbox = f"{failing.base_url()}/inbox"
        await enqueue(services, [Target(inbox, host_of(inbox))], services.clock.now())
        assert await app_client.app[delivery_worker_key].run_once() == 1
        assert len(failing.received) == 1
    samples = await scrape(app_client)
    assert failures(samples) == {host_of(inbox): 1, OTHER_HOSTS: 0}
    assert value(samples, "fedihub_delivery_latency_seconds_count") == 0
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 1


async def test_at_most_the_bound_of_failing_hosts_have_their_own_series(
    app_client: TestClient, services: Services, hub: str
) -> None:
    """Nothing listens on these ports: every delivery fails at once (connection refused)."""
    bound = Metrics().failure_hosts
    ports: set[int] = set()
    while len(ports) < bound + 10:
        ports.add(free_port())
    inboxes = [f"http://127.0.0.1:{port}/inbox" for port in ports]
    await enqueue(services, [Target(i, host_of(i)) for i in inboxes], services.clock.now())
    assert await app_client.app[delivery_worker_key].run_once() == bound + 10
    shown = failures(await scrape(app_client))
    assert len(shown) == bound + 1 and shown[OTHER_HOSTS] == 10
    assert sum(shown.values()) == bound + 10
    # A hidden host failing more than twice as often as the least failing shown one replaces
    # it: its series counts from then on, the replaced one's count moves to "other".
    hidden = next(i for i in inboxes if host_of(i) not in shown)
    for _ in range(2):
        await services.db.execute(
            "UPDATE deliveries SET next_try_at = 0 WHERE inbox = ?", (hidden,)
        )
        assert await app_client.app[delivery_worker_key].run_once() == 1
    shown = failures(await scrape(app_client))
    assert len(shown) == bound + 1 and shown[host_of(hidden)] == 1
    assert shown[OTHER_HOSTS] == 12 and sum(shown.values()) == bound + 12


async def test_a_host_failing_on_seven_days_is_counted_dead(
    app_client: TestClient, services: Services, hub: str
) -> None:
    await enqueue(services, [Target("https://dead.example/inbox", "dead.example")], 0.0)
    (delivery,) = await store.claim_due(
        services.db, now=1.0, limit=1, per_host=8, in_flight={}, owner="test"
    )
    failed = classify(500, None, None, 1, 0.0, 0.0)
    for day in range(6):
        await store.record_outcomes(services.db, [(delivery, failed, 500)], now=day * 86400.0)
    assert value(await scrape(app_client), "fedihub_dead_hosts") == 0
    await store.record_outcomes(services.db, [(delivery, failed, 500)], now=6 * 86400.0 + 1)
    assert value(await scrape(app_client), "fedihub_dead_hosts") == 1


async def test_two_apps_in_one_process_keep_their_own_counts(
    app_client: TestClient, services: Services, hub: str
) -> None:
    async with RemoteServer(respond_status=503) as failing:
        inbox = f"{failing.base_url()}/inbox"
        await enqueue(services, [Target(inbox, host_of(inbox))], services.clock.now())
        await app_client.app[delivery_worker_key].run_once()
    # A second app on the same instance data, on another port: the cluster's numbers are the
    # same, this process's counts are its own.
    other = replace(services.config, domain=f"localhost:{free_port()}")
    async with serving(other) as second:
        samples = await scrape(second)
    assert failures(samples) == {OTHER_HOSTS: 0}
    assert value(samples, "fedihub_queue_depth", queue="deliveries", state="pending") == 1
    assert failures(await scrape(app_client))[host_of(inbox)] == 1


ROWS = 100_000
NUMBERS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"


@pytest.mark.parametrize("shape, pending", [
    ("history", "CASE i % 100 WHEN 0 THEN 'pending' WHEN 1 THEN 'running' ELSE 'done' END"),
    ("backlog", "'pending'"),
])  # fmt: skip
async def test_a_scrape_of_100000_deliveries_and_inbox_items_stays_fast(
    app_client: TestClient, services: Services, hub: str, shape: str, pending: str
) -> None:
    """history: two weeks of finished rows and 1 % queued; backlog: every row queued. The
    figures (median of 30 scrapes over HTTP) are printed: pytest -s."""
    actor_id = await services.db.fetchval("SELECT id FROM local_actors LIMIT 1")
    async with services.db.transaction() as tx:
        activity_id = await tx.insert(
            "INSERT INTO outbox_activities (uri, actor_id, type, is_public, document, created_at)"
            " VALUES ('https://x.example/a', ?, 'Create', 1, '{}', 0)",
            (actor_id,),
        )
    await services.db.execute(
        f"{NUMBERS} INSERT INTO deliveries (activity_id, inbox, host, state, next_try_at,"
        " created_at) SELECT ?, 'https://h' || (i % 3000) || '.example/inbox/' || i,"
        f" 'h' || (i % 3000) || '.example', {pending}, i, 0 FROM n",
        (ROWS, activity_id),
    )
    await services.db.execute(
        f"{NUMBERS} INSERT INTO inbox_items (activity_uri, actor_uri, actor_host, type, document,"
        f" state, next_try_at, received_at) SELECT 'https://a' || (i % 300) || '.example/' || i,"
        f" 'https://a.example/u', 'a' || (i % 300) || '.example', 'Like', '', {pending}, i, 0"
        " FROM n",
        (ROWS,),
    )
    await services.db.execute(  # 1,000 dead hosts
        f"{NUMBERS} INSERT INTO host_failure_days (host, day)"
        " SELECT 'h' || (i % 1000) || '.example', 'day' || (i / 1000) FROM n",
        (7000,),
    )
    await services.db.execute("ANALYZE")
    queued = ROWS // 100 if shape == "history" else ROWS
    took_s = []
    for _ in range(30):
        started = time.perf_counter()
        samples = await scrape(app_client)
        took_s.append(time.perf_counter() - started)
    for queue in ("inbox", "deliveries"):
        assert value(samples, "fedihub_queue_depth", queue=queue, state="pending") == queued
    assert value(samples, "fedihub_dead_hosts") == 1000
    median_s = sorted(took_s)[len(took_s) // 2]
    print(f"\n/metrics, {shape}, {services.db.dialect}: median {median_s * 1000:.1f} ms,"
          f" max {max(took_s) * 1000:.1f} ms")  # fmt: skip
    assert median_s < 0.5
