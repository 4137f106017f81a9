"""Process stored inbox items: claim, dispatch to HANDLERS, record the result.

Items are handled concurrently, at most `per_host` at once from one sending host and one at a
time per actor (so an actor's Follow and Undo keep their order). A handler that waits on
another server (a fetch that never answers) is cut off after HANDLER_TIMEOUT_S and retried
later: a slow or hostile host holds only its own slots, never the inbox of everyone else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable

from fedihub.errors import FedihubError, FetchError
from fedihub.inbox import store
from fedihub.inbox.handlers import HANDLERS
from fedihub.inbox.store import InboxItem, Result
from fedihub.services import Services

log = logging.getLogger(__name__)

LEASE_S = 300.0
MAX_ATTEMPTS = 8
# Long enough for an actor and an object fetch (each cut at 10 s of silence by the client),
# short enough that a host that never answers is dropped and retried later.
HANDLER_TIMEOUT_S = 20.0
# Inbox rows are written in this process, which wakes the worker: polling is a safety net.
IDLE_POLL_S = 1.0
PRUNE_EVERY_S = 3600.0
KEEP_FINISHED_S = 14 * 86400


def retry_delay_s(attempts: int) -> float:
    return 30.0 * 2**attempts


def is_ignored(note: str) -> bool:
    """Handlers say "ignored: why" when an activity changes nothing here."""
    return note.startswith("ignored")


class InboxWorker:
    def __init__(
        self,
        svc: Services,
        clock: Callable[[], float] = time.time,
        handler_timeout_s: float = HANDLER_TIMEOUT_S,
    ) -> None:
        self._svc = svc
        self._clock = clock
        self._handler_timeout_s = handler_timeout_s
        self._concurrency = svc.config.inbox_concurrency
        self._per_host = svc.config.inbox_per_host
        self._wake = asyncio.Event()
        self._in_flight: Counter[str] = Counter()
        self._actors: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Handles every item due now (one pass, waiting for them); returns how many. Tests
        step the worker with it; `fedihub serve` runs the streaming `run_forever`."""
        handled = 0
        while claimed := await self._claim():
            handled += len(claimed)
            await asyncio.gather(*(self._handle(item) for item in claimed))
            await self._flush()
        return handled

    async def run_forever(self) -> None:
        await store.release_all_claims(self._svc.db)
        pruned_at = 0.0
        try:
            while True:
                try:
                    pruned_at = await self._step(pruned_at)
                except Exception:
                    # A database error must not stop the inbox for good; claimed rows come
                    # back when their lease runs out.
                    log.exception("inbox worker pass failed; retrying")
                    await asyncio.sleep(1.0)
        finally:
            for task in self._tasks:
                task.cancel()  # leases run out and the items are handled after a restart

    async def _step(self, pruned_at: float) -> float:
        """One pass: prune now and then, claim what fits, record what finished, then wait."""
        now = self._clock()
        if now - pruned_at > PRUNE_EVERY_S:
            await store.prune_finished(self._svc.db, now - KEEP_FINISHED_S)
            pruned_at = now
        claimed = await self._claim() if len(self._tasks) < self._concurrency else []
        for item in claimed:
            task = asyncio.create_task(self._handle(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await self._flush()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
        elif not claimed:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
        return pruned_at

    async def _claim(self) -> list[InboxItem]:
        claimed = await store.claim_due(
            self._svc.db,
            now=self._clock(),
            limit=self._concurrency - len(self._tasks),
            per_host=self._per_host,
            in_flight=self._in_flight,
            busy_actors=self._actors,
            lease_s=LEASE_S,
        )
        for item in claimed:  # counted now, so the next claim sees these slots as taken
            self._in_flight[item.actor_host] += 1
            self._actors.add(item.actor_uri)
        return claimed

    async def _handle(self, item: InboxItem) -> None:
        try:
            self._results.append(await self._process(item))
        finally:
            self._in_flight[item.actor_host] -= 1
            if self._in_flight[item.actor_host] <= 0:
                del self._in_flight[item.actor_host]
            self._actors.discard(item.actor_uri)

    async def _flush(self) -> None:
        # Whatever finished since the last write goes in one transaction.
        if self._results:
            batch, self._results = self._results, []
            await store.record_results(self._svc.db, batch, self._clock())

    async def _process(self, item: InboxItem) -> Result:
        if not item.readable:
            return Result(item.id, error="the stored activity is not valid JSON", drop_body=True)
        handler = HANDLERS.get(item.type)
        if handler is None:
            return Result(item.id, drop_body=True)
        try:
            async with asyncio.timeout(self._handler_timeout_s):
                note = await handler(self._svc, item)
        except (FetchError, TimeoutError) as e:
            reason = e.message if isinstance(e, FetchError) else "another server took too long"
            if item.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("inbox %s %s failed: %s", item.type, item.activity_uri, reason)
                return Result(item.id, error=reason, drop_body=True)
            return Result(item.id, reason, self._clock() + retry_delay_s(item.attempts))
        except FedihubError as e:
            log.info("inbox %s %s refused: %s", item.type, item.activity_uri, e.message)
            return Result(item.id, error=e.message, drop_body=True)
        except Exception as e:
            # A bug, not bad input: keep the traceback once, keep the item for a later look.
            log.exception("inbox %s %s crashed", item.type, item.activity_uri)
            return Result(item.id, error=f"{type(e).__name__}: {e}")
        log.debug("inbox %s %s: %s", item.type, item.activity_uri, note)
        return Result(item.id, drop_body=is_ignored(note))
