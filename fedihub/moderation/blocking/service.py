"""Blocking and silencing remote servers and accounts, instance-wide, by the instance's admins.
Each change is recorded in the public log in the transaction that makes it; the public comment
is what the log shows as the reason. fedihub/blocks.py enforces what is stored here."""

from __future__ import annotations

import re

from fedihub.activitystreams import JsonObject, host_of, id_of
from fedihub.blocks import Severity, normalise_host, within
from fedihub.errors import BadRequest, FetchError
from fedihub.follows.service import parse_handle
from fedihub.moderation import log
from fedihub.moderation.authority import Moderator
from fedihub.moderation.blocking import store
from fedihub.moderation.blocking.store import ActorBlock, HostBlock
from fedihub.outbox import store as outbox
from fedihub.services import Services

MAX_HOST_CHARS = 253
# A name (letters, digits, hyphens, dots), an IPv4 address or a bracketed IPv6 one; a port.
_HOST = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9._-]*[a-z0-9])?)(:\d{1,5})?$")


def parse_host(text: str) -> str | None:
    """One spelling of the host a person or a list wrote ("Evil.Example.", "https://evil.example/x",
    "[2001:DB8::1]"), or None if it is not one. Pure."""
    given = text.strip()
    if "://" in given:
        given = host_of(given)
    elif not given.isascii():  # "évil.example" as people type it; stored as its IDNA name
        try:
            given = given.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not given or len(given) > MAX_HOST_CHARS:
        return None
    host = normalise_host(given)
    if not _HOST.match(host) or ".." in host:
        return None
    return host


def read_host(svc: Services, text: str) -> str:
    """The host an admin asked to block: BadRequest if it is not one, or if blocking it would
    block this instance itself."""
    host = parse_host(text)
    if host is None:
        raise BadRequest("%(host)r is not a server's name or address", host=text.strip()[:100])
    if within(frozenset({host}), host_of(svc.config.base_url)):
        raise BadRequest("%(host)s is this instance: it cannot block itself", host=host)
    return host


def read_severity(text: str) -> Severity:
    if text == "silence":
        return "silence"
    if text in ("block", "suspend", ""):
        return "block"
    raise BadRequest("severity: %(value)r is neither block nor silence", value=text[:40])


async def block_domain(
    svc: Services,
    by: Moderator,
    host_text: str,
    severity: Severity,
    *,
    reason: str,
    public_comment: str = "",
    clause: str = "",
    report_id: int | None = None,
) -> str:
    """Blocks or silences a whole server (and its subdomains) by hand; a block a list made
    becomes a hand block, which no list lifts. Returns the host as stored."""
    host = read_host(svc, host_text)
    reason = log.read_reason(reason)
    comment = log.read_reason(public_comment, required=False) or reason
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        await store.save_host_block(tx, HostBlock(host, severity, reason, comment, "", now))
        await store.forget_exception(tx, host)  # blocked by hand again: lists may too
        await log.record(tx, by, "block_domain" if severity == "block" else "silence_domain",
                         target_uri=host, target_label=host, clause=clause, reason=comment,
                         report_id=report_id, now=now)  # fmt: skip
    svc.blocked.forget()
    if severity == "block":
        await give_up_deliveries(svc, frozenset({host}))
    return host


async def give_up_deliveries(svc: Services, blocked: frozenset[str]) -> int:
    """Pending deliveries to the blocked hosts (and their subdomains) stop at once."""
    hosts = frozenset(h for h in await outbox.pending_hosts(svc.db) if within(blocked, h))
    return await outbox.give_up_unreachable(svc.db, hosts, svc.clock.now())


async def unblock_domain(
    svc: Services,
    by: Moderator,
    host_text: str,
    *,
    reason: str = "",
    clause: str = "",
    report_id: int | None = None,
) -> str:
    host = parse_host(host_text) or host_text.strip()[:MAX_HOST_CHARS]
    reason = log.read_reason(reason, required=False)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        if not await store.delete_host_block(tx, host):
            raise BadRequest("%(host)s is not blocked", host=host)
        # The admin's unblock outlasts the refreshes of every list that names the server,
        # until an admin blocks it by hand again.
        await store.except_host(tx, host, by.uri, now)
        await log.record(tx, by, "unblock_domain", target_uri=host, target_label=host,
                         clause=clause, reason=reason, report_id=report_id, now=now)  # fmt: skip
    svc.blocked.forget()
    return host


async def read_actor(svc: Services, text: str) -> str:
    """The actor id of a URI or a handle (@name@server, asked of that server by WebFinger)."""
    given = text.strip()
    if given.startswith(("https://", "http://")):
        # A profile address (https://server/@name) is not the id activities carry: ask the
        # server which account it is. One that cannot be reached is blocked as written.
        try:
            uri = (await svc.resolver.actor_at(given)).uri
        except FetchError:
            uri = given
    else:
        uri = await svc.client.webfinger(*parse_handle(given))
    if not host_of(uri) or len(uri) > 2000:
        raise BadRequest("%(actor)r is not an account's address", actor=given[:100])
    if within(frozenset({normalise_host(host_of(uri))}), host_of(svc.config.base_url)):
        raise BadRequest("that account is on this instance: suspend it instead")
    return uri


async def block_actor(
    svc: Services,
    by: Moderator,
    actor_text: str,
    severity: Severity,
    *,
    reason: str,
    clause: str = "",
    report_id: int | None = None,
) -> str:
    """Blocks or silences one remote account, wherever it posts. Returns its actor id."""
    reason = log.read_reason(reason)
    uri = await read_actor(svc, actor_text)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        await store.save_actor_block(tx, ActorBlock(uri, severity, reason, now))
        await log.record(tx, by, "block_actor" if severity == "block" else "silence_actor",
                         target_uri=uri, target_label=uri, clause=clause, reason=reason,
                         report_id=report_id, now=now)  # fmt: skip
    svc.blocked.forget()
    return uri


async def unblock_actor(
    svc: Services,
    by: Moderator,
    actor_text: str,
    *,
    reason: str = "",
    clause: str = "",
    report_id: int | None = None,
) -> str:
    uri = actor_text.strip()
    reason = log.read_reason(reason, required=False)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        if not await store.delete_actor_block(tx, uri):
            raise BadRequest("%(actor)s is not blocked", actor=uri[:200])
        await log.record(tx, by, "unblock_actor", target_uri=uri, target_label=uri,
                         clause=clause, reason=reason, report_id=report_id, now=now)  # fmt: skip
    svc.blocked.forget()
    return uri


async def visible(svc: Services, documents: list[JsonObject]) -> list[JsonObject]:
    """What pages may show of what arrived: nothing by, or on the server of, a blocked
    account or server (boosted originals included)."""
    shown = []
    for doc in documents:
        sources = {id_of(doc.get(f)) or "" for f in ("id", "attributedTo", "actor")} - {""}
        if not [s for s in sources if await svc.blocked.refuses(s)]:
            shown.append(doc)
    return shown
