"""Work that falls due with time rather than with a request: federating the next occurrences
of recurring calls, closing polls whose time is up, sending the deferred Update of a post
whose counts (participants, votes) changed, polling the website feeds hubs import, and (hourly)
removing images nothing shows any more.

Runs inside `fedihub serve`; every step works from rows in the database, so a restart loses
nothing and `run_once(now)` lets tests step it with a clock of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from fedihub.events.calls import federate_upcoming_occurrences
from fedihub.media.service import remove_unused
from fedihub.polls.service import close_due
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.services import Services
from fedihub.webfeeds.service import poll_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerRun:
    occurrences: int
    updates: int
    closed: int = 0
    imported: int = 0
    images_removed: int = 0


MEDIA_CHECK_EVERY_S = 3600.0


class Scheduler:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._wake = asyncio.Event()
        self._media_checked_at: float | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self, now: float | None = None) -> SchedulerRun:
        now = time.time() if now is None else now
        created = await federate_upcoming_occurrences(self.svc, now)
        closed = await close_due(self.svc, now)
        updates = await self.send_due_updates(now)
        imported = await poll_due(self.svc, now)
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
        interval = self.svc.config.scheduler_interval_s
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:  # the edge of a background task: log once, try again later
                log.exception("scheduler run failed")
            next_due = await posts.next_update_due(self.svc.db)
            pause = interval if next_due is None else min(interval, next_due - time.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(pause, 0.05))
            if self._wake.is_set():
                # Let a burst settle into one transaction's worth of due rows.
                await asyncio.sleep(min(0.2, interval))
