"""Deliver queued activities: signed POSTs, bounded per host and overall, results written in
batches. A slow or dead host only ever holds its own `per_host` slots, so others keep flowing.
Claiming, leases, backoff and the loop are the job machine's (fedihub/jobs.py)."""

from __future__ import annotations

import asyncio
import logging
import random

from fedihub.actors.keyring import KeyRing
from fedihub.client import HttpClient
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.db import Database
from fedihub.jobs import THIS_PROCESS, KeyedSlots, WorkerLoop
from fedihub.metrics import Metrics
from fedihub.outbox import store
from fedihub.outbox.deliveries import DELIVERIES, Outcome, classify
from fedihub.outbox.store import Delivery

log = logging.getLogger(__name__)

# Work enqueued by another process (the CLI) wakes the worker by a notice (Database.notify); the
# poll is the safety net should one be lost: 0.25 s costs ~0.5 % of a core when idle, measured;
# 0.1 s cost three times that.
IDLE_POLL_S = 0.25
SWEEP_EVERY_S = 60.0
# While requests are in flight, results are recorded at least this often.
FLUSH_EVERY_S = 0.05


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
        clock: Clock = SYSTEM_CLOCK,
        owner: str = THIS_PROCESS,
        metrics: Metrics | None = None,
        idle_s: float = IDLE_POLL_S,
    ) -> None:
        self._db = db
        self._metrics = metrics or Metrics()  # the app passes its own, which /metrics shows
        self._client = client
        self._keyring = keyring
        self._concurrency = concurrency
        self._clock = clock
        self._in_flight = KeyedSlots(per_host)
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[tuple[Delivery, Outcome, int]] = []
        self._bodies: dict[int, tuple[int, bytes]] = {}
        self._drain_timeout_s = drain_timeout_s
        # Held by each pass and by a drain, so a drain never overlaps a pass: a claim under way
        # when the stop comes has its requests waited for, and no batch of results is half
        # written when the loop's task is cancelled after the drain.
        self._passing = asyncio.Lock()
        self._swept_at: float | None = None
        self._loop = WorkerLoop(
            "delivery", self._step, db=db, clock=clock, idle_s=idle_s, policy=DELIVERIES,
            owner=owner, on_stop=self.drain,
        )  # fmt: skip

    def wake(self) -> None:
        """Something was enqueued in this process: look now rather than at the next poll."""
        self._loop.wake()

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
        await self._loop.run_forever()

    async def _step(self) -> float | None:
        """One pass: sweep now and then, claim what fits, record what finished."""
        async with self._passing:
            if self._loop.stopping:  # a drain ran while this pass waited for it
                return None
            now = self._clock.now()
            if self._swept_at is None or now - self._swept_at > SWEEP_EVERY_S:
                await self._give_up_unreachable(now)
                self._swept_at = now
            claimed = await self._claim() if len(self._tasks) < self._concurrency else []
            for delivery in claimed:
                task = asyncio.create_task(self._send(delivery))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            await self._flush()
            return FLUSH_EVERY_S if self._tasks else None

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._loop.wake()  # a slot is free and a result waits to be recorded

    async def drain(self) -> None:
        """Stop claiming; let requests in flight finish and record them, so a restart resends
        nothing that was delivered. Waits as long as one request may take (the client's total
        timeout), so only a stop forced sooner (SIGKILL) can cause a resend."""
        self._loop.stop()
        async with self._passing:  # the pass under way ends first, with whatever it claimed
            clock = asyncio.get_running_loop()
            deadline = clock.time() + self._drain_timeout_s
            while self._tasks and (left := deadline - clock.time()) > 0:
                await asyncio.wait(list(self._tasks), timeout=left)
            if self._tasks:
                log.warning("delivery: %d requests did not finish within %.0f s of the stop",
                            len(self._tasks), self._drain_timeout_s)  # fmt: skip
            await self._flush()

    async def _give_up_unreachable(self, now: float) -> None:
        unreachable = await store.unavailable_hosts(self._db) | await store.blocked_hosts(self._db)
        if gave_up := await store.give_up_unreachable(self._db, unreachable, now):
            log.info("gave up %d deliveries to unavailable or blocked hosts", gave_up)

    async def _claim(self) -> list[Delivery]:
        claimed = await store.claim_due(
            self._db,
            now=self._clock.now(),
            limit=self._concurrency - len(self._tasks),
            per_host=self._in_flight.per_key,
            in_flight=self._in_flight.as_counts(),
            owner=self._loop.owner,
        )
        if len(self._bodies) > 1000:
            self._bodies.clear()
        missing = {d.activity_id for d in claimed} - self._bodies.keys()
        if missing:
            self._bodies.update(await store.activity_documents(self._db, missing))
        for delivery in claimed:  # counted now, so the next claim sees these slots as taken
            self._in_flight.take(delivery.host)
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
                self._clock.now(),
                random.random(),
                permanent=result.permanent,
            )
            status = result.status
        except Exception as e:
            # A bug must not strand the row as running: record it and try again later.
            log.exception("delivery %d to %s crashed", delivery.id, delivery.inbox)
            reason = f"{type(e).__name__}: {e}"
            attempts = delivery.attempts + 1
            outcome = classify(0, None, reason, attempts, self._clock.now(), random.random())
            status = 0
        finally:
            self._in_flight.give_back(delivery.host)
        if outcome.state == "done":
            self._metrics.delivered(self._clock.now() - delivery.created_at)
        else:
            self._metrics.delivery_failed(delivery.host)
            log.info("delivery %d to %s: %s", delivery.id, delivery.inbox, outcome.reason)
        self._results.append((delivery, outcome, status))

    async def _flush(self) -> None:
        # Whatever finished since the last write goes in one transaction: under load this
        # groups many rows per commit, at low load each result is written at once.
        if self._results:
            batch, self._results = self._results, []
            await store.record_outcomes(self._db, batch, self._clock.now())
