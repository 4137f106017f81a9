"""Process stored inbox items: claim, dispatch to HANDLERS, record the result.

Items are handled concurrently, at most `inbox_per_host` at once from one sending host and one
at a time per actor, in the order they arrived (an item waiting for a retry is overtaken). A
handler waiting on another server is bounded by the client's timeouts (nothing for 10 s, 30 s
in all) and its item retried later: a slow or hostile host holds only its own lanes.

Handlers are never cancelled part-way: one that was could leave a write half-done. The table of
handlers is passed in (the app wires `inbox.handlers.HANDLERS`): they call capabilities, which
sit above this worker. The loop, leases, retries and pruning are the job machine's (jobs.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping

from fedihub import jobs
from fedihub.clock import Clock
from fedihub.errors import FedihubError, FetchError
from fedihub.inbox import store
from fedihub.inbox.store import INBOX, InboxItem, Result
from fedihub.jobs import KeyedSlots, WorkerLoop
from fedihub.metrics import Metrics
from fedihub.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[Services, InboxItem], Awaitable[str]]

# Claimed and held in memory at most, in all and per host: big enough that a busy host's items
# are claimed in large batches (a claim costs about a millisecond, whatever its size). Leases
# of held items are renewed every third of a lease, however long a stalled host keeps its items
# waiting, so a row is claimed again only when its worker died.
HELD_MAX = 1024
HELD_PER_HOST = 256
# A busy inbox claims and records in batches, at most this often, so it adds few transactions
# to the single writer that the inbox's own intake also needs.
BATCH_EVERY_S = 0.02
FLUSH_AT = 64
# A host's items run through one lane until every lane of it has been on one item this long.
SLOW_S = 0.05
# Inbox rows are written in this process, which wakes the worker: polling is a safety net.
IDLE_POLL_S = 1.0


def is_ignored(note: str) -> bool:
    """Handlers say "ignored: why" when an activity changes nothing here."""
    return note.startswith("ignored")


class InboxWorker:
    """Claims due items in batches and holds them in memory, one line per sending host, then
    works through each line in up to `inbox_per_host` lanes (at most `inbox_concurrency` in
    all), oldest first and one item at a time per actor."""

    def __init__(
        self,
        svc: Services,
        handlers: Mapping[str, Handler],
        clock: Clock | None = None,
        owner: str = jobs.THIS_PROCESS,
        metrics: Metrics | None = None,
    ) -> None:
        self._svc = svc
        self._metrics = metrics or Metrics()  # the app passes its own, which /metrics shows
        self._handlers = handlers
        self._clock = clock or svc.clock
        self._concurrency = svc.config.inbox_concurrency
        self._lines: dict[str, list[InboxItem]] = {}  # per host: held, not started, oldest first
        self._held_ids: set[int] = set()
        self._held_by_host = KeyedSlots(HELD_PER_HOST)
        self._lanes_by_host = KeyedSlots(svc.config.inbox_per_host)
        self._on_item_since: defaultdict[str, list[float]] = defaultdict(list)  # per host lane
        self._running_actors: set[str] = set()
        self._lanes: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []
        self._claimed_at = self._flushed_at = 0.0
        self._renewed_at = self._clock.now()
        self._more_due = True  # until a claim says otherwise
        self._idle = False  # the last pass found nothing to do
        self._stored_since_claim = False
        self._loop = WorkerLoop(
            "inbox", self._step, db=svc.db, clock=self._clock, idle_s=IDLE_POLL_S, policy=INBOX,
            owner=owner, on_stop=self._stop,
        )  # fmt: skip

    def wake(self) -> None:
        """An item was stored. Only an idle loop needs waking: a busy one looks again within
        BATCH_EVERY_S anyway, and waking it for every request would add a pass per request."""
        self._stored_since_claim = True
        if self._idle:
            self._loop.wake()

    async def run_once(self) -> int:
        """Handles every item due now (one pass, waiting for them); returns how many. Tests
        step the worker with it; `fedihub serve` runs the streaming `run_forever`."""
        handled = 0
        while claimed := await self._claim():
            handled += len(claimed)
            self._open_lanes()
            while self._lanes:
                await asyncio.wait(
                    list(self._lanes), timeout=SLOW_S, return_when=asyncio.FIRST_COMPLETED
                )
                self._open_lanes()  # a slow host's next lane, or an actor's next item
            await self._flush()
        return handled

    async def run_forever(self) -> None:
        await self._loop.run_forever()

    async def _stop(self) -> None:
        """Items under way are not finished, so they are not recorded, and the next start makes
        them due again (the loop releases claims); finished ones are recorded."""
        for lane in self._lanes:
            lane.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._flush()

    async def _step(self) -> float | None:
        """One pass: claim (at most every BATCH_EVERY_S, unless the last claim was full); open
        lanes; record what finished. Claiming and recording in batches keeps a busy inbox from
        adding a transaction per item to the one writer that the intake also needs."""
        now = self._clock.now()
        if now - self._renewed_at > INBOX.lease_s / 3:
            await jobs.renew_leases(
                self._svc.db, INBOX, self._held_ids, now + INBOX.lease_s, self._loop.owner
            )
            self._renewed_at = now
        claim_in_s = self._claimed_at + BATCH_EVERY_S - now
        if self._more_due or claim_in_s <= 0:
            room = HELD_MAX - len(self._held_ids)
            self._stored_since_claim = False
            claimed = await self._claim() if room > 0 else []
            self._more_due = len(claimed) >= room > 0  # it stopped at the limit: more wait
            self._claimed_at, claim_in_s = now, BATCH_EVERY_S
        self._open_lanes()
        if self._results and (len(self._results) >= FLUSH_AT or not self._lanes
                              or now - self._flushed_at >= BATCH_EVERY_S):  # fmt: skip
            await self._flush()
            self._flushed_at = now
        self._idle = False
        if self._more_due:
            return 0.0
        if self._lanes:
            return BATCH_EVERY_S
        if self._stored_since_claim:  # claimed with whatever else arrives meanwhile, in one batch
            return claim_in_s
        self._idle = True
        return None

    async def _claim(self) -> list[InboxItem]:
        claimed = await store.claim_due(
            self._svc.db,
            now=self._clock.now(),
            limit=HELD_MAX - len(self._held_ids),
            per_host=HELD_PER_HOST,
            full_hosts=self._held_by_host.full_keys(),
            owner=self._loop.owner,
        )
        fresh = [item for item in claimed if item.id not in self._held_ids]
        for item in fresh:
            self._lines.setdefault(item.actor_host, []).append(item)
            self._held_ids.add(item.id)
            self._held_by_host.take(item.actor_host)
        return fresh

    def _open_lanes(self) -> None:
        """One lane per host with work; another (up to `inbox_per_host`) only while every lane
        of that host is on an item and has been for SLOW_S: fast items go through one lane, as
        cheaply as a plain loop, and only a host that makes us wait gets more."""
        now = self._clock.monotonic()
        for host, line in self._lines.items():
            while line and len(self._lanes) < self._concurrency:
                lanes, since = self._lanes_by_host.taken(host), self._on_item_since[host]
                if not self._lanes_by_host.free(host) or self._next_in(line) is None:
                    break
                busy_and_slow = len(since) == lanes and all(now - t >= SLOW_S for t in since)
                if lanes and not busy_and_slow:
                    break
                self._lanes_by_host.take(host)
                lane = asyncio.create_task(self._lane(host))
                self._lanes.add(lane)
                lane.add_done_callback(self._lane_ended)

    def _lane_ended(self, lane: asyncio.Task[None]) -> None:
        self._lanes.discard(lane)
        self._loop.wake()  # its results wait to be recorded, its host's next lane may open

    def _next_in(self, line: list[InboxItem]) -> InboxItem | None:
        """The oldest held item whose actor has nothing running: an actor's items keep order."""
        return next((i for i in line if i.actor_uri not in self._running_actors), None)

    async def _lane(self, host: str) -> None:
        """Works through one host's line, an item at a time, until nothing there may run."""
        line = self._lines[host]
        try:
            while (item := self._next_in(line)) is not None:
                line.remove(item)
                self._running_actors.add(item.actor_uri)
                since, started = self._on_item_since[host], self._clock.monotonic()
                since.append(started)
                try:
                    result = await self._process(item)
                    self._results.append(result)
                    self._metrics.inbox_handled(store.state_after(result))
                finally:
                    since.remove(started)
                    self._running_actors.discard(item.actor_uri)
                    self._release(item)
        finally:
            self._lanes_by_host.give_back(host)
            if not line and not self._lanes_by_host.taken(host):
                del self._lines[host], self._on_item_since[host]

    def _release(self, item: InboxItem) -> None:
        self._held_ids.discard(item.id)
        self._held_by_host.give_back(item.actor_host)

    async def _flush(self) -> None:
        """Whatever finished since the last write, in one transaction; kept for the next try
        if the write fails, so no finished item is handled again."""
        if self._results:
            batch, self._results = self._results, []
            try:
                await store.record_results(self._svc.db, batch, self._clock.now())
            except BaseException:
                self._results[:0] = batch
                raise

    def _fetch_failed(self, item: InboxItem, reason: str) -> Result:
        """Another server did not give us what the item needs: retried later, then given up."""
        retry_at = INBOX.retry.next_try_at(item.attempts + 1, self._clock.now())
        if retry_at is None:
            log.warning("inbox %s %s failed: %s", item.type, item.activity_uri, reason)
            return Result(item.id, error=reason, drop_body=True, gave_up=True)
        return Result(item.id, reason, retry_at)

    async def _process(self, item: InboxItem) -> Result:
        if not item.readable:
            return Result(item.id, error="the stored activity is not valid JSON", drop_body=True)
        handler = self._handlers.get(item.type)
        if handler is None:
            return Result(item.id, drop_body=True)
        try:
            note = await handler(self._svc, item)
        except FetchError as e:
            return self._fetch_failed(item, e.message)
        except FedihubError as e:
            log.info("inbox %s %s refused: %s", item.type, item.activity_uri, e.message)
            return Result(item.id, error=e.message, drop_body=True)
        except Exception as e:
            # A bug, not bad input: keep the traceback once, keep the item for a later look.
            log.exception("inbox %s %s crashed", item.type, item.activity_uri)
            return Result(item.id, error=f"{type(e).__name__}: {e}")
        log.debug("inbox %s %s: %s", item.type, item.activity_uri, note)
        return Result(item.id, drop_body=is_ignored(note))
