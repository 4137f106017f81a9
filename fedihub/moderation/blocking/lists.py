"""Other instances' block lists, subscribed to by an admin: the CSV Mastodon exports
(`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`) or a plain list of
one domain per line. The scheduler refreshes each one; a list that fails to come (or comes back
empty, or garbled) leaves its last good entries in force and is tried again later, backing off.

A list's entries are blocks with `source` = the list: a domain that leaves the list is unblocked,
but a block made by hand (or by another list) is never touched by it. Each refresh that changes
something is one entry in the public log, naming the list and the counts.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass

from fedihub.activitystreams import host_of
from fedihub.blocks import Severity, within
from fedihub.client import check_url
from fedihub.errors import BadRequest, FetchError
from fedihub.moderation import log
from fedihub.moderation.authority import Moderator
from fedihub.moderation.blocking import store
from fedihub.moderation.blocking.service import give_up_deliveries, parse_host
from fedihub.moderation.blocking.store import HostBlock
from fedihub.services import Services

log_ = logging.getLogger(__name__)
MAX_LIST_BYTES = 1 << 20
MAX_LIST_LINES = 50_000
REFRESH_EVERY_S = 6 * 3600.0
RETRY_FIRST_S = 300.0  # then doubling, up to REFRESH_EVERY_S
MAX_URL_CHARS = 2000
SEVERITY_OF: dict[str, Severity | None] = {
    "suspend": "block", "block": "block", "silence": "silence", "limit": "silence", "noop": None,
}  # fmt: skip


@dataclass(frozen=True)
class BlockList:
    entries: dict[str, Severity]  # host -> severity
    skipped: int  # lines that named no host, or an unknown severity


def parse(text: str) -> BlockList:
    """A block list's entries. Pure. BadRequest if it is too long to be one."""
    lines = text.splitlines()
    if len(lines) > MAX_LIST_LINES:
        raise BadRequest("a block list may have at most %(max)s lines", max=MAX_LIST_LINES)
    first = lines[0].lstrip("\ufeff").strip() if lines else ""
    header = [c.strip().lstrip("#").lower() for c in next(csv.reader([first]))] if first else []
    has_header = first.startswith("#") and "domain" in header
    columns = header if has_header else ["domain"]
    entries: dict[str, Severity] = {}
    skipped = 0
    for row in csv.reader(lines[1:] if has_header else lines):
        if not row or not "".join(row).strip() or (not has_header and row[0].startswith("#")):
            continue
        fields = dict(zip(columns, (c.strip() for c in row), strict=False))
        named = fields.get("severity", "").lower() or "suspend"
        host = parse_host(fields.get("domain", ""))
        if named not in SEVERITY_OF or host is None or "*" in fields.get("domain", ""):
            skipped += 1  # obfuscated ("ev*l.example") or garbled: nothing we can block
        elif (severity := SEVERITY_OF[named]) is not None:
            entries[host] = severity
    return BlockList(entries, skipped)


async def _fetch(svc: Services, url: str) -> BlockList:
    got = await svc.client.get_feed(url, None, None, MAX_LIST_BYTES)
    if got.status != 200:
        raise FetchError("%(url)s: HTTP %(status)s", url=url, status=got.status)
    try:
        text = got.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FetchError("%(url)s: not a text file", url=url) from e
    found = parse(text)
    if not found.entries and found.skipped:
        raise FetchError("%(url)s: not a block list (no line names a server)", url=url)
    return found


def _moderator(svc: Services, added_by: str) -> Moderator:
    """Who answers for a list's changes: the admin who subscribed to it."""
    return Moderator(added_by, added_by.rsplit("/", 1)[-1], None, True)


async def _apply(svc: Services, url: str, found: BlockList, by: Moderator) -> dict[str, int]:
    """Makes the blocks `url` made match `found`, in one transaction with one log entry."""
    own = host_of(svc.config.base_url)
    now = svc.clock.now()
    counts = {"blocked": 0, "silenced": 0, "lifted": 0}
    async with svc.db.transaction() as tx:
        if not await store.subscribed(tx, url):
            return counts  # unsubscribed meanwhile
        before = await store.hosts_from(tx, url)
        unblocked_by_hand = await store.excepted_hosts(tx)
        for host, severity in found.entries.items():
            if within(frozenset({host}), own) or before.get(host) == severity:
                continue
            if host in unblocked_by_hand:
                continue  # an admin lifted this list's block: their decision stands
            existing = await store.host_block(tx, host)
            if existing is not None and existing.source != url:
                continue  # a hand block, or another list's: never this list's to change
            comment = f"from the block list {url}"
            await store.save_host_block(tx, HostBlock(host, severity, comment, comment, url, now))
            counts["blocked" if severity == "block" else "silenced"] += 1
        for host in before.keys() - found.entries.keys():
            await store.delete_host_block(tx, host)
            counts["lifted"] += 1
        await store.fetched(tx, url, now, now + REFRESH_EVERY_S, len(found.entries), found.skipped)
        if any(counts.values()):
            said = ", ".join(f"{n} {what}" for what, n in counts.items())
            await log.record(tx, by, "refresh_blocklist", target_uri=url, target_label=url,
                             reason=f"{said} ({found.skipped} lines skipped)", now=now)  # fmt: skip
    svc.blocked.forget()
    newly = frozenset(h for h, s in found.entries.items() if s == "block")
    if counts["blocked"]:
        await give_up_deliveries(svc, newly)
    return counts


def read_url(svc: Services, text: str) -> str:
    url = text.strip()
    if len(url) > MAX_URL_CHARS:
        raise BadRequest("that address is too long")
    check_url(url, svc.config.insecure_http)  # https only; never a private address
    return url


async def subscribe(
    svc: Services, by: Moderator, url_text: str, *, reason: str = "", clause: str = ""
) -> dict[str, int]:
    """Subscribes to a list and applies it now: refused (and not subscribed) if it cannot be
    fetched or is not a block list, so an admin sees the problem at once."""
    url = read_url(svc, url_text)
    reason = log.read_reason(reason, required=False)
    found = await _fetch(svc, url)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        if not await store.add_subscription(tx, url, by.uri, now):
            raise BadRequest("already subscribed to %(url)s", url=url)
        await log.record(tx, by, "subscribe_blocklist", target_uri=url, target_label=url,
                         clause=clause, reason=reason, now=now)  # fmt: skip
    return await _apply(svc, url, found, by)


async def unsubscribe(
    svc: Services, by: Moderator, url: str, *, reason: str = "", clause: str = ""
) -> int:
    """Ends a subscription and lifts the blocks it made; returns how many."""
    url = url.strip()
    reason = log.read_reason(reason, required=False)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        if not await store.delete_subscription(tx, url):
            raise BadRequest("not subscribed to %(url)s", url=url[:200])
        made = await store.hosts_from(tx, url)
        for host in made:
            await store.delete_host_block(tx, host)
        reason = reason or f"{len(made)} lifted"
        await log.record(tx, by, "unsubscribe_blocklist", target_uri=url, target_label=url,
                         clause=clause, reason=reason, now=now)  # fmt: skip
    svc.blocked.forget()
    return len(made)


async def refresh(svc: Services, url: str, now: float) -> dict[str, int] | None:
    """Fetches and applies one list; on failure keeps its last good entries, backs off and
    returns None."""
    subscription = {s.url: s for s in await store.subscriptions(svc.db)}.get(url)
    if subscription is None:
        return None
    try:
        found = await _fetch(svc, url)
    except (FetchError, BadRequest) as e:
        wait_s = min(REFRESH_EVERY_S, RETRY_FIRST_S * 2**subscription.failures)
        await store.failed(svc.db, url, e.message, now + wait_s)
        log_.warning("block list %s: %s (next try in %.0f s)", url, e, wait_s)
        return None
    return await _apply(svc, url, found, _moderator(svc, subscription.added_by))


async def refresh_due(svc: Services, now: float) -> int:
    """The scheduler's step: every list whose time has come. Returns how many were refreshed."""
    done = 0
    for url in await store.due_subscriptions(svc.db, now):
        done += await refresh(svc, url, now) is not None
    return done
