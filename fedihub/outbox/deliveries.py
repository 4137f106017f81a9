"""Decide what a delivery attempt's answer means, and the delivery queue's policy. Pure: no
clock, no randomness of its own."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

from fedihub.jobs import QueuePolicy, Retry

# Mastodon's schedule: 16 tries, attempt⁴ + 15 s apart, about two and a half days in all.
MAX_ATTEMPTS = 16
MAX_RETRY_AFTER_S = 24 * 3600
RETRYABLE_4XX = frozenset({401, 408, 429})
FAILURE_DAYS_BEFORE_UNAVAILABLE = 7


@dataclass(frozen=True)
class Outcome:
    state: Literal["done", "pending", "failed", "gave_up"]
    next_try_at: float | None
    reason: str | None
    host_failed: bool  # counts toward marking the host unavailable


def backoff_s(attempts: int, jitter: float) -> float:
    """Delay after `attempts` failed tries; `jitter` in [0, 1) spreads retries out."""
    return attempts**4 + 15 + jitter * 10 * (attempts + 1)


DELIVERIES = QueuePolicy(
    table="deliveries",
    key_column="host",
    finished_at_column="finished_at",
    retry=Retry(backoff_s, MAX_ATTEMPTS),
    prune_every_s=60.0,
)


def parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        return min(max(0.0, parsedate_to_datetime(value).timestamp() - now), MAX_RETRY_AFTER_S)
    except (TypeError, ValueError, OverflowError):
        return None


def classify(
    status: int,
    retry_after: str | None,
    error: str | None,
    attempts: int,
    now: float,
    jitter: float,
    permanent: bool = False,
) -> Outcome:
    """`attempts` counts this one. status 0 means no HTTP answer (network error, timeout);
    `permanent` means we refused to send it (a URL we may not contact)."""
    if 200 <= status < 300:
        return Outcome("done", None, None, host_failed=False)
    reason = error or f"HTTP {status}"
    if permanent or status == 501:
        return Outcome("failed", None, reason, host_failed=False)
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        # The receiver understood and refused: retrying would not change its mind.
        return Outcome("failed", None, reason, host_failed=False)
    next_try_at = DELIVERIES.retry.next_try_at(attempts, now, jitter)
    if next_try_at is None:
        return Outcome("gave_up", None, f"{reason} after {attempts} attempts", host_failed=True)
    if status in (429, 503) and (asked_s := parse_retry_after(retry_after, now)):
        next_try_at = now + asked_s
    return Outcome("pending", next_try_at, reason, host_failed=status != 429)
