"""One process of a cluster that only delivers: `python -m tests.support.delivery_process DATA`
runs the delivery worker of the instance in DATA (on PostgreSQL) as `fedihub serve` does, with
the configured concurrency and per-host limit, until no delivery is left to send.
tests/unit/test_claims_across_processes.py starts several.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from fedihub import jobs
from fedihub.kinds import registry
from fedihub.outbox.worker import DeliveryWorker
from fedihub.services import services_for
from tests.support.network import eventually


async def deliver_until_done(data: Path) -> None:
    async with services_for(data, registry()) as svc:
        owner = jobs.server_owner(data, svc.db.dialect)
        worker = DeliveryWorker(
            svc.db, svc.client, svc.keyring, concurrency=svc.config.delivery_concurrency,
            per_host=svc.config.delivery_per_host, clock=svc.clock, owner=owner,
        )  # fmt: skip
        running = asyncio.create_task(worker.run_forever())

        async def all_sent() -> bool:
            left = await svc.db.fetchval("SELECT count(*) FROM deliveries WHERE state <> 'done'")
            return bool(left == 0)

        await eventually(all_sent, 60, "every delivery to be sent")
        await worker.drain()
        await running


if __name__ == "__main__":
    asyncio.run(deliver_until_done(Path(sys.argv[1])))
