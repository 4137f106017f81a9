"""Dispatch on both databases: the board's proposals (order and exclusions), assigning with its
refusals (twice, full, another effort's ids), the volunteer's link (a GET changes nothing, the
POST answers, once per change), check-in by the site's own coordinator only, the audit log, and
the direct message to a handle on another server carrying the links to that actor alone."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.errors import BadRequest, Conflict, Forbidden, NotFound
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.volunteers import (
    access,
    assignments,
    assignments_store,
    board,
    roles_store,
    sites_store,
    store,
)
from fedihub.volunteers.model import (
    ALL_SLOTS,
    Shift,
    SignUp,
    Transport,
    shift_slots,
    skill_bits,
)
from tests.support.remote import RemoteServer
from tests.support.web import HTML, form_token, sign_in

DAY = 86_400.0
UTC = ZoneInfo("UTC")
PASSWORD = "correct horse"


def at_hour(day: float, hour: int) -> float:
    """`hour` o'clock UTC on the day `day` falls in."""
    return day - day % DAY + hour * 3600


@dataclass
class Effort:
    hub: LocalActor
    site: int
    other_site: int
    shift: Shift
    lead: Access


Access = access.Access


async def hub_named(services: Services, slug: str) -> LocalActor:
    await create_hub(services.db, slug, name=slug.title(), timezone="UTC")
    found = await actors.get_actor(services.db, "group", slug)
    assert found is not None
    return found


async def add_shift(
    services: Services, hub: LocalActor, site: int, starts_at: float, hours: float = 4,
    needed: int = 3, skills: tuple[str, ...] = ("first_aid",), languages: tuple[str, ...] = ("es",),
    title: str = "Mucking out",
) -> Shift:  # fmt: skip
    """A post of the kind `shift` (the hub's zone is UTC), and the row the kind keeps for it."""
    where = await sites_store.site(services.db, hub.id, site)
    assert where is not None
    moment = lambda t: dt.datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    text = (
        f"---\ntitle: {title}\nsite: {where.name}\nstart: {moment(starts_at)}\n"
        f"end: {moment(starts_at + hours * 3600)}\nneeded: {needed}\n"
        f"skills: [{', '.join(skills)}]\nlanguages: {', '.join(languages)}\n---\nA shift.\n"
    )
    post = await posts.publish(services, hub, None, "shift", text)
    shift = await sites_store.shift(services.db, hub.id, post.id)
    assert shift is not None and shift.starts_at == starts_at and shift.needed == needed
    assert shift.slots == shift_slots(starts_at, starts_at + hours * 3600, UTC)
    return shift


async def volunteer(
    services: Services, hub: LocalActor, name: str, *, skills: tuple[str, ...] = (),
    area: str = "Elsewhere", languages: tuple[str, ...] = ("en",), transport: Transport = "none",
    availability: int = ALL_SLOTS, handle: str | None = None, email: str | None = None,
    signed_up_at: float | None = None,
) -> int:  # fmt: skip
    sign_up = SignUp(
        name=name, email=email or f"{name.lower().replace(' ', '.')}@example.org", phone="555",
        phone_key=f"+1555{abs(hash(name)) % 10**7}", handle=handle, languages=languages,
        skills=skill_bits(skills), other_skills="", availability=availability, area=area,
        transport=transport, notes="", consent_months=3, language="es",
    )  # fmt: skip
    async with services.db.transaction() as tx:
        return await store.insert_volunteer(tx, hub.id, sign_up, f"t-{hub.id}-{name}",
                                            signed_up_at or services.clock.now())  # fmt: skip


async def lead_of(services: Services, hub: LocalActor) -> Access:
    return Access(hub, hub.id, "lead")  # the audit names a person; the hub stands in for one


async def effort(services: Services, slug: str = "sandy") -> Effort:
    hub = await hub_named(services, slug)
    now = services.clock.now()
    async with services.db.transaction() as tx:
        site = await sites_store.add_site(tx, hub.id, "Red Hook", "Red Hook",
                                          "196 Van Brunt St", "Boots and gloves", now)  # fmt: skip
        other = await sites_store.add_site(
            tx, hub.id, "Rockaway", "Rockaway", "Beach 94th St", "", now
        )
    shift = await add_shift(services, hub, site, at_hour(now + 2 * DAY, 10))
    return Effort(hub, site, other, shift, await lead_of(services, hub))


@pytest.fixture
def clock(services: Services) -> FixedClock:
    services.clock = clock = FixedClock(time.time())
    return clock


async def test_proposals_are_ranked_and_exclude_who_cannot_come(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    katrina = await hub_named(services, "katrina")
    shift, hub = sandy.shift, sandy.hub
    site = await sites_store.site(services.db, hub.id, sandy.site)
    assert site is not None
    morning_only = shift_slots(shift.starts_at, shift.starts_at + 3600, UTC)
    assert morning_only != shift.slots  # 10:00-14:00 is a morning and an afternoon
    v = {
        "best": await volunteer(
            services,
            hub,
            "Ana",
            skills=("first_aid",),
            area="red hook",
            languages=("es",),
            transport="car",
        ),
        "partial": await volunteer(
            services,
            hub,
            "Paz",
            skills=("first_aid",),
            area="Red Hook",
            languages=("es",),
            transport="car",
            availability=morning_only,
        ),
        "busy_before": await volunteer(
            services,
            hub,
            "Bea",
            skills=("first_aid",),
            area="Red  Hook",
            languages=("es",),
            transport="car",
        ),
        "far": await volunteer(services, hub, "Cy", skills=("first_aid",), languages=("es",)),
        "no_skill": await volunteer(services, hub, "Dee", area="Red Hook", languages=("es", "en")),
        "plain": await volunteer(services, hub, "Eli"),
        "cancelled": await volunteer(services, hub, "Fay"),
    }
    excluded = {
        "expired": await volunteer(
            services, hub, "Gus", skills=("first_aid",), signed_up_at=clock.now() - 200 * DAY
        ),
        # Three months' consent that ends tomorrow, the day before the shift.
        "ends_before": await volunteer(
            services, hub, "Gil", skills=("first_aid",), signed_up_at=clock.now() - 89 * DAY
        ),
        "unavailable": await volunteer(
            services, hub, "Hal", skills=("first_aid",), availability=ALL_SLOTS & ~shift.slots
        ),
        "invited": await volunteer(services, hub, "Ivy", skills=("first_aid",)),
        "declined": await volunteer(services, hub, "Jo", skills=("first_aid",)),
        "overlapping": await volunteer(services, hub, "Kit", skills=("first_aid",)),
        "other_effort": await volunteer(
            services,
            katrina,
            "Lu",
            skills=("first_aid",),
            area="Red Hook",
            languages=("es",),
            transport="van",
        ),
    }
    # Bea has one confirmed shift already (another day): Ana, equal otherwise, comes first.
    earlier = await add_shift(services, hub, sandy.other_site, shift.starts_at - DAY)
    overlapping = await add_shift(services, hub, sandy.other_site, shift.starts_at + 3600)
    await assignments.assign(services, sandy.lead, earlier, [v["busy_before"]])
    await assignments.assign(services, sandy.lead, overlapping, [excluded["overlapping"]])
    asked = await assignments.assign(
        services, sandy.lead, shift, [excluded["invited"], excluded["declined"], v["cancelled"]]
    )
    await assignments.answer(services, hub, asked[1].token, "decline")
    await assignments.cancel(services, sandy.lead, asked[2].assignment_id)
    first = (await assignments_store.assigned(services.db, hub.id, earlier.post_id))[0]
    await services.db.execute("UPDATE volunteer_assignments SET state = 'confirmed' WHERE id = ?",
                              (first.assignment_id,))  # fmt: skip

    found = await board.proposals(services.db, hub.id, shift, site, now=clock.now())

    order = ["best", "busy_before", "partial", "far", "no_skill", "plain", "cancelled"]
    assert [p.volunteer_id for p in found] == [v[k] for k in order]
    best, bea = found[0], found[1]
    assert (best.skills, best.same_area, best.languages, best.transport, best.full_cover) == (
        ("first_aid",), True, ("es",), "car", True)  # fmt: skip
    assert bea.confirmed == 1 and best.confirmed == 0
    assert not found[2].full_cover and found[4].skills == () and found[4].same_area
    assert not set(excluded.values()) & {p.volunteer_id for p in found}
    with pytest.raises(BadRequest, match="consent to be contacted runs out before the shift"):
        await assignments.assign(services, sandy.lead, shift, [excluded["ends_before"]])
    # The board's own filters narrow it further.
    by_area = await board.proposals(services.db, hub.id, shift, site, now=clock.now(),
                                    wanted=board.Wanted(area="RED HOOK"))  # fmt: skip
    assert [p.volunteer_id for p in by_area] == [v["best"], v["busy_before"], v["partial"],
                                                 v["no_skill"]]  # fmt: skip
    english = await board.proposals(
        services.db,
        hub.id,
        shift,
        site,
        now=clock.now(),
        wanted=board.Wanted(language="en", skill="first_aid"),
    )
    assert english == []  # the first-aiders here all speak Spanish only
    hostile = board.Wanted(language="% OR 1=1 --", area="' OR ''='", skill="nope")
    assert len(await board.proposals(services.db, hub.id, shift, site, now=clock.now(),
                                     wanted=hostile)) == 0  # fmt: skip
    # Another effort's shift proposes nobody of this one, whatever it is asked.
    assert await board.proposals(services.db, katrina.id, shift, site) == []


async def test_assign_refuses_twice_full_and_anothers_ids_and_audits(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    katrina = await effort(services, "katrina")
    hub = sandy.hub
    people = [await volunteer(services, hub, f"P{n}") for n in range(7)]
    theirs = await volunteer(services, katrina.hub, "Theirs")
    with pytest.raises(NotFound):
        await assignments.assign(services, sandy.lead, sandy.shift, [people[0], theirs])
    with pytest.raises(NotFound):
        await assignments.assign(services, sandy.lead, katrina.shift, [people[0]])
    assert await assignments_store.assigned(services.db, hub.id, sandy.shift.post_id) == []

    asked = await assignments.assign(services, sandy.lead, sandy.shift, people[:3])
    with pytest.raises(Conflict, match="asked to this shift already"):
        await assignments.assign(services, sandy.lead, sandy.shift, [people[0]])
    # Needed 3: invitations may go to 3 + 2 at once, not more.
    with pytest.raises(Conflict, match="at most 5 may be asked"):
        await assignments.assign(services, sandy.lead, sandy.shift, people[3:6])
    await assignments.assign(services, sandy.lead, sandy.shift, people[3:5])
    for one in asked:
        await assignments.answer(services, hub, one.token, "confirm")
    places = (await sites_store.places(services.db, [sandy.shift]))[sandy.shift.post_id]
    assert (places.confirmed, places.invited, places.open) == (3, 2, 0)
    with pytest.raises(Conflict, match="this shift is full"):
        await assignments.assign(services, sandy.lead, sandy.shift, [people[6]])
    late = await assignments_store.assigned(services.db, hub.id, sandy.shift.post_id)
    assert sorted(a.state for a in late) == ["confirmed"] * 3 + ["invited"] * 2
    log = await roles_store.entries(services.db, hub.id)
    assert sorted(e.volunteer_id for e in log if e.action == "assign") == sorted(people[:5])
    assert all(e.detail == f"shift {sandy.shift.post_id}" for e in log)
    assert await roles_store.entries(services.db, katrina.hub.id) == []
    # A change of places defers one Update of the shift's post.
    due = await services.db.fetchval(
        "SELECT count(*) FROM pending_updates WHERE post_id = ?", (sandy.shift.post_id,)
    )
    assert due == 1


async def test_answer_link_confirm_decline_once_per_change(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    (ana,) = await assignments.assign(services, sandy.lead, sandy.shift,
                                      [await volunteer(services, hub, "Ana")])  # fmt: skip
    seen = await assignments.look(services, hub, ana.token)
    assert seen.assignment.state == "invited" and not seen.changed
    first = await assignments.answer(services, hub, ana.token, "confirm")
    again = await assignments.answer(services, hub, ana.token, "confirm")
    assert (first.changed, first.assignment.state) == (True, "confirmed")
    assert (again.changed, again.assignment.state) == (False, "confirmed")
    no = await assignments.answer(services, hub, ana.token, "decline")
    assert (no.changed, no.assignment.state) == (True, "declined")
    other = await hub_named(services, "katrina")
    with pytest.raises(NotFound):
        await assignments.look(services, other, ana.token)  # another hub's address: unknown
    with pytest.raises(NotFound):
        await assignments.answer(services, hub, ana.token + "x", "confirm")
    clock.at = sandy.shift.ends_at + 1
    with pytest.raises(Conflict, match="over"):
        await assignments.answer(services, hub, ana.token, "confirm")


async def test_check_in_by_that_sites_coordinator_only(
    services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    hub = sandy.hub
    (ana,) = await assignments.assign(services, sandy.lead, sandy.shift,
                                      [await volunteer(services, hub, "Ana")])  # fmt: skip
    other_site = Access(hub, hub.id, "site", frozenset({sandy.other_site}))
    this_site = Access(hub, hub.id, "site", frozenset({sandy.site}))
    with pytest.raises(Forbidden):
        await assignments.check_in(services, other_site, sandy.site, ana.assignment_id)
    with pytest.raises(NotFound):  # the assignment is not at the site they coordinate
        await assignments.check_in(services, other_site, sandy.other_site, ana.assignment_id)
    with pytest.raises(Forbidden):  # a site's coordinator does not dispatch
        await assignments.assign(services, this_site, sandy.shift, [ana.volunteer.id])
    with pytest.raises(Conflict, match="has not begun"):  # two days early
        await assignments.check_in(services, this_site, sandy.site, ana.assignment_id)
    clock.advance(sandy.shift.starts_at - clock.now() - 3600)  # an hour before it starts
    assert await assignments.check_in(services, this_site, sandy.site, ana.assignment_id)
    assert not await assignments.check_in(services, this_site, sandy.site, ana.assignment_id)
    with pytest.raises(Conflict):  # checked in: the link cannot decline any more
        await assignments.answer(services, hub, ana.token, "decline")
    log = [(e.action, e.volunteer_id) for e in await roles_store.entries(services.db, hub.id)]
    assert log[0] == ("check_in", ana.volunteer.id)


# Through the web


async def account(services: Services, name: str) -> Account:
    await create_account(services.db, name, PASSWORD, is_admin=False)
    actor = await actors.get_actor(services.db, "person", name)
    assert actor is not None
    return Account(actor, is_admin=False)


async def test_a_dispatcher_of_one_effort_cannot_reach_anothers(
    app_client: TestClient, services: Services, clock: FixedClock
) -> None:
    sandy, katrina = await effort(services), await effort(services, "katrina")
    dina = await account(services, "dina")
    async with services.db.transaction() as tx:
        await roles_store.grant(tx, sandy.hub.id, dina.actor.id, "dispatcher", None, None, 0.0)
    ours = await volunteer(services, sandy.hub, "Ana", skills=("first_aid",))
    theirs = await volunteer(services, katrina.hub, "Zoe", skills=("first_aid",))
    assert await sign_in(app_client, "dina", PASSWORD) == 303
    board_url = f"/hubs/sandy/volunteers/board/{sandy.shift.post_id}"
    page = await app_client.get(board_url, headers=HTML)
    text = await page.text()
    assert page.status == 200 and "Ana" in text and "Zoe" not in text
    assert page.headers["Cache-Control"] == "no-store"
    csrf = await form_token(app_client, board_url)
    # Their shift under their hub: 403; their shift under ours: 404; their volunteer: 404.
    resp = await app_client.post(
        f"/hubs/katrina/volunteers/board/{katrina.shift.post_id}/assign",
        data={"csrf": csrf, "volunteer": str(theirs)},
        headers=HTML,
    )
    assert resp.status == 403
    resp = await app_client.post(
        f"/hubs/sandy/volunteers/board/{katrina.shift.post_id}/assign",
        data={"csrf": csrf, "volunteer": str(ours)},
        headers=HTML,
    )
    assert resp.status == 404
    resp = await app_client.post(
        board_url + "/assign",
        headers=HTML,
        data={"csrf": csrf, "volunteer": [str(ours), str(theirs)]},
    )
    assert resp.status == 404 and "Zoe" not in await resp.text()
    resp = await app_client.post(
        board_url + "/assign",
        headers=HTML,
        data={"csrf": csrf, "volunteer": "1; DROP TABLE volunteers"},
    )
    assert resp.status == 400
    resp = await app_client.post(board_url + "/assign", headers=HTML, data={"csrf": csrf})
    assert resp.status == 400 and "pick at least one volunteer" in await resp.text()
    forged = {"csrf": "forged", "volunteer": str(ours)}
    assert (await app_client.post(board_url + "/assign", headers=HTML, data=forged)).status == 403
    for hub in (sandy, katrina):
        for shift_id in (sandy.shift.post_id, katrina.shift.post_id):
            assert await assignments_store.assigned(services.db, hub.hub.id, shift_id) == []
    assert (await app_client.get("/hubs/katrina/volunteers/board", headers=HTML)).status == 403
    # Assigning for real: 303 back to the board, which shows them asked.
    resp = await app_client.post(board_url + "/assign", data={"csrf": csrf, "volunteer": str(ours)},
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and resp.headers["Location"].endswith("?done=assigned")
    (asked,) = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    assert (asked.volunteer_id, asked.state) == (ours, "invited")
    actions = [e.action for e in await roles_store.entries(services.db, sandy.hub.id)]
    assert actions.count("board") >= 2 and "assign" in actions


async def test_the_answer_page_get_changes_nothing_and_post_answers(
    app_client: TestClient, services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    (ana,) = await assignments.assign(services, sandy.lead, sandy.shift,
                                      [await volunteer(services, sandy.hub, "Ana")])  # fmt: skip
    url = f"/hubs/sandy/volunteer/answer/{ana.token}"
    page = await app_client.get(url + "?choice=confirm", headers=HTML)
    text = await page.text()
    assert page.status == 200 and "196 Van Brunt St" in text and "Boots and gloves" in text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in text
    assert "Ana" not in text  # the page names the shift and the site, not the person
    (row,) = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    assert row.state == "invited"
    resp = await app_client.post(url, data={"choice": "confirm"}, headers=HTML)
    assert resp.status == 200 and "you are confirmed" in await resp.text()
    resp = await app_client.post(url, data={"choice": "confirm"}, headers=HTML)
    assert resp.status == 200 and "already confirmed" in await resp.text()
    resp = await app_client.post(url, data={"choice": "maybe"}, headers=HTML)
    assert resp.status == 400
    for wrong in (f"/hubs/sandy/volunteer/answer/{ana.token[:-1]}x", "/hubs/sandy/volunteer/answer/"
                  + "a" * 101, f"/hubs/katrina/volunteer/answer/{ana.token}"):  # fmt: skip
        assert (await app_client.get(wrong, headers=HTML)).status == 404
        assert (await app_client.post(wrong, data={"choice": "decline"})).status == 404
    (row,) = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    assert row.state == "confirmed"
    await assignments.cancel(services, sandy.lead, ana.assignment_id)
    resp = await app_client.post(url, data={"choice": "confirm"}, headers=HTML)
    assert resp.status == 409 and "withdrawn" in await resp.text()
    # A cancelled shift's link says so, and answers nothing.
    bo = await volunteer(services, sandy.hub, "Bo")
    (asked_bo,) = await assignments.assign(services, sandy.lead, sandy.shift, [bo])
    async with services.db.transaction() as tx:
        await sites_store.set_shift_state(tx, sandy.shift.post_id, "cancelled", clock.now())
    url = f"/hubs/sandy/volunteer/answer/{asked_bo.token}"
    page = await app_client.get(url, headers=HTML)
    assert page.status == 200 and "This shift was cancelled" in await page.text()
    assert "I can come" not in await page.text()
    resp = await app_client.post(url, data={"choice": "confirm"}, headers=HTML)
    assert resp.status == 409 and "this shift was cancelled" in await resp.text()


async def test_the_site_list_and_check_in_through_the_web(
    app_client: TestClient, services: Services, clock: FixedClock
) -> None:
    sandy = await effort(services)
    sam = await account(services, "sam")
    async with services.db.transaction() as tx:
        await roles_store.grant(tx, sandy.hub.id, sam.actor.id, "site", sandy.site, None, 0.0)
    (ana,) = await assignments.assign(services, sandy.lead, sandy.shift,
                                      [await volunteer(services, sandy.hub, "Ana")])  # fmt: skip
    assert await sign_in(app_client, "sam", PASSWORD) == 303
    clock.advance(sandy.shift.starts_at - clock.now())  # the shift begins: people arrive
    url = f"/hubs/sandy/volunteers/sites/{sandy.site}/coming"
    page = await app_client.get(url, headers=HTML)
    assert page.status == 200 and "Ana" in await page.text() and "tel:555" in await page.text()
    other = f"/hubs/sandy/volunteers/sites/{sandy.other_site}/coming"
    assert (await app_client.get(other, headers=HTML)).status == 403
    assert (await app_client.get("/hubs/sandy/volunteers/board", headers=HTML)).status == 403
    csrf = await form_token(app_client, url)
    resp = await app_client.post(
        other + "/check_in", headers=HTML, data={"csrf": csrf, "assignment": str(ana.assignment_id)}
    )
    assert resp.status == 403
    resp = await app_client.post(
        url + "/check_in", headers=HTML, data={"csrf": csrf, "assignment": "x"}
    )
    assert resp.status == 400
    resp = await app_client.post(
        url + "/check_in",
        allow_redirects=False,
        data={"csrf": csrf, "assignment": str(ana.assignment_id)},
    )
    assert resp.status == 303
    (row,) = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    assert row.state == "checked_in" and row.checked_in_at == clock.now()
    actions = [e.action for e in await roles_store.entries(services.db, sandy.hub.id)]
    assert "site" in actions and "check_in" in actions


# The direct message


async def test_the_assignment_goes_as_a_direct_note_to_that_actor_only(
    app_client: TestClient, services: Services, clock: FixedClock, remote: RemoteServer
) -> None:
    sandy = await effort(services)
    alice = remote.add_actor("alice")
    remote.add_actor("bob")
    host = f"127.0.0.1:{remote.ports[0]}"
    ana = await volunteer(services, sandy.hub, "Ana Secret", handle=f"@alice@{host}")
    ben = await volunteer(services, sandy.hub, "Ben Hidden", handle=f"@nobody@{host}")
    cy = await volunteer(services, sandy.hub, "Cy Private")
    asked = await assignments.assign(services, sandy.lead, sandy.shift, [ana, ben, cy])
    assert [(a.messaged, a.unreached) for a in asked] == [(True, False), (False, True),
                                                         (False, False)]  # fmt: skip
    while await app_client.app[delivery_worker_key].run_once():
        pass
    notes = [r.activity for r in remote.received]
    assert len(notes) == 1 and remote.received[0].path == "/users/alice/inbox"
    (create,) = notes
    note = create["object"]
    assert create["type"] == "Create" and note["type"] == "Note"
    assert note["to"] == [alice.id] and create["to"] == [alice.id]
    assert not note.get("cc") and not create.get("cc")
    content = note["content"]
    link = f"{services.config.base_url}/hubs/sandy/volunteer/answer/{asked[0].token}"
    assert f"{link}?choice=confirm" in content and f"{link}?choice=decline" in content
    assert "196 Van Brunt St" in content and "Red Hook" in content
    for secret in ("Ana Secret", "Ben Hidden", "Cy Private", asked[1].token, asked[2].token,
                   "example.org"):  # fmt: skip
        assert secret not in str(create)
    # The board says whom it could not reach.
    page = await assignments_store.assigned(services.db, sandy.hub.id, sandy.shift.post_id)
    assert {a.name: a.handle_unreached for a in page} == {
        "Ana Secret": False, "Ben Hidden": True, "Cy Private": False}  # fmt: skip
    assert re.search(r"Mucking out", content)
