"""What a hostile review of dispatch found, each kept as a test: an invitation goes only to the
address a volunteer has now; deleting a volunteer (themselves, or at the end of their consent)
forgets their queued mail; a direct message is not served to whoever has its id; a declined
link cannot confirm someone already coming elsewhere; a shift people are asked to cannot be moved
or shrunk below who confirmed; the board reads a shift in its own time zone; check-in only at an
open shift that has begun (or is about to)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors.model import LocalActor
from fedihub.app import mailers
from fedihub.clock import FixedClock
from fedihub.errors import BadRequest, Conflict
from fedihub.keys import delivery_worker_key
from fedihub.mail.worker import MailWorker
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.volunteers import assignments, board, coordination, service
from fedihub.volunteers import sites_store as sites
from fedihub.volunteers.assignments import handle_may_name
from fedihub.volunteers.model import MONTH_S, SignUp, skill_bits, slot
from tests.http.test_volunteer_dispatch import DAY, UTC, add_shift, at_hour, effort, volunteer
from tests.http.test_volunteer_dispatch_mail import clock
from tests.support.mailing import instance_config, smtp
from tests.support.remote import RemoteServer
from tests.support.smtp import SmtpServer

__all__ = ["clock", "instance_config", "smtp"]  # fixtures: an instance that mails through smtp


def _text(site: str, start: float, hours: float, needed: int = 3, zone: ZoneInfo = UTC,
          title: str = "Mucking out") -> str:  # fmt: skip
    m = lambda t: dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    tz = f"timezone: {zone.key}\n"
    return (
        f"---\ntitle: {title}\nsite: {site}\nstart: {m(start)}\nend: {m(start + hours * 3600)}\n"
        f"{tz}needed: {needed}\n---\nA shift.\n"
    )


async def _confirm(services: Services, hub: LocalActor, token: str) -> assignments.Answer:
    return await assignments.answer(services, hub, token, "confirm")


async def test_a_declined_link_cannot_confirm_someone_coming_elsewhere(
    services: Services, clock: FixedClock
) -> None:
    """declined -> confirmed skips the 'not at two places at once' check that assign makes."""
    sandy = await effort(services)
    hub = sandy.hub
    a = sandy.shift
    b = await add_shift(services, hub, sandy.other_site, a.starts_at + 3600, title="Other")
    ana = await volunteer(services, hub, "Ana Uno")
    (asked_a,) = await assignments.assign(services, sandy.lead, a, [ana])
    await assignments.answer(services, hub, asked_a.token, "decline")
    (asked_b,) = await assignments.assign(services, sandy.lead, b, [ana])  # free now: fine
    await _confirm(services, hub, asked_b.token)
    # Back to A's old link: should be refused (coming to an overlapping shift)
    with pytest.raises(Conflict):
        await _confirm(services, hub, asked_a.token)


async def test_a_shift_people_are_asked_to_cannot_move(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    ana = await volunteer(services, hub, "Ana Uno")
    (asked,) = await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    await _confirm(services, hub, asked.token)
    mails_before = await services.db.fetchval("SELECT count(*) FROM mail_queue")
    outbox_before = await services.db.fetchval("SELECT count(*) FROM outbox_activities")
    # Another day, another site (Rockaway), at night: refused while she is coming.
    new_start = at_hour(clock.now() + 5 * DAY, 1)
    with pytest.raises(BadRequest, match="withdraw them"):
        await posts.edit(services, hub, sandy.shift.post_id, _text("Rockaway", new_start, 4))
    kept = await sites.shift(services.db, hub.id, sandy.shift.post_id)
    assert kept == sandy.shift
    assert await services.db.fetchval("SELECT count(*) FROM mail_queue") == mails_before
    assert await services.db.fetchval("SELECT count(*) FROM outbox_activities") == outbox_before
    # Withdrawn, it may move.
    await assignments.cancel(services, sandy.lead, asked.assignment_id)
    await posts.edit(services, hub, sandy.shift.post_id, _text("Rockaway", new_start, 4))
    moved = await sites.shift(services.db, hub.id, sandy.shift.post_id)
    assert moved is not None and moved.site_id == sandy.other_site and moved.starts_at == new_start


async def test_a_shift_cannot_move_onto_another_its_people_come_to(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    b = await add_shift(services, hub, sandy.other_site, sandy.shift.starts_at + 2 * DAY, title="B")
    ana = await volunteer(services, hub, "Ana Uno")
    for s in (sandy.shift, b):
        (asked,) = await assignments.assign(services, sandy.lead, s, [ana])
        await _confirm(services, hub, asked.token)
    where = await sites.site(services.db, hub.id, sandy.site)
    assert where is not None
    with pytest.raises(BadRequest):
        await posts.edit(services, hub, sandy.shift.post_id, _text(where.name, b.starts_at, 4))
    assert await sites.shift(services.db, hub.id, sandy.shift.post_id) == sandy.shift


async def test_a_shift_cannot_need_fewer_than_have_confirmed(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    people = [await volunteer(services, hub, f"P{i}") for i in range(3)]
    for a in await assignments.assign(services, sandy.lead, sandy.shift, people):
        await _confirm(services, hub, a.token)
    where = await sites.site(services.db, hub.id, sandy.site)
    assert where is not None
    s = sandy.shift
    hours = (s.ends_at - s.starts_at) / 3600
    with pytest.raises(BadRequest, match="have confirmed already"):
        await posts.edit(services, hub, s.post_id, _text(where.name, s.starts_at, hours, needed=1))
    await posts.edit(services, hub, s.post_id, _text(where.name, s.starts_at, hours, needed=3))


async def test_the_board_reads_a_shift_in_its_own_time_zone(
    services: Services, clock: FixedClock
) -> None:
    """Hub in UTC (the default), shift typed 08:00-12:00 America/New_York: a volunteer free
    only in the mornings is not proposed, one free only in the afternoon is."""
    sandy = await effort(services)
    hub = sandy.hub
    ny = ZoneInfo("America/New_York")
    day = dt.datetime.fromtimestamp(clock.now() + 3 * DAY, ny).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    start = day.timestamp()
    post = await posts.publish(
        services, hub, None, "shift", _text("Red Hook", start, 4, zone=ny, title="NY")
    )
    shift = await sites.shift(services.db, hub.id, post.id)
    wd = day.weekday()
    mornings = await volunteer(services, hub, "Morning Mia", availability=slot(wd, 0))
    afternoons = await volunteer(services, hub, "Afternoon Al", availability=slot(wd, 1))
    site = await sites.site(services.db, hub.id, sandy.site)
    got = {
        p.volunteer_id
        for p in await board.proposals(services.db, hub.id, shift, site, now=clock.now())
    }
    assert mornings in got and afternoons not in got


async def test_no_check_in_at_a_deleted_shift(services: Services, clock: FixedClock) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    ana = await volunteer(services, hub, "Ana Uno")
    (asked,) = await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    await posts.delete(services, hub, sandy.shift.post_id)
    with pytest.raises(Conflict):
        await assignments.check_in(services, sandy.lead, sandy.site, asked.assignment_id)


async def test_no_check_in_days_before_the_shift(services: Services, clock: FixedClock) -> None:
    sandy = await effort(services)  # shift starts in 2 days
    ana = await volunteer(services, sandy.hub, "Ana Uno")
    (asked,) = await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    with pytest.raises(Conflict):
        await assignments.check_in(services, sandy.lead, sandy.site, asked.assignment_id)


async def test_two_overlapping_invitations_at_once_make_one(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    b = await add_shift(services, hub, sandy.other_site, sandy.shift.starts_at, title="B")
    ana = await volunteer(services, hub, "Ana Uno")
    results = await asyncio.gather(
        assignments.assign(services, sandy.lead, sandy.shift, [ana]),
        assignments.assign(services, sandy.lead, b, [ana]),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    assert len(ok) == 1, f"both overlapping invitations went out ({services.db.dialect})"


async def test_two_overlapping_confirmations_at_once_make_one(
    services: Services, clock: FixedClock
) -> None:
    """Declined A, invited B; confirms A's and B's links at once."""
    sandy = await effort(services)
    hub = sandy.hub
    b = await add_shift(services, hub, sandy.other_site, sandy.shift.starts_at, title="B")
    ana = await volunteer(services, hub, "Ana Uno")
    (aa,) = await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    await assignments.answer(services, hub, aa.token, "decline")
    (bb,) = await assignments.assign(services, sandy.lead, b, [ana])
    await asyncio.gather(
        _confirm(services, hub, aa.token), _confirm(services, hub, bb.token), return_exceptions=True
    )
    rows = await services.db.fetchall(
        "SELECT shift_id, state FROM volunteer_assignments WHERE volunteer_id = ?", (ana,)
    )
    confirmed = [r for r in rows if r["state"] == "confirmed"]
    assert len(confirmed) <= 1, rows


def _sign_up(email: str, handle: str | None = None) -> SignUp:
    return SignUp(
        name="Ana Uno",
        email=email,
        phone=None,
        phone_key=None,
        handle=handle,
        languages=("en",),
        skills=skill_bits(()),
        other_skills="",
        availability=0,
        area="",
        transport="none",
        notes="",
        consent_months=3,
        language="en",
    )


async def test_a_pending_invitation_never_goes_to_an_address_they_replaced(
    app_client: TestClient, services: Services, clock: FixedClock, smtp: SmtpServer
) -> None:
    sandy = await effort(services)
    done = await service.sign_up(services, sandy.hub, _sign_up("typo@wrong.example"))
    await assignments.assign(services, sandy.lead, sandy.shift, [done.volunteer_id])
    # Before the worker sends: the volunteer fixes the address by their private link.
    await services.db.execute("DELETE FROM mail_queue WHERE purpose = 'volunteer'")
    await service.update_by_token(services, sandy.hub, done.token, _sign_up("ana@right.example"))
    worker = MailWorker(services.db, services.config, mailers(services), clock=clock)
    await worker.run_once()
    assert all(m.recipients == ["ana@right.example"] for m in smtp.received), (
        "the invitation (links, site address) went to the address they replaced"
    )


async def test_deleting_oneself_forgets_ones_mail(
    app_client: TestClient, services: Services, clock: FixedClock, smtp: SmtpServer
) -> None:
    sandy = await effort(services)
    done = await service.sign_up(services, sandy.hub, _sign_up("gone@private.example"))
    await assignments.assign(services, sandy.lead, sandy.shift, [done.volunteer_id])
    worker = MailWorker(services.db, services.config, mailers(services), clock=clock)
    await worker.run_once()
    await service.delete_by_token(services, sandy.hub, done.token)
    rows = await services.db.fetchall("SELECT purpose, state, recipient FROM mail_queue")
    assert not any(r["recipient"] == "gone@private.example" for r in rows), (
        "deleted volunteer's address still in mail_queue (kept 14 days after finishing)"
    )


async def test_expiry_forgets_their_mail(
    app_client: TestClient, services: Services, clock: FixedClock, smtp: SmtpServer
) -> None:
    sandy = await effort(services)
    await service.sign_up(services, sandy.hub, _sign_up("expired@private.example"))
    worker = MailWorker(services.db, services.config, mailers(services), clock=clock)
    await worker.run_once()
    assert await coordination.expire(services, clock.now() + 4 * MONTH_S) == 1
    rows = await services.db.fetchall("SELECT purpose, state, recipient FROM mail_queue")
    assert not any(r["recipient"] == "expired@private.example" for r in rows), (
        "expired volunteer's address still in mail_queue"
    )


async def test_a_direct_message_is_not_served_to_whoever_has_its_id(
    app_client: TestClient, services: Services, clock: FixedClock, remote: RemoteServer
) -> None:
    sandy = await effort(services)
    remote.add_actor("alice")
    handle = f"@alice@127.0.0.1:{remote.ports[0]}"
    ana = await volunteer(services, sandy.hub, "Ana Secret", handle=handle)
    await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    while await app_client.app[delivery_worker_key].run_once():
        pass
    rows = await services.db.fetchall("SELECT uri, document FROM outbox_activities")
    (sent,) = [r for r in rows if "alice@" in r["document"]]
    path = sent["uri"].split(services.config.domain, 1)[1]
    for accept in ("application/activity+json", "text/html"):
        resp = await app_client.get(path, headers={"Accept": accept})
        assert resp.status == 404 and "Van Brunt" not in await resp.text()


def test_a_handles_server_answers_only_for_its_own_actors() -> None:
    assert handle_may_name("example.org", "https://example.org/users/ana")
    assert handle_may_name("example.org", "https://social.example.org/users/ana")
    assert handle_may_name("127.0.0.1:8080", "http://127.0.0.1:8080/users/ana")
    assert not handle_may_name("example.org", "https://evil.example/users/ana")
    assert not handle_may_name("example.org", "https://notexample.org/users/ana")
