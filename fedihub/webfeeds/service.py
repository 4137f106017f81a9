"""Subscribing hubs to their groups' websites, and polling those feeds politely: conditional
GETs, a backoff on failure, size and time limits, and each entry published once, even across
restarts (the entry is recorded in the same transaction as the post it became). The scheduler's
loop polls them, each claimed under a lease (a job machine queue, so two processes never poll
one feed at once); a failing feed backs off by the job machine's rules and is never given up."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.client import check_url
from fedihub.db import Transaction
from fedihub.errors import BadRequest, FedihubError, FetchError
from fedihub.jobs import THIS_PROCESS, QueuePolicy, Retry, exponential
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.webfeeds import store
from fedihub.webfeeds.parse import Entry, as_markdown, parse_feed

log = logging.getLogger(__name__)
FIRST_FETCH_ENTRIES = 5  # a new subscription does not flood followers with a site's archive
MAX_ENTRIES_PER_FETCH = 20
MAX_FEED_BYTES = 2 * 1024 * 1024
MAX_BACKOFF_S = 86_400.0


def queue_policy(svc: Services) -> QueuePolicy:
    """A failing feed is tried again an interval later, then two, four, … at most a day."""
    retry = Retry(exponential(svc.config.feed_interval_s, MAX_BACKOFF_S), max_attempts=None)
    return store.queue_policy(retry)


async def _failed(svc: Services, source: store.Source, error: str, now: float) -> None:
    next_try_at = queue_policy(svc).retry.next_try_at(source.failures + 1, now)
    assert next_try_at is not None, "feeds are never given up"
    await store.failed(svc.db, source, error, next_try_at)


class AlreadyPublished(Exception):
    """Another run published this entry first; the post is rolled back."""


async def add_feed(svc: Services, hub: LocalActor, url: str) -> bool:
    check_url(url, svc.config.insecure_http, allow_plain_http=True)
    return await store.add(svc.db, hub.id, url, svc.clock.now())


async def poll_due(svc: Services, now: float, owner: str = THIS_PROCESS) -> int:
    """Polls every feed whose time has come, claimed under leases held by `owner`; returns how
    many entries became posts."""
    published = 0
    for source in await store.claim_due(svc.db, queue_policy(svc), now, owner):
        try:
            published += await poll(svc, source, now)
        except Exception as e:  # one broken feed must not stop the others, nor be retried hot
            log.exception("feed %s: polling failed", source.url)
            await _failed(svc, source, f"{type(e).__name__}: {e}", now)
    return published


async def poll(svc: Services, source: store.Source, now: float) -> int:
    interval = svc.config.feed_interval_s
    try:
        response = await svc.client.get_feed(
            source.url, source.etag, source.last_modified, MAX_FEED_BYTES
        )
        if response.status == 304:
            await store.fetched(
                svc.db, source, etag=source.etag, last_modified=source.last_modified,
                title=None, next_try_at=now + interval,
            )  # fmt: skip
            return 0
        if response.status != 200:
            raise FetchError("%(url)s: HTTP %(status)s", url=source.url, status=response.status)
        feed = await asyncio.to_thread(parse_feed, response.body)  # CPU-bound: off the loop
    except FedihubError as e:
        log.info("feed %s failed (%d in a row): %s", source.url, source.failures + 1, e.message)
        await _failed(svc, source, e.message, now)
        return 0
    hub = await actors.get_actor_by_id(svc.db, source.hub_id)
    assert hub is not None, "feed sources belong to hubs (foreign key)"
    site = feed.title or urlsplit(source.url).netloc
    published = 0
    for entry in await _new_entries(svc, source, feed.entries):
        published += await _publish(svc, hub, source, entry, site, now)
    await store.fetched(svc.db, source, etag=response.etag, last_modified=response.last_modified,
                        title=feed.title or None, next_try_at=now + interval)  # fmt: skip
    return published


async def _new_entries(svc: Services, source: store.Source, entries: list[Entry]) -> list[Entry]:
    """Entries not yet published, oldest first: the newest few on a feed's first fetch, at most
    twenty later. Entries past the limit on a later fetch wait for the next one."""
    seen = await store.seen(svc.db, source.id, [e.id for e in entries])
    fresh = [e for e in entries if e.id not in seen]
    keep = FIRST_FETCH_ENTRIES if source.first_fetch else MAX_ENTRIES_PER_FETCH
    if source.first_fetch and len(fresh) > keep:
        # The archive behind the newest few is marked seen, so it never floods in later.
        async with svc.db.transaction() as tx:
            for old in fresh[keep:]:
                await store.mark_seen(tx, source.id, old.id, None, svc.clock.now())
    return sorted(fresh[:keep], key=lambda e: e.published or 0.0)


async def _publish(
    svc: Services, hub: LocalActor, source: store.Source, entry: Entry, site: str, now: float
) -> int:
    async def record(tx: Transaction, post: Post) -> None:
        if not await store.mark_seen(tx, source.id, entry.id, post.id, now):
            raise AlreadyPublished(entry.id)

    try:
        await posts.publish(svc, hub, None, "update", as_markdown(entry, site), then=record,
                            resolve_mentions=False)  # fmt: skip
    except AlreadyPublished:
        return 0
    except BadRequest as e:
        # An entry we cannot publish (too long, say) is recorded, so it is not tried for ever.
        log.info("feed %s: entry %s skipped: %s", source.url, entry.id, e.message)
        async with svc.db.transaction() as tx:
            await store.mark_seen(tx, source.id, entry.id, None, now)
        return 0
    return 1
