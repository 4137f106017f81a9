"""Subscribing with double opt-in, confirming and unsubscribing (one click). Addresses are
personal data: kept in tables no page or ActivityPub document reads, forgotten on unsubscribing,
and those never confirmed are forgotten after a week. Link tokens are random and only their
hashes are kept."""

from __future__ import annotations

from fedihub.errors import BadRequest, NotFound
from fedihub.mail import store as mail
from fedihub.newswire.fields import EMAIL, MAX_EMAIL
from fedihub.newswire.newsletter import store
from fedihub.newswire.newsletter.store import Subscriber
from fedihub.services import MAIL_CHANNEL, Services
from fedihub.tokens import hash_token, new_token

# One confirmation mail a day to an address, however often it is asked for.
CONFIRM_AGAIN_AFTER_S = 86_400.0
UNCONFIRMED_KEPT_S = 7 * 86_400.0


def read_address(value: str | None) -> str:
    """An e-mail address as typed: one line (a line break is refused, never folded: it would
    write headers), at most 254 characters, the domain lower-cased."""
    raw = value or ""
    if any(c in raw for c in "\r\n\x00"):
        raise BadRequest("email: an address is one line")
    address = raw.strip()
    if not address:
        raise BadRequest("email: required")
    if len(address) > MAX_EMAIL:
        raise BadRequest("email: at most %(max)s characters", max=MAX_EMAIL)
    if not EMAIL.match(address):
        raise BadRequest("email: %(address)r is not an e-mail address", address=address)
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


async def subscribe(svc: Services, address: str, language: str) -> bool:
    """Asks `address` to confirm: a confirmation mail with a link, unless it is confirmed
    already or had one in the last day. True if a mail was queued. The answer people see is
    the same either way: whether an address is subscribed is nobody else's business."""
    if not svc.config.smtp_host:
        raise BadRequest("this server sends no e-mail: subscribe to the newswire's feed instead")
    email = read_address(address)
    now = svc.clock.now()
    token, token_hash = new_token()
    async with svc.db.transaction() as tx:
        known = await store.subscriber_by_email(tx, email)
        if known is not None and (
            known.state == "confirmed"
            or (
                known.state == "unconfirmed"
                and now - (known.confirm_sent_at or 0.0) < CONFIRM_AGAIN_AFTER_S
            )
        ):
            return False
        subscriber = await store.ask(tx, email, language, token_hash, now)
        await mail.enqueue(tx, [mail.Queued("confirm", email, subscriber.id, token=token)], now)
    svc.wakeups.wake(MAIL_CHANNEL)
    return True


async def confirm(svc: Services, token: str) -> Subscriber:
    async with svc.db.transaction() as tx:
        found = await store.confirm(tx, hash_token(token), svc.clock.now())
    if found is None:
        raise NotFound("this confirmation link is unknown or was used already")
    return found


async def by_unsubscribe_token(svc: Services, token: str) -> Subscriber:
    found = await store.subscriber_of_token(svc.db, hash_token(token))
    if found is None:
        raise NotFound("this unsubscribe link is unknown, or you have unsubscribed already")
    return found


async def unsubscribe(svc: Services, token: str) -> Subscriber:
    """At once, forgetting the address; NotFound for a token nobody holds."""
    found = await by_unsubscribe_token(svc, token)
    async with svc.db.transaction() as tx:
        await store.remove(tx, found.id)
    return found


async def forget_unconfirmed(svc: Services, now: float) -> int:
    return await store.remove_unconfirmed(svc.db, now - UNCONFIRMED_KEPT_S)
