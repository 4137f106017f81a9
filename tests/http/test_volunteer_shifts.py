"""Sites and shifts of a hub's relief effort, through real HTTP on both databases: shifts
published as the CLI writes them and through the compose form; every impossible shift refused
with nothing stored; sites that never cross hubs; the public page's counts; the Event followers
receive (capacity counts, the sign-up page, never a name, a contact or the site's address) and
its one Update when places change; a Join from the fediverse refused, creating nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key, scheduler_key
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.volunteers import roles_store, shifts, sites_store, store
from fedihub.volunteers.model import SignUp, Site, skill_bits, slot
from tests.support.remote import RemoteServer
from tests.support.web import AP, HTML, form_token, sign_in

NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0
ADDRESS = "196 Van Brunt St, back door"
VOLUNTEER = ("Ana Volunteer", "ana.volunteer")  # her name, and her address's first part


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    """Sandy, with ana organising it and its site Red Hook Shelter."""
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "sandy", name="Sandy Relief", organizer=ana,
                     timezone="America/New_York")  # fmt: skip
    found = await actors.get_actor(services.db, "group", "sandy")
    assert found is not None
    await add_site(services, found, "Red Hook Shelter", "Red Hook", ADDRESS, "Mops, gloves")
    return found


async def add_site(svc: Services, hub: LocalActor, name: str, area: str = "",
                   address: str = "", needs: str = "") -> int:  # fmt: skip
    async with svc.db.transaction() as tx:
        site = sites_store.checked_site(hub.id, 0, name, area, address, needs)
        return await sites_store.save_site(tx, site, svc.clock.now())


def local(hours_from_now: float) -> str:
    moment = dt.datetime.fromtimestamp(time.time() + hours_from_now * HOUR, NEW_YORK)
    return moment.strftime("%Y-%m-%d %H:%M")


def shift_text(starts_in_h: float = 24, hours: float = 6, needed: Any = 3,
               site: str = "Red Hook Shelter", extra: str = "") -> str:  # fmt: skip
    return (f"---\nsite: {site}\nstart: {local(starts_in_h)}\nend: {local(starts_in_h + hours)}\n"
            f"needed: {needed}\nskills: [cleanup, heavy_lifting]\nlanguages: es, en\n{extra}---\n"
            "Mucking out the basement.\n")  # fmt: skip


async def publish_shift(svc: Services, hub: LocalActor, **kwargs: Any) -> Post:
    return await posts.publish(svc, hub, None, "shift", shift_text(**kwargs))


async def assign(svc: Services, hub: LocalActor, post: Post, states: list[str]) -> None:
    """Assignments as dispatch will write them (H-dispatch's helper), and the deferred Update."""
    async with svc.db.transaction() as tx:
        for n, state in enumerate(states):
            name, email = (VOLUNTEER[0], f"{VOLUNTEER[1]}.{post.id}@example.org") if n == 0 \
                else (f"Vol {n}", f"vol{n}.{post.id}@example.org")  # fmt: skip
            phone = f"+1 555 0100 {post.id}" if n == 0 else None
            volunteer = await store.insert_volunteer(tx, hub.id, SignUp(
                name=name, email=email, phone=phone,
                phone_key=phone.replace(" ", "") if phone else None, handle=None, languages=("es",),
                skills=skill_bits(["cleanup"]), other_skills="", availability=slot(5, 0),
                area="Red Hook", transport="none", notes="", consent_months=3,
            ), f"token-{post.id}-{n}", svc.clock.now())  # fmt: skip
            await tx.execute(
                "INSERT INTO volunteer_assignments (shift_id, volunteer_id, state, token_hash,"
                " assigned_at) VALUES (?, ?, ?, ?, ?)",
                (post.id, volunteer, state, f"a-{post.id}-{n}", svc.clock.now()),
            )
        await shifts.places_changed(tx, svc, post.id)


async def event_json(client: TestClient, post: Post) -> dict[str, Any]:
    resp = await client.get(f"/hubs/sandy/posts/{post.id}", headers=AP)
    assert resp.status == 200
    return json.loads(await resp.text())


def leaks(text: str) -> list[str]:
    """Whatever of a volunteer or a site's address shows in `text`."""
    private = [*VOLUNTEER, "vol1.", "555 0100", "+15550100", "Van Brunt"]
    return [p for p in private if p.lower() in text.lower()]


async def count(svc: Services, table: str) -> int:
    return int(await svc.db.fetchval(f"SELECT count(*) FROM {table}"))


async def test_a_shift_written_as_a_file_keeps_its_row_and_federates_as_an_event(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post = await publish_shift(services, hub)
    stored = await sites_store.shift(services.db, hub.id, post.id)
    site = await sites_store.site_called(services.db, hub.id, "red hook shelter")
    assert stored is not None and site is not None and site.address == ADDRESS
    assert (stored.site_id, stored.needed, stored.state) == (site.id, 3, "open")
    assert stored.skills == skill_bits(["cleanup", "heavy_lifting"])
    assert stored.languages == ("en", "es") and stored.slots != 0
    assert post.title == "Red Hook Shelter"  # named after its site when the text names none
    event = await event_json(app_client, post)
    assert event["type"] == "Event" and event["name"] == "Red Hook Shelter"
    assert event["location"] == {"type": "Place", "name": "Red Hook Shelter",
                                 "address": {"type": "PostalAddress",
                                             "addressLocality": "Red Hook"}}  # fmt: skip
    signup = f"{services.config.base_url}/hubs/sandy/volunteer"
    assert (event["joinMode"], event["externalParticipationUrl"]) == ("external", signup)
    assert (event["maximumAttendeeCapacity"], event["remainingAttendeeCapacity"],
            event["participantCount"]) == (3, 3, 0)  # fmt: skip
    assert event["timezone"] == "America/New_York" and event["startTime"].endswith(":00")
    assert "3 of 3 places open" in event["content"] and "/hubs/sandy/volunteer" in event["content"]
    assert "Clean-up and mucking out" in event["content"] and "Mucking out" in event["content"]
    assert leaks(json.dumps(event)) == []
    # An edit moves the row with it; deleting the post cancels the shift, row kept.
    edited = await posts.edit(services, hub, post.id, shift_text(needed=5, starts_in_h=30))
    again = await sites_store.shift(services.db, hub.id, post.id)
    assert again is not None and again.needed == 5 and again.starts_at == edited.starts_at
    assert (await event_json(app_client, edited))["maximumAttendeeCapacity"] == 5
    await posts.delete(services, hub, post.id)
    gone = await sites_store.shift(services.db, hub.id, post.id)
    assert gone is not None and gone.state == "cancelled"
    assert await sites_store.coming_shifts(services.db, hub.id, time.time()) == []


IMPOSSIBLE = [
    ({"hours": -1}, "ends before it starts"),
    ({"hours": 0}, "ends before it starts"),
    ({"hours": 25}, "at most 24 hours"),
    ({"needed": 0}, "from 1 to 1000"),
    ({"needed": 1001}, "from 1 to 1000"),
    ({"needed": "many"}, "from 1 to 1000"),
    ({"needed": ""}, "how many people"),
    ({"site": "Atlantis"}, "not one of this hub's sites (Gowanus Pantry, Red Hook Shelter)"),
    ({"site": ""}, "which of the hub's sites"),
    ({"site": "x" * 101}, "at most 100 characters"),
    ({"extra": "skills: [juggling]\n"}, "'juggling' is not one of first_aid"),
    ({"extra": "languages: 'en, <b>'\n"}, "a language tag"),
    ({"extra": "capacity: 3\n"}, "capacity: not a field of a shift"),
    ({"starts_in_h": -8, "hours": 4}, "would already be over"),
]


@pytest.mark.parametrize(("change", "reason"), IMPOSSIBLE)
async def test_an_impossible_shift_is_refused_and_nothing_is_stored(
    app_client: TestClient, services: Services, hub: LocalActor, change: dict[str, Any],
    reason: str,
) -> None:  # fmt: skip
    await add_site(services, hub, "Gowanus Pantry")
    text = shift_text(**change)
    if "extra" in change:  # the sample's own skills and languages give way to the bad ones
        text = text.replace("skills: [cleanup, heavy_lifting]\n", "", "skills" in change["extra"])
        text = text.replace("languages: es, en\n", "", "languages" in change["extra"])
    with pytest.raises(BadRequest) as refused:
        await posts.publish(services, hub, None, "shift", text)
    assert reason in refused.value.message
    assert (await count(services, "posts"), await count(services, "volunteer_shifts"),
            await count(services, "outbox_activities")) == (0, 0, 0)  # fmt: skip


async def test_a_shift_may_be_edited_after_it_is_over_but_not_moved_into_the_past(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    post = await publish_shift(services, hub, starts_in_h=1, hours=2)
    with pytest.raises(BadRequest, match="would already be over"):
        await posts.edit(services, hub, post.id, shift_text(starts_in_h=-5, hours=2))
    later = time.time() + 4 * HOUR  # the shift is over; its words may still be corrected
    text = (await posts.require_post(services, hub, post.id)).source_markdown
    await posts.edit(services, hub, post.id, text.replace("basement", "cellar"), now=later)
    stored = await sites_store.shift(services.db, hub.id, post.id)
    assert stored is not None and stored.starts_at == post.starts_at
    with pytest.raises(BadRequest, match="not one of this hub's sites"):
        await posts.edit(services, hub, post.id, shift_text(site="Atlantis"))


async def test_a_shift_cannot_name_another_hubs_site(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await create_hub(services.db, "katrina", name="Katrina", timezone="America/Chicago")
    katrina = await actors.get_actor(services.db, "group", "katrina")
    assert katrina is not None
    with pytest.raises(BadRequest, match="has no sites yet"):
        await publish_shift(services, katrina)  # Red Hook Shelter is Sandy's
    await add_site(services, katrina, "Lower Ninth Ward")
    with pytest.raises(BadRequest, match=r"\(Lower Ninth Ward\)"):
        await publish_shift(services, katrina)
    assert await count(services, "volunteer_shifts") == 0


async def compose(client: TestClient, token: str, **fields: Any) -> tuple[int, str, str]:
    data = FormData()
    data.add_field("csrf", token)
    for name, value in {"kind": "shift", "mode": "form", **fields}.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name.replace("__", "."), one)
    resp = await client.post("/hubs/sandy/compose", data=data, headers=HTML,
                             allow_redirects=False)  # fmt: skip
    return resp.status, resp.headers.get("Location", ""), await resp.text()


def form_time(hours_from_now: float) -> str:
    return local(hours_from_now).replace(" ", "T")


async def test_the_compose_form_offers_the_sites_and_skills_and_publishes_a_shift(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/sandy/compose?kind=shift", headers=HTML)).text()
    assert '<datalist id="f-site-list"><option value="Red Hook Shelter"></datalist>' in page
    assert 'type="checkbox" name="f.skills" value="first_aid"' in page
    token = await form_token(app_client, "/hubs/sandy/compose?kind=shift")
    fields = {"title": "Basement crew", "body": "Bring boots.", "f__start": form_time(48),
              "f__end": form_time(53), "f__timezone": "America/New_York", "f__needed": "4",
              "f__skills": ["heavy_lifting", "first_aid"], "f__languages": "es"}  # fmt: skip
    # A site typed wrong: the page comes back with everything typed, and the sites there are.
    status, _, again = await compose(app_client, token, f__site="Red Hok", **fields)
    assert status == 400 and "Red Hook Shelter" in again and "Basement crew" in again
    assert 'value="heavy_lifting" checked' in again and 'value="4"' in again
    assert await count(services, "posts") == 0
    status, location, _ = await compose(app_client, token, f__site="red hook shelter", **fields)
    assert status == 303 and location.startswith("/hubs/sandy/posts/")
    post_id = int(location.rsplit("/", 1)[1])
    stored = await sites_store.shift(services.db, hub.id, post_id)
    assert stored is not None and stored.needed == 4
    assert stored.skills == skill_bits(["heavy_lifting", "first_aid"])
    row = await services.db.fetchone("SELECT fields FROM posts WHERE id = ?", (post_id,))
    assert json.loads(row["fields"])["site"] == "Red Hook Shelter"  # as the hub names it
    shown = await (await app_client.get(location, headers=HTML)).text()
    assert "4 of 4 places open" in shown and 'href="/hubs/sandy/volunteer"' not in shown
    assert f'href="{services.config.base_url}/hubs/sandy/volunteer"' in shown
    assert "Sign up to help" in shown and leaks(shown) == []


async def test_the_public_shifts_page_shows_counts_by_day_and_site_and_no_one(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await add_site(services, hub, "Gowanus Pantry", "Gowanus", "Secret 12", "Tins")
    first = await publish_shift(services, hub, starts_in_h=24)
    full = await publish_shift(services, hub, starts_in_h=26, needed=1)
    pantry = await publish_shift(services, hub, starts_in_h=27, site="Gowanus Pantry", needed=2)
    over = await publish_shift(services, hub, starts_in_h=1, hours=1)
    await assign(services, hub, first, ["confirmed", "invited", "declined"])
    await assign(services, hub, full, ["checked_in"])
    page = await (await app_client.get("/hubs/sandy/shifts", headers=HTML)).text()
    assert "2 of 3 places open" in page and "2 of 2 places open" in page
    assert f"/hubs/sandy/posts/{full.id}" not in page  # no place open
    assert f"/hubs/sandy/posts/{first.id}" in page and f"/hubs/sandy/posts/{pantry.id}" in page
    assert "Red Hook Shelter" in page and "Gowanus Pantry" in page and "Gowanus" in page
    assert "Clean-up and mucking out" in page and 'href="/hubs/sandy/volunteer"' in page
    assert leaks(page) == [] and "Secret 12" not in page
    assert page.count("<h2 ") >= 1 and f"/hubs/sandy/posts/{over.id}" in page  # not over yet
    in_spanish = {**HTML, "Accept-Language": "es"}
    spanish = await (await app_client.get("/hubs/sandy/shifts", headers=in_spanish)).text()
    assert "2 de 3 plazas libres" in spanish and "Apúntate para ayudar" in spanish
    assert (await app_client.get("/hubs/nobody/shifts", headers=HTML)).status == 404


async def post_site(client: TestClient, path: str, **values: str) -> tuple[int, str, str]:
    token = await form_token(client, "/hubs/sandy/volunteers/sites")
    resp = await client.post(path, data={"csrf": token, **values}, headers=HTML,
                             allow_redirects=False)  # fmt: skip
    return resp.status, resp.headers.get("Location", ""), await resp.text()


async def test_coordinators_add_and_change_sites_and_nobody_crosses_hubs(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    assert await sign_in(app_client, "ana") == 303
    sites_path = "/hubs/sandy/volunteers/sites"
    listing = await app_client.get(sites_path, headers=HTML)
    assert listing.status == 200 and listing.headers["Cache-Control"] == "private, no-store"
    new = {"name": "  Coffey   Park ", "area": "Red Hook", "address": "Verona St", "needs": "Tarps"}
    status, location, _ = await post_site(app_client, sites_path, **new)
    assert status == 303 and location.endswith("?done=added")
    park = await sites_store.site_called(services.db, hub.id, "Coffey Park")
    assert park is not None and park.address == "Verona St"
    shown = await (await app_client.get(location, headers=HTML)).text()
    assert "Verona St" in shown and "The site was added." in shown
    # Duplicates (however written), empty and oversized fields: refused, what was typed kept.
    for values, reason in (
        ({**new, "name": "coffey park", "needs": "Kept"}, "already has a site called coffey park"),
        ({**new, "name": "   "}, "a site needs a name"),
        ({**new, "address": "x" * 501}, "at most 500 characters"),
        ({**new, "needs": "y" * 2001}, "at most 2000 characters"),
    ):
        status, _, page = await post_site(app_client, sites_path, **values)
        assert status == 400 and reason in page and 'value="Red Hook"' in page  # typed, kept
    assert len(await sites_store.sites(services.db, hub.id)) == 2
    status, _, _ = await post_site(app_client, f"{sites_path}/{park.id}",
                                   **{**new, "name": "Red Hook Shelter"})  # fmt: skip
    assert status == 400 and (await sites_store.site(services.db, hub.id, park.id)) == park
    status, _, _ = await post_site(app_client, f"{sites_path}/{park.id}",
                                   **{**new, "needs": "Tarps and rope"})  # fmt: skip
    changed = await sites_store.site(services.db, hub.id, park.id)
    assert status == 303 and changed is not None and changed.needs == "Tarps and rope"
    # Ana leads Sandy, not Katrina: Katrina's site by its id is out of reach, unchanged.
    await create_hub(services.db, "katrina", name="Katrina")
    katrina = await actors.get_actor(services.db, "group", "katrina")
    assert katrina is not None
    theirs = await add_site(services, katrina, "Ninth Ward", "", "Their address", "")
    before = await sites_store.site(services.db, katrina.id, theirs)
    status, _, _ = await post_site(app_client, f"{sites_path}/{theirs}", name="Taken")
    assert status == 404
    assert (await app_client.get(f"{sites_path}/{theirs}", headers=HTML)).status == 404
    status, _, _ = await post_site(app_client, f"/hubs/katrina/volunteers/sites/{theirs}",
                                   name="Taken")  # fmt: skip
    assert status == 403 and await sites_store.site(services.db, katrina.id, theirs) == before


async def test_a_site_coordinator_sees_only_their_site_and_changes_nothing(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await create_account(services.db, "dina", "correct horse", is_admin=False)
    dina = await require_account(services.db, "dina")
    shelter = await sites_store.site_called(services.db, hub.id, "Red Hook Shelter")
    assert shelter is not None
    pantry = await add_site(services, hub, "Gowanus Pantry", "", "Pantry door", "")
    assert await sign_in(app_client, "dina") == 303
    path = "/hubs/sandy/volunteers/sites"
    assert (await app_client.get(path, headers=HTML)).status == 403  # no role yet
    async with services.db.transaction() as tx:
        await roles_store.grant(tx, hub.id, dina.actor.id, "site", shelter.id, None, time.time())
    mine = await app_client.get(f"{path}/{shelter.id}", headers=HTML)
    text = await mine.text()
    assert mine.status == 200 and ADDRESS in text and 'name="address"' not in text
    assert mine.headers["Referrer-Policy"] == "no-referrer"
    listed = await (await app_client.get(path, headers=HTML)).text()
    assert "Red Hook Shelter" in listed and "Gowanus Pantry" not in listed
    assert 'action="/hubs/sandy/volunteers/sites"' not in listed  # no form to add one
    assert (await app_client.get(f"{path}/{pantry}", headers=HTML)).status == 403
    status, _, _ = await post_site(app_client, f"{path}/{shelter.id}", name="Renamed")
    assert status == 403 and await sites_store.site(services.db, hub.id, shelter.id) == shelter
    status, _, _ = await post_site(app_client, path, name="New place")
    assert status == 403 and len(await sites_store.sites(services.db, hub.id)) == 2


async def test_followers_get_the_event_with_counts_and_one_update_when_places_change(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    alice = remote.add_actor("alice", key="alice")
    await services.resolver.actor(alice.id)
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, alice.id)
    )
    post = await publish_shift(services, hub)
    while await app_client.app[delivery_worker_key].run_once():
        pass
    (create,) = [r.activity for r in remote.received if r.activity["type"] == "Create"]
    event = create["object"]
    assert event["type"] == "Event" and event["remainingAttendeeCapacity"] == 3
    await assign(services, hub, post, ["confirmed", "checked_in", "invited"])
    await assign(services, hub, post, [])  # a second change in the same quiet period
    scheduler = app_client.app[scheduler_key]
    assert (await scheduler.run_once()).updates == 0  # not due yet
    assert await count(services, "pending_updates") == 1
    # The quiet period passes (the delivery worker keeps the real clock: the row is moved).
    await services.db.execute("UPDATE pending_updates SET due_at = ?", (time.time() - 1,))
    assert (await scheduler.run_once()).updates == 1
    while await app_client.app[delivery_worker_key].run_once():
        pass
    (update,) = [r.activity for r in remote.received if r.activity["type"] == "Update"]
    counts = update["object"]
    assert (counts["maximumAttendeeCapacity"], counts["remainingAttendeeCapacity"],
            counts["participantCount"]) == (3, 1, 2)  # fmt: skip
    assert "1 of 3 places open" in counts["content"]
    assert leaks(json.dumps([r.activity for r in remote.received])) == []


async def test_a_join_of_a_shift_from_the_fediverse_is_refused_and_creates_nothing(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    sam = remote.add_actor("sam")
    post = await publish_shift(services, hub)
    join = {"id": f"{sam.id}/j/1", "type": "Join", "actor": sam.id,
            "object": f"{hub.uri(services.config.base_url)}/posts/{post.id}"}  # fmt: skip
    resp = await remote.post(f"{services.config.base_url}/inbox", join, sam)
    assert resp.status == 409
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert (await count(services, "event_participants"), await count(services, "inbox_items"),
            await count(services, "volunteer_assignments"),
            await count(services, "volunteers")) == (0, 0, 0, 0)  # fmt: skip
    assert (await event_json(app_client, post))["participantCount"] == 0


def test_sites_are_checked_before_they_are_stored() -> None:
    site = sites_store.checked_site(1, 0, " Red  Hook ", " Red Hook ", " 1 Main St \n", " Mops ")
    assert site == Site(0, 1, "Red Hook", "Red Hook", "1 Main St", "Mops")
    with pytest.raises(BadRequest, match="at most 100 characters"):
        sites_store.checked_site(1, 0, "x" * 101, "", "", "")
