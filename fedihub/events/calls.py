"""Call series: each occurrence coming up within the lead time becomes a dated post (an Event of
its own), once; an edited series carries its title, status and length to its future occurrences.
Called when a call is published or edited (fedihub/kinds/call.py) and by the scheduler."""

from __future__ import annotations

import datetime as dt

from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.events.fields import scheduled_fields
from fedihub.events.render import local_time, zone_of
from fedihub.events.schedule import occurrences
from fedihub.outbox.recipients import Target
from fedihub.posts import federate
from fedihub.posts import store as posts
from fedihub.posts.store import Post
from fedihub.services import Services


def upcoming_times(series: Post, now: float, lead_s: float) -> list[tuple[float, float]]:
    """Occurrences of a call that start within the lead time (a one-off call has one)."""
    assert series.starts_at is not None and series.ends_at is not None
    rule = scheduled_fields(series).schedule
    if not rule:
        return (
            [(series.starts_at, series.ends_at)] if now <= series.starts_at < now + lead_s else []
        )
    start = local_time(series.starts_at, zone_of(series, None))
    duration = dt.timedelta(seconds=series.ends_at - series.starts_at)
    return occurrences(rule, start, duration, after=max(now, series.starts_at), until=now + lead_s)


async def federate_occurrences(
    tx: Transaction, svc: Services, hub: LocalActor, series: Post, targets: list[Target],
    now: float,
) -> int:  # fmt: skip
    """Each occurrence coming up within the lead time becomes its own Event, once; read in the
    transaction, so a series deleted or cancelled meanwhile gets none."""
    current = await posts.get_post_by_id(tx, series.id)
    if current is None or current.deleted_at is not None or current.status == "cancelled":
        return 0
    series = current
    created = 0
    for starts_at, ends_at in upcoming_times(series, now, svc.config.call_lead_days * 86_400):
        occurrence = await posts.insert_occurrence(tx, series, starts_at, ends_at, now)
        if occurrence is not None:
            await federate.send_create(tx, svc, hub, occurrence, targets, now)
            created += 1
    return created


async def federate_upcoming_occurrences(svc: Services, now: float) -> int:
    """Run by the scheduler: occurrences that came within the lead time since the last run."""
    created = 0
    for series in await posts.recurring_series(
        svc.db, svc.kinds.names_where(lambda kind: kind.has_occurrences)
    ):
        hub = await federate.hub_of(svc, series)
        targets = await federate.audience(svc, hub, series)
        async with svc.db.transaction() as tx:
            created += await federate_occurrences(tx, svc, hub, series, targets, now)
    if created:
        svc.wake_delivery()
    return created


async def follow_series(
    tx: Transaction, svc: Services, hub: LocalActor, series: Post, now: float
) -> None:
    """Future occurrences take the series' title, status and length; those the new schedule no
    longer has are cancelled (kept visible as cancelled, as calendars expect)."""
    future = await posts.occurrences_of(tx, series.id, now)
    horizon = max((o.starts_at or now for o in future), default=now) + 1
    still = {s for s, _ in upcoming_times(series, now, horizon - now)}
    assert series.starts_at is not None and series.ends_at is not None
    length = series.ends_at - series.starts_at
    for occurrence in future:
        cancelled = (
            series.status == "cancelled"
            or occurrence.status == "cancelled"
            or occurrence.starts_at not in still
        )
        status = "cancelled" if cancelled else series.status
        assert occurrence.starts_at is not None
        ends_at = occurrence.starts_at + length
        changed = await posts.set_status(tx, occurrence, status, series.title, now, ends_at)
        targets = await federate.audience(svc, hub, occurrence)
        await federate.send_update(tx, svc, hub, changed, targets, now)
