"""The mail worker: claims due rows of the mail queue, sends them one after another over one
SMTP connection, and records each as soon as the server has answered, so a restart resends
nothing the server accepted. Claiming, leases, backoff and the loop are the job machine's.

What a message says is not this module's: each purpose of mail has its `Mailer`, given by the
capability that queues it (the newsletter's confirmations and issues, a volunteer's link and
assignments), whose `compose` builds the message from the row and whose `settle` hears the
result (a bounce marks a subscriber). The process's mailers are gathered in one mapping
(`combined`, in fedihub/app.py); a row whose purpose has none there is recorded as failed,
with the reason in its last error, and the worker goes on with the next."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from fedihub.clock import Clock
from fedihub.config import Config
from fedihub.db import Database
from fedihub.jobs import THIS_PROCESS, JobState, WorkerLoop, renew_leases
from fedihub.mail import store
from fedihub.mail.smtp import Sender, Sent
from fedihub.mail.store import MAIL, MailJob, Purpose

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0
BATCH = 50  # rows claimed at a time; sent one after another on one connection
PER_DOMAIN = 50
Compose = Callable[[MailJob], Awaitable[EmailMessage | None]]
Settle = Callable[[MailJob, Sent, JobState], Awaitable[None]]


async def nothing_to_settle(job: MailJob, sent: Sent, state: JobState) -> None:
    """For mail whose result changes nothing of its capability's rows."""


@dataclass(frozen=True)
class Mailer:
    """One purpose of mail, as its capability handles it. `compose` builds the message from
    the row when it is sent (the rows it names as they are then), or returns None when it is
    not to be sent any more (the row it is about is gone, the address unsubscribed); `settle`
    hears each attempt's result once it is recorded."""

    compose: Compose
    settle: Settle = nothing_to_settle


Mailers = Mapping[Purpose, Mailer]


def combined(*groups: Mailers) -> dict[Purpose, Mailer]:
    """The mailers of several capabilities in one mapping; a purpose two capabilities claim is
    a mistake in the wiring, refused when the worker is built rather than half-sent."""
    found: dict[Purpose, Mailer] = {}
    for group in groups:
        for purpose, mailer in group.items():
            if purpose in found:
                raise ValueError(f"two mailers for the mail purpose {purpose!r}")
            found[purpose] = mailer
    return found


def unregistered(purpose: str) -> str:
    """The last error of a row no mailer of this process composes."""
    return f"no mailer for the purpose {purpose!r} in this process: not sent"


def next_state(
    job: MailJob, sent: Sent, now: float, jitter: float
) -> tuple[JobState, float | None]:
    """Pure: sent → done; refused for good → gave_up; not to be sent → failed; otherwise
    pending again, until the queue's policy gives up."""
    if sent.result == "sent":
        return "done", None
    if sent.result == "bounced":
        return "gave_up", None
    if sent.result == "skipped":
        return "failed", None
    retry_at = MAIL.retry.next_try_at(job.attempts + 1, now, jitter)
    return ("gave_up", None) if retry_at is None else ("pending", retry_at)


class MailWorker:
    def __init__(
        self,
        db: Database,
        config: Config,
        mailers: Mailers,
        *,
        clock: Clock,
        owner: str = THIS_PROCESS,
        idle_s: float = IDLE_POLL_S,
        drain_timeout_s: float = 35.0,
    ) -> None:
        self._db = db
        self._config = config
        self._mailers = dict(mailers)
        self._unregistered_seen: set[str] = set()  # purposes logged once already
        self._clock = clock
        self._sender = Sender(config)
        self._drain_timeout_s = drain_timeout_s
        self._passing = asyncio.Lock()  # held while a pass sends: a drain waits for it
        self._loop = WorkerLoop(
            "mail", self._step, db=db, clock=clock, idle_s=idle_s, policy=MAIL, owner=owner,
            on_stop=self._sender.close,
        )  # fmt: skip

    def wake(self) -> None:
        self._loop.wake()

    async def run_forever(self) -> None:
        await self._loop.run_forever()

    async def run_once(self) -> int:
        """Sends every message due now; returns how many were tried. Tests step it."""
        tried = 0
        while (n := await self._pass()) > 0:
            tried += n
        await self._sender.close()
        return tried

    async def drain(self) -> None:
        """Stop: the message being sent finishes and is recorded, the rest of the batch goes
        back in the queue, and the connection is closed."""
        self._loop.stop()
        try:
            async with asyncio.timeout(self._drain_timeout_s):
                async with self._passing:
                    pass
        except TimeoutError:
            log.warning("mail: a send did not finish within %.0f s of the stop",
                        self._drain_timeout_s)  # fmt: skip
        await self._sender.close()

    async def _step(self) -> float | None:
        return 0.0 if await self._pass() else None

    async def _pass(self) -> int:
        if not self._config.smtp_host or self._stopping():
            return 0
        async with self._passing:
            jobs = await store.claim_due(
                self._db, now=self._clock.now(), limit=BATCH, owner=self._loop.owner,
                per_domain=PER_DOMAIN,
            )  # fmt: skip
            for n, job in enumerate(jobs):
                if self._stopping():  # the rest wait for the next process
                    await store.release(self._db, [j.id for j in jobs[n:]], self._loop.owner)
                    return n
                await self._send(job)
                # The rest of the batch stays this process's while one slow server answers:
                # its leases move on after each message, so no other process sends them too.
                rest = [j.id for j in jobs[n + 1 :]]
                until = self._clock.now() + MAIL.lease_s
                await renew_leases(self._db, MAIL, rest, until, self._loop.owner)
            return len(jobs)

    def _stopping(self) -> bool:
        return self._loop.stopping

    async def _send(self, job: MailJob) -> None:
        mailer = self._mailers.get(job.purpose)
        if mailer is None:
            await self._refuse_unregistered(job)
            return
        sent = await self._attempt(mailer, job)
        now = self._clock.now()
        state, retry_at = next_state(job, sent, now, random.random())
        reason = redact(sent.reason, job.recipient)
        if not await store.record(self._db, job, state, retry_at, reason, now, self._loop.owner):
            log.warning(
                "mail %d: its lease ran out during the send; another process has it", job.id
            )
            return
        if sent.result != "sent":
            log.info("mail %d: %s (%s)", job.id, reason, state)
        try:
            await mailer.settle(job, sent, state)
        except Exception:
            log.exception("mail %d: recording its outcome (%s) failed", job.id, job.purpose)

    async def _attempt(self, mailer: Mailer, job: MailJob) -> Sent:
        try:
            message = await mailer.compose(job)
            if message is None:  # nobody to send it to any more (unsubscribed, gone)
                return Sent("skipped", "not to be sent")
            return await self._sender.send(message, self._config.mail_from, job.recipient)
        except Exception as e:
            # A bug must not strand the row as running: recorded, and tried again later.
            log.exception("mail %d crashed", job.id)  # its address stays out of the logs
            return Sent("retry", f"{type(e).__name__}: {e}")

    async def _refuse_unregistered(self, job: MailJob) -> None:
        """A purpose this process has no mailer for (a capability left out of the wiring, or a
        row queued by a newer version): failed at once, not retried, since trying again here
        would compose nothing either. Logged once per purpose, not once per row."""
        if job.purpose not in self._unregistered_seen:
            self._unregistered_seen.add(job.purpose)
            log.error("mail %d: %s", job.id, unregistered(job.purpose))
        await store.record(self._db, job, "failed", None, unregistered(job.purpose),
                           self._clock.now(), self._loop.owner)  # fmt: skip


def redact(text: str, address: str) -> str:
    """An SMTP reply or error without the recipient's address: logs and the queue's last
    error keep what went wrong, not whom it was for."""
    if not address:
        return text
    return re.sub(re.escape(address), "<address>", text, flags=re.IGNORECASE)
