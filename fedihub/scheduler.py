"""Work that falls due with time rather than with a request: federating the next occurrences
of recurring calls, closing polls whose time is up, sending the deferred Update of a post
whose counts (participants, votes) changed, polling the website feeds hubs import, and (hourly)
removing images nothing shows any more.

Runs inside `fedihub serve`, on the job machine's loop; every step works from rows in the
database, so a restart loses nothing and `run_once(now)` lets tests step it at a time of their
own. A routes-level module: it calls on several capabilities (posts, polls, media, feeds).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fedihub.events.calls import federate_upcoming_occurrences
from fedihub.jobs import THIS_PROCESS, WorkerLoop
from fedihub.media.service import remove_unused
from fedihub.polls.service import close_due
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.services import Services
from fedihub.webfeeds import service as feeds


@dataclass(frozen=True)
class SchedulerRun:
    occurrences: int
    updates: int
    closed: int = 0
    imported: int = 0
    images_removed: int = 0


MEDIA_CHECK_EVERY_S = 3600.0
# A pass runs at most this soon after the last, however close the next due row is.
log = logging.getLogger(__name__)
MIN_PAUSE_S = 0.05


class Scheduler:
    def __init__(self, svc: Services, owner: str = THIS_PROCESS) -> None:
        self.svc = svc
        self._media_checked_at: float | None = None
        interval = svc.config.scheduler_interval_s
        # Its one leased queue is the feeds': their leases are released when the loop starts.
        self._loop = WorkerLoop(
            "scheduler", self._step, db=svc.db, clock=svc.clock, idle_s=interval,
            policy=feeds.queue_policy(svc), owner=owner, error_pause_s=interval,
            settle_s=min(0.2, interval),  # let a burst settle into one transaction's worth
        )  # fmt: skip

    def wake(self) -> None:
        self._loop.wake()

    async def run_once(self, now: float | None = None) -> SchedulerRun:
        now = self.svc.clock.now() if now is None else now
        created = await federate_upcoming_occurrences(self.svc, now)
        closed = await close_due(self.svc, now)
        updates = await self.send_due_updates(now)
        imported = await feeds.poll_due(self.svc, now, self._loop.owner)
        removed = 0
        if self._media_checked_at is None or now - self._media_checked_at >= MEDIA_CHECK_EVERY_S:
            removed = await remove_unused(self.svc, now)
            self._media_checked_at = now
        return SchedulerRun(created, updates, closed, imported, removed)

    async def send_due_updates(self, now: float) -> int:
        """One Update per post whose counts changed, however many changes it had."""
        svc = self.svc
        async with svc.db.transaction() as tx:
            due = await posts.take_due_updates(tx, now)
            for post_id in due:
                post = await posts.get_post_by_id(tx, post_id)
                if post is None or post.deleted_at is not None:
                    continue
                hub = await federate.hub_of(svc, post)
                targets = await federate.audience(svc, hub, post)
                await federate.send_update(tx, svc, hub, post, targets, now)
        if due:
            svc.wake_delivery()
        return len(due)

    async def run_forever(self) -> None:
        await self._loop.run_forever()

    async def _step(self) -> float:
        """A pass, then a pause until the next deferred Update is due (at most the interval),
        even after a failed pass: one bad row must not hold back every post's count Update."""
        try:
            await self.run_once()
        except Exception:  # the edge of a background task: logged once, tried again when due
            log.exception("scheduler pass failed")
        interval = self.svc.config.scheduler_interval_s
        next_due = await posts.next_update_due(self.svc.db)
        pause = interval if next_due is None else min(interval, next_due - self.svc.clock.now())
        return max(pause, MIN_PAUSE_S)
