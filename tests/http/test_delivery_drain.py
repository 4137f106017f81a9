"""A stop that comes while the delivery worker is claiming: what that pass claims is sent,
answered and recorded before the drain returns, so a restart resends nothing that arrived.

The claim is held up by a transaction the test keeps open (SQLite's one writer; on PostgreSQL an
exclusive lock on the queue), which is how a busy database delays it for real."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.store import get_actor
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.outbox.worker import DeliveryWorker
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.remote import RemoteServer


async def test_a_drain_during_a_claim_waits_for_what_that_claim_sends(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "relief", name="Relief", organizer=ana)
    hub = await get_actor(services.db, "group", "relief")
    assert hub is not None
    hub_uri = hub.uri(services.config.base_url)
    for n in range(6):
        who = remote.add_actor(f"v{n}", host_index=n % 2, shared_inbox=False)
        follow = {"id": f"{who.id}#follow", "type": "Follow", "actor": who.id, "object": hub_uri}
        assert (await remote.post(f"{hub_uri}/inbox", follow, who)).status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass
    while await app_client.app[delivery_worker_key].run_once():  # the Accepts
        pass
    remote.received.clear()
    remote.delay_s = 0.3  # requests are still in flight when the drain starts

    worker = DeliveryWorker(
        services.db, services.client, services.keyring, concurrency=16, per_host=8,
        clock=services.clock, idle_s=60.0,
    )  # fmt: skip
    running = asyncio.create_task(worker.run_forever())
    await asyncio.sleep(0.2)  # its first pass found nothing; it now waits to be woken
    await posts.publish(services, hub, ana, "update", "Sandbags at the depot at 9.")
    async with services.db.transaction() as tx:
        if services.db.dialect == "postgresql":
            await tx.execute("LOCK TABLE deliveries IN EXCLUSIVE MODE")
        worker.wake()
        await asyncio.sleep(0.3)  # the pass is now waiting to claim
        draining = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.1)
        assert not draining.done()  # it waits for the pass under way
    await asyncio.wait_for(draining, 10)

    rows = await services.db.fetchall(
        "SELECT d.inbox, d.state FROM deliveries d JOIN outbox_activities o"
        " ON o.id = d.activity_id WHERE o.type = 'Create'"
    )
    states = dict((inbox, state) for inbox, state in rows)
    assert len(states) == 6 and "running" not in states.values()
    arrived = {r.url for r in remote.received if r.activity["type"] == "Create"}
    assert arrived and all(states[inbox] == "done" for inbox in arrived)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
