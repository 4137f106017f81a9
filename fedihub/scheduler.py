"""Work that falls due with time rather than with a request: federating the next occurrences
of recurring calls, closing polls whose time is up, sending the deferred Update of a post
whose counts (participants, votes) changed, polling the website feeds hubs import, refreshing
the block lists the instance subscribes to, making the weekly newsletter's issue when it is due
(one per week: unique on the week), matching needs and offers whose matching failed when they
were saved, deleting the volunteers whose consent has run out (every pass: an indexed look
finds none in the usual case), and (hourly) removing images nothing shows any more.

Runs inside `fedihub serve`, on the job machine's loop; every step works from rows in the
database, so a restart loses nothing and `run_once(now)` lets tests step it at a time of their
own. A routes-level module: it calls on several capabilities (posts, polls, media, feeds).

Every process runs a scheduler, but a pass does its work in one process at a time for the whole
cluster: the one holding the lease "scheduler" (jobs.hold_lease), renewed before each step and
given back on a clean stop. A pass elsewhere only tries to take the lease (one small
transaction) and returns. If the holder dies, another takes over when the lease runs out
(`lease_s`), or at its next pass if the holder was a process of its own machine. Each step stays
safe should two passes ever overlap (a holder stalled past its lease): occurrences are inserted
ON CONFLICT DO NOTHING, a poll is closed only while `closed_at IS NULL`, deferred Updates are
taken by DELETE … RETURNING, feeds are claimed under their own leases.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fedihub.events.calls import federate_upcoming_occurrences
from fedihub.jobs import THIS_PROCESS, WorkerLoop, give_back_lease, hold_lease
from fedihub.media.service import remove_unused
from fedihub.moderation.blocking import lists as blocklists
from fedihub.newswire.newsletter import service as newsletter
from fedihub.polls.service import close_due
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.resources import matching_hook
from fedihub.services import Services
from fedihub.volunteers import coordination as volunteers
from fedihub.webfeeds import service as feeds


@dataclass(frozen=True)
class SchedulerRun:
    occurrences: int = 0
    updates: int = 0
    closed: int = 0
    imported: int = 0
    images_removed: int = 0
    # False: another process holds the lease, so this pass left the work to it (all of it, or
    # the steps after the one during which it took the lease over).
    held: bool = True
    blocklists: int = 0  # subscribed block lists refreshed
    newsletter: int = 0  # weekly newsletter issues made
    matched: int = 0  # needs and offers whose matching was run again
    expired: int = 0  # volunteers deleted when their consent ran out


def _run(done: dict[str, int], *, held: bool) -> SchedulerRun:
    return SchedulerRun(
        done.get("occurrences", 0), done.get("updates", 0), done.get("closed", 0),
        done.get("imported", 0), done.get("images_removed", 0), held, done.get("blocklists", 0),
        done.get("newsletter", 0), done.get("matched", 0), done.get("expired", 0),
    )  # fmt: skip


MEDIA_CHECK_EVERY_S = 3600.0
# A pass runs at most this soon after the last, however close the next due row is.
log = logging.getLogger(__name__)
MIN_PAUSE_S = 0.05
LEASE = "scheduler"
# The lease outlives a few passes, since each renews it, and a slow step (feeds fetched one by
# one, each bounded by the client's timeouts): a holder that died is replaced this much later.
LEASE_MIN_S = 120.0
LEASE_PASSES = 4


def lease_s(interval_s: float) -> float:
    return max(LEASE_MIN_S, LEASE_PASSES * interval_s)


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
            on_stop=self._give_back,
        )  # fmt: skip

    def wake(self) -> None:
        self._loop.wake()

    async def run_once(self, now: float | None = None) -> SchedulerRun:
        """A pass at `now`, if this process holds the scheduler's lease (taken or renewed
        before each step, at `now` plus the time the pass has taken); otherwise nothing."""
        svc = self.svc
        started = svc.clock.now()
        now = started if now is None else now
        done: dict[str, int] = {}
        media_due = self._media_checked_at is None or now - self._media_checked_at >= (
            MEDIA_CHECK_EVERY_S
        )
        steps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("occurrences", lambda: federate_upcoming_occurrences(svc, now)),
            ("closed", lambda: close_due(svc, now)),
            ("updates", lambda: self.send_due_updates(now)),
            ("imported", lambda: feeds.poll_due(svc, now, self._loop.owner)),
            ("blocklists", lambda: blocklists.refresh_due(svc, now)),
            ("newsletter", lambda: newsletter.run_due(svc, now)),
            ("matched", lambda: matching_hook.match_pending(svc, now)),
            ("expired", lambda: volunteers.expire(svc, now)),
        ]
        if media_due:
            steps.append(("images_removed", lambda: remove_unused(svc, now)))
        for field, step in steps:
            at = now + max(svc.clock.now() - started, 0.0)
            if not await hold_lease(svc.db, LEASE, self._loop.owner, at, self.lease_s):
                return _run(done, held=False)
            done[field] = await step()
        if media_due:
            self._media_checked_at = now
        return _run(done, held=True)

    @property
    def lease_s(self) -> float:
        return lease_s(self.svc.config.scheduler_interval_s)

    async def _give_back(self) -> None:
        """On a clean stop: another process takes the scheduler's lease at its next pass. If
        the database cannot be reached, the lease runs out instead: a stop must not fail."""
        try:
            await give_back_lease(self.svc.db, LEASE, self._loop.owner)
        except Exception:
            log.exception("could not give back the scheduler's lease; it runs out instead")

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
        even after a failed pass: one bad row must not hold back every post's count Update.
        A process without the lease looks again an interval later (or when woken)."""
        interval = self.svc.config.scheduler_interval_s
        try:
            if not (await self.run_once()).held:
                return interval
        except Exception:  # the edge of a background task: logged once, tried again when due
            log.exception("scheduler pass failed")
        next_due = await posts.next_update_due(self.svc.db)
        pause = interval if next_due is None else min(interval, next_due - self.svc.clock.now())
        return max(pause, MIN_PAUSE_S)
