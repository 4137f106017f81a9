"""A media store that hangs (a lost NFS mount, a bucket that never answers) holds only its own
threads: the resolver's DNS lookups, which run on the event loop's default executor, go on."""

from __future__ import annotations

import asyncio
import os
import time

from fedihub.client import GuardedResolver
from fedihub.media.service import objects
from fedihub.services import Services

HUNG_READS = 40  # more than the default executor's threads (at most 32)


async def test_reads_hung_in_the_media_store_do_not_delay_a_dns_lookup(
    services: Services,
) -> None:
    media = services.config.media_location
    assert not isinstance(media, str) and media.is_dir()
    hung = media / ("A" * 24 + ".jpg")
    os.mkfifo(hung)  # opening it for reading blocks until someone writes: a store that hangs
    reads = [asyncio.create_task(objects(services).open(hung.name)) for _ in range(HUNG_READS)]
    await asyncio.sleep(0.2)  # every thread the reads can have is taken
    assert not any(r.done() for r in reads)
    resolver = GuardedResolver(allow_loopback=True)
    writer = None
    try:
        started = time.monotonic()
        found = await asyncio.wait_for(resolver.resolve("localhost", 80), 5)
        assert found and time.monotonic() - started < 2
    finally:
        writer = os.open(hung, os.O_WRONLY | os.O_NONBLOCK)  # lets the reads go
        try:
            for stored in await asyncio.wait_for(asyncio.gather(*reads), 10):
                assert stored is not None
                await stored.close()
        finally:
            os.close(writer)
            await resolver.close()
