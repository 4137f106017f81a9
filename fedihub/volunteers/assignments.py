"""Assignments: a coordinator asks volunteers to come to a shift, they confirm or decline by
their link, the site's coordinator checks them in. The capability over assignments_store.py's
rows (volunteer_assignments).

States and who moves them (TRANSITIONS): a dispatcher invites (again, after a cancellation or
a no) and cancels; the volunteer confirms or declines by the link (and may change their mind
while the shift is to come); the site's coordinator (or a dispatcher) checks in whoever was
asked and turns up. Every change counts in the shift's places (`shifts.places_changed`, in the
same transaction) and every coordinator's action is written in the audit log.

Places: nobody is confirmed beyond what the shift needs (the last confirmation finds it full
and says so). Invitations may go beyond it a little, since some say no or never answer: while
fewer than `needed` have confirmed, up to `invite_limit(needed)` people may be coming
(invited or confirmed) at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from fedihub.activitystreams import host_of
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest, Conflict, FedihubError, Forbidden, NotFound
from fedihub.follows.service import parse_handle, resolve_handle_or_uri
from fedihub.mail import store as mail
from fedihub.moderation import notices
from fedihub.posts import store as posts
from fedihub.services import MAIL_CHANNEL, Services
from fedihub.tokens import hash_token, new_token
from fedihub.volunteers import assignments_store, shifts, sites_store, store
from fedihub.volunteers.access import Access
from fedihub.volunteers.invitation import Invitation, note_html
from fedihub.volunteers.model import (
    COMING,
    Assignment,
    AssignmentState,
    Shift,
    Site,
    Volunteer,
)
from fedihub.volunteers.roles_store import record
from fedihub.words import words_for

log = logging.getLogger(__name__)
Reader = Database | Transaction
Choice = Literal["confirm", "decline"]
CHOICES: tuple[Choice, ...] = ("confirm", "decline")
# Who may move an assignment from one state to the next (the volunteer by the link, a
# dispatcher, a site's coordinator). Anything else is refused.
TRANSITIONS: Mapping[AssignmentState, frozenset[AssignmentState]] = {
    "invited": frozenset({"confirmed", "declined", "cancelled", "checked_in"}),
    "confirmed": frozenset({"declined", "cancelled", "checked_in"}),
    "declined": frozenset({"confirmed", "invited", "cancelled"}),
    "cancelled": frozenset({"invited"}),
    "checked_in": frozenset(),
}
MAX_AT_ONCE = 100  # volunteers asked in one go from the board
CHECK_IN_EARLY_S = 3 * 3600.0  # people may be checked in this long before their shift starts
HANDLE_LOOKUPS = 8  # WebFinger look-ups run at once while assigning


def invite_limit(needed: int) -> int:
    """How many may be coming (invited or confirmed) at once: half as many again as needed,
    and at least two more."""
    return needed + max(2, needed // 2)


def answer_path(hub: LocalActor, token: str) -> str:
    return f"/hubs/{hub.username}/volunteer/answer/{token}"


async def _move(tx: Transaction, found: Assignment, to: AssignmentState, now: float) -> bool:
    """Moves one assignment if TRANSITIONS allows it (Conflict otherwise) and it is still in the
    state it was read in (False: someone else moved it meanwhile)."""
    if to not in TRANSITIONS[found.state]:
        raise Conflict("an assignment that is %(state)s cannot become %(to)s",
                       state=found.state, to=to)  # fmt: skip
    return await assignments_store.move(tx, found, to, now)


# Assigning


@dataclass(frozen=True)
class Asked:
    """One volunteer asked: how they were told (the link's raw token goes in their message)."""

    assignment_id: int
    volunteer: Volunteer
    token: str
    messaged: bool  # a direct message went to their fediverse handle
    unreached: bool  # they gave a handle that could not be found


def _open_shift(shift: Shift, now: float) -> None:
    if shift.state == "cancelled":
        raise Conflict("this shift was cancelled")
    if shift.ends_at <= now:
        raise Conflict("this shift is over")


async def _volunteers(
    db: Reader, hub_id: int, ids: list[int], now: float, shift_ends_at: float
) -> list[Volunteer]:
    """This effort's volunteers of `ids`, each still consenting when the shift ends (their
    details are deleted when consent runs out: not in the middle of it)."""
    found = []
    for volunteer_id in ids:
        volunteer = await store.volunteer(db, hub_id, volunteer_id)
        if volunteer is None:
            raise NotFound("this effort has no volunteer %(id)s", id=volunteer_id)
        if volunteer.consent_until <= max(now, shift_ends_at):
            raise BadRequest(
                "volunteer %(id)s's consent to be contacted runs out before the shift ends",
                id=volunteer.id,
            )
        found.append(volunteer)
    return found


async def _reach(svc: Services, handle: str) -> RemoteActor | None:
    """The actor a volunteer's handle names, or None when it cannot be found (or is blocked,
    or is on this server, where no direct message goes)."""
    try:
        _, domain = parse_handle(handle)
        if domain in (svc.config.domain, svc.config.host):
            return None
        person = await resolve_handle_or_uri(svc, handle)
    except FedihubError as e:
        # The reason names the handle: personal data stays out of the logs.
        log.info("a volunteer's handle was not reached (%s)", type(e).__name__)
        return None
    if not handle_may_name(domain, person.uri):
        log.info("a volunteer's handle led to an actor of another server: not sent there")
        return None
    return None if await svc.blocked.refuses(person.uri) else person


def handle_may_name(domain: str, actor_uri: str) -> bool:
    """Whether a handle's server may answer for this actor: its own host, or one under it (a
    server whose accounts are @name@example.org and whose pages are social.example.org). A
    WebFinger answer naming an actor anywhere else would send the invitation, with its links
    and the site's address, where the volunteer never said."""
    host, wanted = host_of(actor_uri), domain.lower().rstrip(".")
    return host == wanted or host.endswith("." + wanted)


async def _reach_all(svc: Services, handles: set[str]) -> dict[str, RemoteActor | None]:
    gate = asyncio.Semaphore(HANDLE_LOOKUPS)

    async def one(handle: str) -> tuple[str, RemoteActor | None]:
        async with gate:
            return handle, await _reach(svc, handle)

    return dict(await asyncio.gather(*(one(h) for h in sorted(handles))))


async def invitation_of(svc: Services, hub: LocalActor, shift: Shift, site: Site,
                        token: str, db: Reader | None = None) -> Invitation:  # fmt: skip
    title = (await sites_store.titles(db or svc.db, hub.id, [shift.post_id])).get(shift.post_id, "")
    return Invitation(
        hub_name=hub.name, timezone=shift.timezone, title=title, starts_at=shift.starts_at,
        ends_at=shift.ends_at, site_name=site.name, address=site.address, needs=site.needs,
        answer_url=svc.config.base_url + answer_path(hub, token),
    )  # fmt: skip


async def assign(
    svc: Services, access: Access, shift: Shift, volunteer_ids: Collection[int]
) -> list[Asked]:
    """Asks these volunteers of the effort to come to `shift`, each with their own link (by
    direct message to the handle they gave; e-mail is queued by volunteers/mail.py). All or
    nothing: one volunteer who cannot be asked refuses the lot, with the reason."""
    hub, now = access.hub, svc.clock.now()
    if not access.dispatches:
        raise Forbidden("only the effort's dispatchers assign volunteers")
    if shift.hub_id != hub.id:
        raise NotFound("this effort has no such shift")
    ids = list(dict.fromkeys(volunteer_ids))
    if not ids:
        raise BadRequest("pick at least one volunteer")
    if len(ids) > MAX_AT_ONCE:
        raise BadRequest("at most %(max)s volunteers at once", max=MAX_AT_ONCE)
    _open_shift(shift, now)
    site = await sites_store.site(svc.db, hub.id, shift.site_id)
    if site is None:
        raise NotFound("this effort has no such shift")
    people = await _volunteers(svc.db, hub.id, ids, now, shift.ends_at)
    reached = await _reach_all(svc, {v.handle for v in people if v.handle})  # before the tx
    asked: list[Asked] = []
    async with svc.db.transaction() as tx:
        await posts.lock_post(tx, shift.post_id)
        # Across processes, another shift's assign or confirm may be booking them right now.
        await store.lock_volunteers(tx, [v.id for v in people])
        await _check_room(tx, shift, people, len(ids))
        for volunteer in people:
            token, token_hash = new_token()
            person = reached.get(volunteer.handle) if volunteer.handle else None
            unreached = bool(volunteer.handle) and person is None
            assignment_id = await assignments_store.invite(
                tx, shift.post_id, volunteer.id, token_hash, access.person_id, unreached, now
            )
            if person is not None:
                invitation = await invitation_of(svc, hub, shift, site, token, tx)
                words = words_for(volunteer.language)
                await notices.tell(tx, svc, hub, person, note_html(invitation, words))
            await record(tx, hub.id, access.person_id, "assign", now, volunteer.id,
                         f"shift {shift.post_id}")  # fmt: skip
            asked.append(Asked(assignment_id, volunteer, token, person is not None, unreached))
        await _queue_mail(tx, svc, asked, now)
        await shifts.places_changed(tx, svc, shift.post_id)
    svc.wake_delivery()
    svc.wakeups.wake(MAIL_CHANNEL)
    return asked


async def _queue_mail(tx: Transaction, svc: Services, asked: list[Asked], now: float) -> None:
    """Each volunteer asked who gave an e-mail address gets their link by mail (composed by
    volunteers/mail.py when it is sent), when this server sends mail at all."""
    if not svc.config.smtp_host:
        return
    await mail.enqueue(tx, [
        mail.Queued("assignment", a.volunteer.email, ref_id=a.assignment_id, token=a.token)
        for a in asked if a.volunteer.email
    ], now)  # fmt: skip


async def _check_room(tx: Transaction, shift: Shift, people: list[Volunteer], n: int) -> None:
    """Not twice, not at two places at once, not into a full shift, not far beyond it."""
    held = await assignments_store.of_shift(tx, shift.post_id)
    for volunteer in people:
        mine = held.get(volunteer.id)
        if mine is not None and mine.state in COMING:
            raise Conflict("volunteer %(id)s is asked to this shift already", id=volunteer.id)
    busy = await assignments_store.busy_elsewhere(tx, shift, [v.id for v in people])
    for volunteer in people:
        if volunteer.id in busy:
            raise Conflict("volunteer %(id)s is coming to another shift at that time",
                           id=volunteer.id)  # fmt: skip
    coming, confirmed = await assignments_store.counts(tx, shift.post_id)
    if confirmed >= shift.needed:
        raise Conflict("this shift is full: %(n)s of %(needed)s have confirmed",
                       n=confirmed, needed=shift.needed)  # fmt: skip
    limit = invite_limit(shift.needed)
    if coming + n > limit:
        raise Conflict(
            "%(coming)s are asked already: at most %(limit)s may be asked while places are"
            " open", coming=coming, limit=limit,
        )  # fmt: skip


async def cancel(svc: Services, access: Access, assignment_id: int) -> Assignment:
    """A dispatcher takes an invitation back (the volunteer's link then says so)."""
    if not access.dispatches:
        raise Forbidden("only the effort's dispatchers assign volunteers")
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        found = await assignments_store.assignment(tx, access.hub.id, assignment_id)
        if found is None:
            raise NotFound("this effort has no such assignment")
        if found.state == "cancelled":
            return found
        if not await _move(tx, found, "cancelled", now):
            raise Conflict("this assignment changed meanwhile: reload the page")
        await record(tx, access.hub.id, access.person_id, "assign", now, found.volunteer_id,
                     f"cancel shift {found.shift_id}")  # fmt: skip
        await shifts.places_changed(tx, svc, found.shift_id)
    return await assignments_store.assignment(svc.db, access.hub.id, assignment_id) or found


# The volunteer's answer


@dataclass(frozen=True)
class Answer:
    """What the answer page shows: the assignment as it now stands and whether this answer
    changed it (False: it was so already)."""

    assignment: Assignment
    shift: Shift
    site: Site
    changed: bool
    zone: str = "UTC"  # the shift's own, which its time is told in
    title: str = ""  # the shift post's

    @property
    def over(self) -> bool:
        return self.shift.state == "cancelled" or self.assignment.state == "cancelled"


async def look(svc: Services, hub: LocalActor, token: str) -> Answer:
    """The assignment a link names, without changing anything (the page a GET shows)."""
    found = await assignments_store.by_token(svc.db, hub.id, hash_token(token))
    if found is None:
        raise NotFound("this link is unknown")
    shift = await sites_store.shift(svc.db, hub.id, found.shift_id)
    site = None if shift is None else await sites_store.site(svc.db, hub.id, shift.site_id)
    if shift is None or site is None:
        raise NotFound("this link is unknown")
    title = (await sites_store.titles(svc.db, hub.id, [shift.post_id])).get(shift.post_id, "")
    return Answer(found, shift, site, False, shift.timezone, title)


async def answer(svc: Services, hub: LocalActor, token: str, choice: Choice) -> Answer:
    """The volunteer confirms or declines by their link. Saying the same twice changes
    nothing (`changed` False); a cancelled or past shift, a withdrawn invitation or a full
    shift is refused (Conflict) with what happened."""
    if choice not in CHOICES:
        raise BadRequest("choice: confirm or decline")
    now = svc.clock.now()
    seen = await look(svc, hub, token)
    to: AssignmentState = "confirmed" if choice == "confirm" else "declined"
    async with svc.db.transaction() as tx:
        await posts.lock_post(tx, seen.shift.post_id)
        await store.lock_volunteers(tx, [seen.assignment.volunteer_id])
        found = await assignments_store.by_token(tx, hub.id, hash_token(token))
        shift = await sites_store.shift(tx, hub.id, seen.shift.post_id)
        if found is None or shift is None:
            raise NotFound("this link is unknown")
        if found.state == "cancelled":
            raise Conflict("this invitation was withdrawn: you are not expected at this shift")
        _open_shift(shift, now)
        if found.state == to or (choice == "confirm" and found.state == "checked_in"):
            return replace(seen, assignment=found, shift=shift)
        if found.state == "checked_in":
            raise Conflict("you are checked in at this shift already")
        if (
            to == "confirmed"
            and (await assignments_store.counts(tx, shift.post_id))[1] >= shift.needed
        ):
            raise Conflict("this shift is full now: thank you, you are not needed this time")
        if to == "confirmed" and await assignments_store.busy_elsewhere(
            tx, shift, [found.volunteer_id]
        ):
            raise Conflict("you are coming to another shift at that time: decline one of them")
        if not await _move(tx, found, to, now):
            raise Conflict("this invitation changed meanwhile: open the link again")
        await shifts.places_changed(tx, svc, shift.post_id)
        moved = await assignments_store.by_token(tx, hub.id, hash_token(token)) or found
    return replace(seen, assignment=moved, shift=shift, changed=True)


# Check-in at the site


async def check_in(svc: Services, access: Access, site_id: int, assignment_id: int) -> bool:
    """The site's coordinator (or a dispatcher) says a volunteer has come. False if they were
    checked in already."""
    hub, now = access.hub, svc.clock.now()
    if not access.sees_site(site_id):
        raise Forbidden("you do not coordinate this site")
    async with svc.db.transaction() as tx:
        found = await assignments_store.assignment(tx, hub.id, assignment_id)
        shift = None if found is None else await sites_store.shift(tx, hub.id, found.shift_id)
        if found is None or shift is None or shift.site_id != site_id:
            raise NotFound("this site has no such volunteer coming")
        _open_shift(shift, now)
        if now < shift.starts_at - CHECK_IN_EARLY_S:
            raise Conflict("this shift has not begun: check people in when they come")
        if found.state == "checked_in":
            return False
        if found.state not in ("invited", "confirmed"):
            raise Conflict("they are not expected: their assignment is %(state)s",
                           state=found.state)  # fmt: skip
        if not await _move(tx, found, "checked_in", now):
            raise Conflict("this assignment changed meanwhile: reload the page")
        await record(tx, hub.id, access.person_id, "check_in", now, found.volunteer_id,
                     f"shift {shift.post_id}")  # fmt: skip
        await shifts.places_changed(tx, svc, shift.post_id)
    return True
