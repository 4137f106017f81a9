"""Deliver queued activities: signed POSTs, bounded per host and overall, results written in
batches. A slow or dead host only ever holds its own `per_host` slots, so others keep flowing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable

from fedihub.actors.keyring import KeyRing
from fedihub.client import HttpClient
from fedihub.db import Database
from fedihub.outbox import store
from fedihub.outbox.deliveries import Outcome, classify
from fedihub.outbox.store import Delivery

log = logging.getLogger(__name__)

LEASE_S = 300.0
# Work enqueued by the CLI (another process) is noticed by polling: 0.25 s costs ~0.5 % of a
# core when idle, measured; 0.1 s cost three times that.
IDLE_POLL_S = 0.25
SWEEP_EVERY_S = 60.0
KEEP_FINISHED_S = 14 * 86400


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        client: HttpClient,
        keyring: KeyRing,
        *,
        concurrency: int,
        per_host: int,
        drain_timeout_s: float = 35.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._client = client
        self._keyring = keyring
        self._concurrency = concurrency
        self._per_host = per_host
        self._clock = clock
        self._wake = asyncio.Event()
        self._in_flight: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[tuple[Delivery, Outcome, int]] = []
        self._bodies: dict[int, tuple[int, bytes]] = {}
        self._stopping = False
        self._drain_timeout_s = drain_timeout_s

    def wake(self) -> None:
        """Something was enqueued in this process: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Sends every delivery due now (one pass, waiting for them); returns how many were tried.
        Tests step the worker with it; `fedihub serve` runs the streaming `run_forever`."""
        tried = 0
        while claimed := await self._claim():
            tried += len(claimed)
            await asyncio.gather(*(self._send(d) for d in claimed))
            await self._flush()
        return tried

    async def run_forever(self) -> None:
        await store.release_all_claims(self._db)
        last_sweep = 0.0
        try:
            while not self._stopping:
                try:
                    last_sweep = await self._step(last_sweep)
                except Exception:
                    # A database error (say, locked by a long CLI transaction) must not stop
                    # delivery for good: log it once per occurrence and go round again.
                    log.exception("delivery worker pass failed; retrying")
                    await asyncio.sleep(1.0)
        finally:
            await self.drain()

    async def _step(self, last_sweep: float) -> float:
        """One pass: sweep now and then, claim what fits, record what finished, then wait."""
        now = self._clock()
        if now - last_sweep > SWEEP_EVERY_S:
            await self._sweep(now)
            last_sweep = now
        claimed = await self._claim() if len(self._tasks) < self._concurrency else []
        for delivery in claimed:
            task = asyncio.create_task(self._send(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await self._flush()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
        elif not claimed:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
        return last_sweep

    async def drain(self) -> None:
        """Stop claiming; let requests in flight finish and record them, so a restart resends
        nothing that was delivered. Waits as long as one request may take (the client's total
        timeout), so only a stop forced sooner (SIGKILL) can cause a resend."""
        self._stopping = True
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self._drain_timeout_s)
        await self._flush()

    async def _sweep(self, now: float) -> None:
        await store.prune_finished(self._db, now - KEEP_FINISHED_S)
        unreachable = await store.unavailable_hosts(self._db) | await store.blocked_hosts(self._db)
        if gave_up := await store.give_up_unreachable(self._db, unreachable, now):
            log.info("gave up %d deliveries to unavailable or blocked hosts", gave_up)

    async def _claim(self) -> list[Delivery]:
        claimed = await store.claim_due(
            self._db,
            now=self._clock(),
            limit=self._concurrency - len(self._tasks),
            per_host=self._per_host,
            in_flight=self._in_flight,
            lease_s=LEASE_S,
        )
        if len(self._bodies) > 1000:
            self._bodies.clear()
        missing = {d.activity_id for d in claimed} - self._bodies.keys()
        if missing:
            self._bodies.update(await store.activity_documents(self._db, missing))
        for delivery in claimed:  # counted now, so the next claim sees these slots as taken
            self._in_flight[delivery.host] += 1
        return claimed

    async def _send(self, delivery: Delivery) -> None:
        try:
            actor_id, body = self._bodies[delivery.activity_id]
            secret = await self._keyring.secret_for(actor_id)
            result = await self._client.post_signed(delivery.inbox, body, secret)
            outcome = classify(
                result.status,
                result.retry_after,
                result.error,
                delivery.attempts + 1,
                self._clock(),
                random.random(),
                permanent=result.permanent,
            )
            status = result.status
        except Exception as e:
            # A bug must not strand the row in 'sending': record it and try again later.
            log.exception("delivery %d to %s crashed", delivery.id, delivery.inbox)
            reason = f"{type(e).__name__}: {e}"
            attempts = delivery.attempts + 1
            outcome = classify(0, None, reason, attempts, self._clock(), random.random())
            status = 0
        finally:
            self._in_flight[delivery.host] -= 1
            if self._in_flight[delivery.host] <= 0:
                del self._in_flight[delivery.host]
        if outcome.state != "sent":
            log.info("delivery %d to %s: %s", delivery.id, delivery.inbox, outcome.reason)
        self._results.append((delivery, outcome, status))

    async def _flush(self) -> None:
        # Whatever finished since the last write goes in one transaction: under load this
        # groups many rows per commit, at low load each result is written at once.
        if self._results:
            batch, self._results = self._results, []
            await store.record_outcomes(self._db, batch, self._clock())
