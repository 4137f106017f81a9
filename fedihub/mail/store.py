"""SQL for the mail queue: one row per message to send, on the job machine (fedihub/jobs.py),
whatever capability queued it; its purpose says which one composes it (fedihub/mail/worker.py)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from fedihub import jobs
from fedihub.db import Database, Transaction
from fedihub.dialects import values_of
from fedihub.jobs import JobState, QueuePolicy, Retry, exponential

# The newsletter's: a subscription's confirmation, an issue's copy (they name their rows in
# subscriber_id and issue_id). A volunteer's: the private link of their registration, a shift
# they are assigned to (they name their row in ref_id).
Purpose = Literal["confirm", "issue", "volunteer", "assignment"]
# A temporary failure (4xx, the server unreachable) is tried again after 1, 2, 4, 8 minutes…;
# after MAX_ATTEMPTS tries (about an hour in all) the message is given up.
MAX_ATTEMPTS = 6
MAIL = QueuePolicy(
    table="mail_queue",
    key_column="domain",
    finished_at_column="finished_at",
    retry=Retry(exponential(60.0, 3600.0), MAX_ATTEMPTS),
    lease_s=300.0,
    prune_every_s=600.0,
)


@dataclass(frozen=True)
class Queued:
    """A message to send: the newsletter's (a confirmation, one subscriber's copy of an issue)
    names its rows in subscriber_id and issue_id; any other purpose names its own in ref_id."""

    purpose: Purpose
    recipient: str
    subscriber_id: int | None = None
    issue_id: int | None = None
    token: str = ""  # the raw token of its link, until sent
    ref_id: int | None = None  # the row the mail is about, in the table its purpose says


@dataclass(frozen=True)
class MailJob:
    id: int
    purpose: Purpose
    issue_id: int | None
    subscriber_id: int | None
    recipient: str
    token: str
    attempts: int
    ref_id: int | None = None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


async def enqueue(tx: Transaction, queued: Sequence[Queued], now: float) -> None:
    """Inside the caller's transaction, for every purpose alike; a copy of an issue already
    queued for a subscriber is not queued twice."""
    await tx.executemany(
        "INSERT INTO mail_queue (purpose, issue_id, subscriber_id, ref_id, recipient, domain,"
        " token, next_try_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(q.purpose, q.issue_id, q.subscriber_id, q.ref_id, q.recipient, domain_of(q.recipient),
          q.token, now, now) for q in queued],
    )  # fmt: skip


async def queued_since(tx: Transaction, purpose: Purpose, ref_id: int, since: float) -> bool:
    """Whether a mail of this purpose about this row was queued at or after `since`."""
    row = await tx.fetchone(
        "SELECT 1 FROM mail_queue WHERE purpose = ? AND ref_id = ? AND created_at >= ? LIMIT 1",
        (purpose, ref_id, since),
    )
    return row is not None


async def forget(tx: Transaction, purpose: Purpose, ref_ids: Collection[int]) -> None:
    """Mail about rows that are gone (a volunteer deleted): sent or not, it goes, with the
    address it held. One being sent now is recorded by nobody (its worker's lease is gone)."""
    if ref_ids:
        await tx.execute(
            f"DELETE FROM mail_queue WHERE purpose = ? AND ref_id IN"
            f" ({values_of(tx.dialect, 'integer')})",
            (purpose, json.dumps(sorted(ref_ids))),
        )


async def claim_due(
    db: Database, *, now: float, limit: int, owner: str, per_domain: int
) -> list[MailJob]:
    rows = await jobs.claim_due(
        db, MAIL, now=now, limit=limit, per_key=per_domain, busy={}, owner=owner,
        columns="id, purpose, issue_id, subscriber_id, recipient, token, attempts, ref_id",
    )  # fmt: skip
    return sorted((MailJob(*r) for r in rows), key=lambda j: j.id)


async def record(
    db: Database,
    job: MailJob,
    state: JobState,
    next_try_at: float | None,
    error: str,
    now: float,
    owner: str,
) -> bool:
    """One attempt's result, written as soon as it is known: a message the server accepted is
    `done` before the next is sent. A finished row forgets its token. Only while `owner` still
    holds the row: False if its lease ran out and another process took it (which records its
    own attempt)."""
    finished = state != "pending"
    changed = await db.execute(
        "UPDATE mail_queue SET state = ?, attempts = attempts + 1, next_try_at = ?,"
        " locked_until = NULL, locked_by = NULL, last_error = ?, finished_at = ?,"
        " token = CASE WHEN ? THEN '' ELSE token END"
        " WHERE id = ? AND state = 'running' AND locked_by = ?",
        (state, next_try_at if next_try_at is not None else now, error or None,
         now if finished else None, finished, job.id, owner),
    )  # fmt: skip
    return changed > 0


async def release(db: Database, ids: Collection[int], owner: str) -> None:
    """Claimed rows not tried (the worker is stopping) go back in the queue at once."""
    if ids:
        await db.execute(
            "UPDATE mail_queue SET state = 'pending', locked_until = NULL, locked_by = NULL"
            f" WHERE state = 'running' AND locked_by = ? AND id IN"
            f" ({values_of(db.dialect, 'integer')})",
            (owner, json.dumps(sorted(ids))),
        )


async def counts(db: Database, issue_id: int | None = None) -> dict[JobState, int]:
    where, params = ("WHERE issue_id = ?", (issue_id,)) if issue_id is not None else ("", ())
    rows = await db.fetchall(
        f"SELECT state, count(*) FROM mail_queue {where} GROUP BY state", params
    )
    found = {r[0]: int(r[1]) for r in rows}
    return {state: found.get(state, 0) for state in jobs.STATES}
