"""Signing up for a hub's relief effort without an account, and what a volunteer does with
their private link: see, change or delete their own record.

One row per contact and effort: signing up again with the same e-mail address or phone number
updates what that volunteer offers (skills, languages, times, area, transport, notes), never
their name, contacts, handle or consent, and says nothing of what was held: whoever typed it
may not be them. The private link's token is random; only its sha256 is kept, so a repeat
sign-up cannot show the link again: when the instance sends mail, the address on file gets a
new link instead (the old one stops working; at most one such mail an hour). Where mail is
sent, a sign-up with an e-mail address is answered the same whether it was new or not (the
link comes by mail), so the form does not tell who is registered. Called by the web pages
(web/volunteer.py), the bench and tests alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, NotFound
from fedihub.services import MAIL_CHANNEL, Services
from fedihub.tokens import hash_token, new_token
from fedihub.volunteers import mail, shifts, store
from fedihub.volunteers.model import Effort, SignUp, Volunteer

# Tries of one sign-up that raced another process on a UNIQUE (each retry sees its commit).
ATTEMPTS = 4
# A repeat sign-up mails the address on file a new private link at most this often, so
# strangers cannot fill a volunteer's mailbox (or our sender's reputation) with them.
LINK_MAIL_EVERY_S = 3600.0
T = TypeVar("T")


@dataclass(frozen=True)
class SignedUp:
    volunteer_id: int
    created: bool
    token: str | None  # the raw private-link token, only when created: show it once
    # They gave an e-mail address and the instance sends mail: their private link goes there,
    # and the page says only that, new sign-up or not (it must not tell a stranger which).
    # Never for a sign-up by phone alone, or where the instance sends no mail.
    told_by_mail: bool = False


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
    """A new volunteer (with their private link's token), or what the volunteer with this
    sign-up's e-mail address or phone number offers, updated. BadRequest when the effort's
    sign-up is closed."""
    done = await _retried(lambda: _sign_up_once(svc, hub, sign_up))
    if done.told_by_mail:
        svc.wakeups.wake(MAIL_CHANNEL)
    return done


async def _sign_up_once(svc: Services, hub: LocalActor, given: SignUp) -> SignedUp:
    now = svc.clock.now()
    by_mail = bool(given.email and svc.config.smtp_host)
    async with svc.db.transaction() as tx:
        if not (await store.effort(tx, hub.id)).signup_open:
            raise BadRequest("sign-up for this effort is closed")
        known = await store.same_contact(tx, hub.id, given)
        if known is None:
            token, token_hash = new_token()
            created = await store.insert_if_new(tx, hub.id, given, token_hash, now)
            if created is not None:
                if by_mail:
                    await mail.queue_link(tx, created, given.email or "", token, now)
                return SignedUp(created, True, token, by_mail)
            # Another process committed this contact since we looked: update theirs.
            known = await store.same_contact(tx, hub.id, given)
            if known is None:
                raise _Raced()
        # Whoever typed this may not be them: what they offer is updated, never who they are
        # or how to reach them (name, contacts, handle, consent: their private link changes
        # those). The address on file, if any, gets a new link: at most one an hour.
        await store.update_offer(tx, known, given, now)
        email = (await store.contacts(tx, known))[0]
        if (
            email
            and svc.config.smtp_host
            and not await mail.link_mailed_since(tx, known, now - LINK_MAIL_EVERY_S)
        ):
            token, token_hash = new_token()
            await store.set_token(tx, known, token_hash)
            await mail.queue_link(tx, known, email, token, now)
    return SignedUp(known, False, None, by_mail)


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
        await mail.forget_volunteers(tx, [found.id])
        await store.delete_volunteer(tx, found.id)
