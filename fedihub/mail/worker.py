"""The mail worker: claims due rows of the mail queue, sends them one after another over one
SMTP connection, and records each as soon as the server has answered, so a restart resends
nothing the server accepted. Claiming, leases, backoff and the loop are the job machine's.

What a message says is not this module's: `compose` (the newsletter's) builds it from the row,
and `settle` hears each result (a bounce marks the subscriber)."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

from fedihub.clock import Clock
from fedihub.config import Config
from fedihub.db import Database
from fedihub.jobs import THIS_PROCESS, JobState, WorkerLoop, renew_leases
from fedihub.mail import store
from fedihub.mail.smtp import Sender, Sent
from fedihub.mail.store import MAIL, MailJob

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0
BATCH = 50  # rows claimed at a time; sent one after another on one connection
PER_DOMAIN = 50
Compose = Callable[[MailJob], Awaitable[EmailMessage | None]]
Settle = Callable[[MailJob, Sent, JobState], Awaitable[None]]


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
        compose: Compose,
        settle: Settle,
        *,
        clock: Clock,
        owner: str = THIS_PROCESS,
        idle_s: float = IDLE_POLL_S,
        drain_timeout_s: float = 35.0,
    ) -> None:
        self._db = db
        self._config = config
        self._compose = compose
        self._settle = settle
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
        try:
            message = await self._compose(job)
            if message is None:  # nobody to send it to any more (unsubscribed, bounced)
                sent = Sent("skipped", "not to be sent")
            else:
                sent = await self._sender.send(message, self._config.mail_from, job.recipient)
        except Exception as e:
            # A bug must not strand the row as running: recorded, and tried again later.
            log.exception("mail %d crashed", job.id)  # its address stays out of the logs
            sent = Sent("retry", f"{type(e).__name__}: {e}")
        now = self._clock.now()
        state, retry_at = next_state(job, sent, now, random.random())
        if not await store.record(
            self._db,
            job,
            state,
            retry_at,
            redact(sent.reason, job.recipient),
            now,
            self._loop.owner,
        ):
            log.warning(
                "mail %d: its lease ran out during the send; another process has it", job.id
            )
            return
        if sent.result != "sent":
            log.info("mail %d: %s (%s)", job.id, redact(sent.reason, job.recipient), state)
        try:
            await self._settle(job, sent, state)
        except Exception:
            log.exception("mail %d: recording its outcome for the subscriber failed", job.id)


def redact(text: str, address: str) -> str:
    """An SMTP reply or error without the subscriber's address: logs and the queue's last
    error keep what went wrong, not whom it was for."""
    if not address:
        return text
    return re.sub(re.escape(address), "<address>", text, flags=re.IGNORECASE)
