"""What one remote host may cost us: a budget of requests a minute and of bytes stored a day
(429 with Retry-After past either, other hosts unaffected), and no body kept for activities
that changed nothing here."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from fedihub.config import Config, load_config
from fedihub.inbox.budget import HostBudgets
from fedihub.keys import inbox_worker_key
from fedihub.services import Services
from tests.support.remote import AS, RemoteActor, RemoteServer

REQUESTS = 20
BYTES = 300_000


@pytest.fixture
async def instance_config(instance_config: Config) -> Config:
    return dataclasses.replace(
        instance_config,
        inbox_requests_per_minute_per_host=REQUESTS,
        inbox_bytes_per_day_per_host=BYTES,
        fetch_timeout_s=1.0,  # a server that never answers is given up on after a second
    )


def like(actor: RemoteActor, n: int, padding: int = 0) -> dict:
    """A Like of nothing here (ignored once handled), optionally padded to fill a disk."""
    return {"@context": AS, "id": f"{actor.id}/likes/{n}", "type": "Like", "actor": actor.id,
            "object": f"{actor.base_url}/notes/{n}", "padding": "x" * padding}  # fmt: skip


async def test_a_host_past_its_request_budget_gets_429_and_others_do_not(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    inbox = f"{services.config.base_url}/inbox"
    noisy, other = remote.add_actor("noisy", host_index=0), remote.add_actor("o", host_index=1)
    statuses = [(await remote.post(inbox, like(noisy, n), noisy)).status for n in range(REQUESTS)]
    assert statuses == [202] * REQUESTS
    refused = await remote.post(inbox, like(noisy, REQUESTS), noisy)
    assert refused.status == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 / REQUESTS + 1  # one request's worth of the minute's budget
    assert (await remote.post(inbox, like(other, 0), other)).status == 202
    stored = await services.db.fetchval(
        "SELECT count(*) FROM inbox_items WHERE actor_uri = ?", (noisy.id,)
    )
    assert stored == REQUESTS


async def test_a_host_past_its_byte_budget_gets_429_and_the_disk_stays_bounded(
    app_client: TestClient, services: Services, remote: RemoteServer, instance_config: Config
) -> None:
    inbox = f"{services.config.base_url}/inbox"
    filler = remote.add_actor("filler", host_index=0)
    statuses = [
        (await remote.post(inbox, like(filler, n, padding=100_000), filler)).status
        for n in range(6)
    ]
    # Three bodies of ~100 kB fit in 300 kB; the fourth is stored while the budget is not yet
    # spent (a request is judged on what came before it); after that, 429.
    assert statuses[:3] == [202] * 3 and statuses[-1] == 429
    assert 202 not in statuses[statuses.index(429):]
    stored_bytes = await services.db.fetchval(
        "SELECT sum(length(document)) FROM inbox_items WHERE actor_uri = ?", (filler.id,)
    )
    assert stored_bytes <= BYTES + instance_config.max_inbox_body_bytes


async def test_ignored_activities_keep_no_body(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    inbox = f"{services.config.base_url}/inbox"
    sender = remote.add_actor("sender")
    assert (await remote.post(inbox, like(sender, 1, padding=50_000), sender)).status == 202
    before = await services.db.fetchval("SELECT length(document) FROM inbox_items")
    assert before > 50_000
    await app_client.app[inbox_worker_key].run_once()
    row = await services.db.fetchone("SELECT state, length(document) AS size FROM inbox_items")
    assert row["state"] == "done" and row["size"] == 0


def test_budgets_refill_with_time_and_forget_old_hosts() -> None:
    now = [0.0]
    budgets = HostBudgets(requests_per_minute=60, bytes_per_day=86_400, clock=lambda: now[0])
    budgets.charge("a.example", requests=60)
    assert budgets.wait_s("a.example") == pytest.approx(1.0)
    now[0] += 1.0
    assert budgets.wait_s("a.example") == 0
    budgets.charge("a.example", stored_bytes=86_400)
    assert budgets.wait_s("a.example") == pytest.approx(4096.0, rel=0.01)  # 1 byte a second
    assert budgets.wait_s("b.example") == 0


async def test_the_budget_settings_come_from_the_environment(
    tmp_path: Path, instance_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEDIHUB_INBOX_REQUESTS_PER_MINUTE_PER_HOST", "7")
    assert load_config(instance_config.data_dir).inbox_requests_per_minute_per_host == 7


async def test_a_handler_waiting_on_a_silent_server_is_cut_off_and_retried(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    """A member's Create for their group makes us fetch the group server's copy; that server
    never answers. The fetch is cut off (here after fetch_timeout_s, a second), the item goes
    back to wait for a retry, and an unrelated item from another host is handled meanwhile."""
    member = remote.add_actor("member", host_index=1)
    group = remote.add_actor("group", host_index=1, actor_type="Group")
    other = remote.add_actor("other", host_index=0)
    obj = {"id": f"{remote.base_url(1)}/stall/1", "type": "Note", "attributedTo": group.id,
           "content": "never fetched"}  # fmt: skip
    create = {"@context": AS, "id": f"{member.id}/creates/1", "type": "Create",
              "actor": member.id, "object": obj}  # fmt: skip
    inbox = f"{services.config.base_url}/inbox"
    assert (await remote.post(inbox, create, member)).status == 202
    assert (await remote.post(inbox, like(other, 1), other)).status == 202
    started = time.monotonic()
    assert await app_client.app[inbox_worker_key].run_once() == 2
    assert time.monotonic() - started < 5
    rows = await services.db.fetchall("SELECT actor_uri, state, error, attempts FROM inbox_items")
    by_actor = {r["actor_uri"]: r for r in rows}
    assert by_actor[other.id]["state"] == "done"
    assert by_actor[member.id]["state"] == "pending"  # kept, to be tried again later
    assert "TimeoutError" in by_actor[member.id]["error"]
    assert by_actor[member.id]["attempts"] == 1
    assert remote.stalled == [obj["id"]]


def test_hosts_named_by_anyone_cannot_push_a_real_hosts_budget_out() -> None:
    """The budget is looked at before the signature is checked: looking creates nothing, so
    unsigned requests naming invented hosts cannot reset a busy host's budget."""
    budgets = HostBudgets(requests_per_minute=60, bytes_per_day=86_400, clock=lambda: 0.0)
    budgets.charge("busy.example", requests=60)
    for n in range(20_000):
        assert budgets.wait_s(f"invented-{n}.example") == 0
    assert budgets.wait_s("busy.example") == pytest.approx(1.0)


def test_zero_means_no_limit() -> None:
    budgets = HostBudgets(requests_per_minute=0, bytes_per_day=0, clock=lambda: 0.0)
    budgets.charge("a.example", requests=10_000, stored_bytes=10**12)
    assert budgets.wait_s("a.example") == 0
