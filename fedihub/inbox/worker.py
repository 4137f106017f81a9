"""Process stored inbox items: claim, dispatch to HANDLERS, record the result."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from fedihub.errors import FedihubError, FetchError
from fedihub.inbox import store
from fedihub.inbox.handlers import HANDLERS
from fedihub.inbox.store import InboxItem, Result
from fedihub.services import Services

log = logging.getLogger(__name__)

LEASE_S = 300.0
BATCH = 64
MAX_ATTEMPTS = 8
# Inbox rows are written in this process, which wakes the worker: polling is a safety net.
IDLE_POLL_S = 1.0
KEEP_FINISHED_S = 14 * 86400


def retry_delay_s(attempts: int) -> float:
    return 30.0 * 2**attempts


class InboxWorker:
    def __init__(self, svc: Services, clock: Callable[[], float] = time.time) -> None:
        self._svc = svc
        self._clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Processes every item due now; returns how many were handled."""
        handled = 0
        while items := await store.claim_due(self._svc.db, self._clock(), BATCH, LEASE_S):
            results = [await self._process(item) for item in items]
            await store.record_results(self._svc.db, results, self._clock())
            handled += len(items)
        return handled

    async def run_forever(self) -> None:
        await store.release_all_claims(self._svc.db)
        pruned_at = 0.0
        while True:
            try:
                if self._clock() - pruned_at > 3600:
                    await store.prune_finished(self._svc.db, self._clock() - KEEP_FINISHED_S)
                    pruned_at = self._clock()
                handled = await self.run_once()
            except Exception:
                # A database error must not stop the inbox for good; claimed rows come back
                # when their lease runs out.
                log.exception("inbox worker pass failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if handled == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)

    async def _process(self, item: InboxItem) -> Result:
        if not item.readable:
            return Result(item.id, error="the stored activity is not valid JSON")
        handler = HANDLERS.get(item.type)
        if handler is None:
            return Result(item.id)
        try:
            note = await handler(self._svc, item)
        except FetchError as e:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("inbox %s %s failed: %s", item.type, item.activity_uri, e.message)
                return Result(item.id, error=e.message)
            return Result(item.id, e.message, self._clock() + retry_delay_s(item.attempts))
        except FedihubError as e:
            log.info("inbox %s %s refused: %s", item.type, item.activity_uri, e.message)
            return Result(item.id, error=e.message)
        except Exception as e:
            # A bug, not bad input: keep the traceback once, keep the item for a later look.
            log.exception("inbox %s %s crashed", item.type, item.activity_uri)
            return Result(item.id, error=f"{type(e).__name__}: {e}")
        log.debug("inbox %s %s: %s", item.type, item.activity_uri, note)
        return Result(item.id)
