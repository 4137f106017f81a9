"""Signing up for a hub's relief effort without an account, and what a volunteer does with
their private link: see, change or delete their own record.

One row per contact and effort: signing up again with the same e-mail address or phone number
updates that volunteer (and says nothing of what was held: whoever typed it may not be them).
The private link's token is random; only its sha256 is kept, so a repeat sign-up cannot show
the link again: when the instance sends mail, it gets a new link by mail instead (the old one
stops working), and a new sign-up with an e-mail address gets its link by mail too. Called
by the web pages (web/volunteer.py), the bench and tests alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.newswire.newsletter.subscribers import hash_token, new_token
from fedihub.services import MAIL_CHANNEL, Services
from fedihub.volunteers import mail, shifts, store
from fedihub.volunteers.model import Effort, SignUp, Volunteer

# Tries of one sign-up that raced another process on a UNIQUE (each retry sees its commit).
ATTEMPTS = 4
T = TypeVar("T")


@dataclass(frozen=True)
class SignedUp:
    volunteer_id: int
    created: bool
    token: str | None  # the raw private-link token, only when created: show it once
    # A (new) private link was queued to their e-mail address, so the page may say it was sent;
    # never for a sign-up by phone alone, or where the instance sends no mail.
    link_mailed: bool = False


class _Raced(Exception):
    """A contact taken and gone again between two statements: the sign-up starts over."""


async def _retried(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt` (one transaction) again when it lost a race on a UNIQUE to another process."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except _Raced:
            if n == ATTEMPTS:
                raise
        except Exception as e:
            if n == ATTEMPTS or not store.breaks_a_unique(e):
                raise
    raise AssertionError("unreachable")


async def effort(svc: Services, hub: LocalActor) -> Effort:
    return await store.effort(svc.db, hub.id)


async def set_effort(svc: Services, hub: LocalActor, *, signup_open: bool, intro: str) -> Effort:
    changed = Effort(hub.id, signup_open, intro)
    async with svc.db.transaction() as tx:
        await store.save_effort(tx, changed, svc.clock.now())
    return changed


async def sign_up(svc: Services, hub: LocalActor, sign_up: SignUp) -> SignedUp:
    """A new volunteer (with their private link's token), or the one with this sign-up's
    e-mail address or phone number updated. BadRequest when the effort's sign-up is closed."""
    done = await _retried(lambda: _sign_up_once(svc, hub, sign_up))
    if done.link_mailed:
        svc.wakeups.wake(MAIL_CHANNEL)
    return done


async def _sign_up_once(svc: Services, hub: LocalActor, given: SignUp) -> SignedUp:
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        if not (await store.effort(tx, hub.id)).signup_open:
            raise BadRequest("sign-up for this effort is closed")
        known = await store.same_contact(tx, hub.id, given)
        if known is None:
            token, token_hash = new_token()
            created = await store.insert_if_new(tx, hub.id, given, token_hash, now)
            if created is not None:
                mailed = await _mail_link(tx, svc, created, given.email, token, now)
                return SignedUp(created, True, token, mailed)
            # Another process committed this contact since we looked: update theirs.
            known = await store.same_contact(tx, hub.id, given)
            if known is None:
                raise _Raced()
        kept = await _kept_contacts(tx, hub.id, known, given)
        await store.update_volunteer(tx, known, kept, now)
        mailed = False
        if kept.email and svc.config.smtp_host:
            token, token_hash = new_token()
            await store.set_token(tx, known, token_hash)
            mailed = await _mail_link(tx, svc, known, kept.email, token, now)
    return SignedUp(known, False, None, mailed)


async def _mail_link(
    tx: Transaction, svc: Services, volunteer_id: int, email: str | None, token: str, now: float
) -> bool:
    """Queues their private link to their address, when they gave one and we send mail."""
    if not email or not svc.config.smtp_host:
        return False
    await mail.queue_link(tx, volunteer_id, email, token, now)
    return True


async def _kept_contacts(tx: Transaction, hub_id: int, volunteer_id: int, given: SignUp) -> SignUp:
    """What a repeat sign-up stores: a contact it leaves out is kept, and one another volunteer
    of this effort holds is not taken from them (the held one stays)."""
    email, phone, key = await store.contacts(tx, volunteer_id)
    if given.email and await store.holder(tx, hub_id, given.email, None) in (None, volunteer_id):
        email = given.email
    if given.phone_key and await store.holder(tx, hub_id, None, given.phone_key) in (
        None, volunteer_id,
    ):  # fmt: skip
        phone, key = given.phone, given.phone_key
    return replace(given, email=email, phone=phone, phone_key=key)


async def by_token(svc: Services, hub: LocalActor, token: str) -> Volunteer:
    """The volunteer whose private link this is; NotFound, saying nothing more, otherwise."""
    found = await store.volunteer_by_token(svc.db, hash_token(token))
    if found is None or found.hub_id != hub.id:
        raise NotFound("this link is not known")
    return found


async def update_by_token(svc: Services, hub: LocalActor, token: str, sign_up: SignUp) -> Volunteer:
    """The volunteer's own changes, sign-up open or closed. An e-mail address or phone number
    another volunteer of this effort holds is refused (it is what tells two people apart)."""
    return await _retried(lambda: _update_once(svc, hub, token, sign_up))


async def _update_once(svc: Services, hub: LocalActor, token: str, given: SignUp) -> Volunteer:
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        found = await store.volunteer_by_token(tx, hash_token(token))
        if found is None or found.hub_id != hub.id:
            raise NotFound("this link is not known")
        if given.email and await store.holder(tx, hub.id, given.email, None) not in (
            None, found.id,
        ):  # fmt: skip
            raise BadRequest("email: another registration for this effort uses this address")
        if given.phone_key and await store.holder(tx, hub.id, None, given.phone_key) not in (
            None, found.id,
        ):  # fmt: skip
            raise BadRequest("phone: another registration for this effort uses this number")
        await store.update_volunteer(tx, found.id, given, now)
        changed = await store.volunteer(tx, hub.id, found.id)
    assert changed is not None  # updated in this very transaction
    return changed


async def delete_by_token(svc: Services, hub: LocalActor, token: str) -> None:
    """The volunteer deletes their own record; their assignments go with it."""
    async with svc.db.transaction() as tx:
        found = await store.volunteer_by_token(tx, hash_token(token))
        if found is None or found.hub_id != hub.id:
            raise NotFound("this link is not known")
        for shift_id in await store.coming_shift_ids(tx, found.id):
            await shifts.places_changed(tx, svc, shift_id)
        await store.delete_volunteer(tx, found.id)
