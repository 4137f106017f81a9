"""The volunteers' tables (migration 0033) on both databases: one row per contact and effort,
reads that never cross efforts, places counted without names, roles and the audit log."""

from __future__ import annotations

import pytest

from fedihub.accounts.service import create_account
from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import Forbidden
from fedihub.hubs.service import create_hub
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.volunteers import access, roles_store, sites_store, store
from fedihub.volunteers.model import Shift, SignUp, skill_bits, slot

NOW = 1_800_000_000.0


def sign_up(name: str, email: str | None, phone_key: str | None = None) -> SignUp:
    return SignUp(
        name=name, email=email, phone=phone_key, phone_key=phone_key, handle=None,
        languages=("es", "en"), skills=skill_bits(["driving", "first_aid"]), other_skills="",
        availability=slot(5, 0), area="Red Hook", transport="car", notes="", consent_months=3,
    )  # fmt: skip


async def hub_named(services: Services, slug: str) -> LocalActor:
    await create_hub(services.db, slug, name=slug.title(), timezone="UTC")
    found = await actors.get_actor(services.db, "group", slug)
    assert found is not None
    return found


async def test_one_row_per_contact_and_effort(services: Services) -> None:
    sandy, katrina = await hub_named(services, "sandy"), await hub_named(services, "katrina")
    async with services.db.transaction() as tx:
        first = await store.insert_volunteer(tx, sandy.id, sign_up("Ana", "ana@example.org"),
                                             "h1", NOW)  # fmt: skip
        assert await store.same_contact(tx, sandy.id, sign_up("A.", "ana@example.org")) == first
        by_phone = sign_up("Ana", None, "+15550100")
        assert await store.same_contact(tx, sandy.id, by_phone) is None
        await store.update_volunteer(tx, first, sign_up("Ana B", "ana@example.org", "+15550100"),
                                     NOW + 10)  # fmt: skip
        assert await store.same_contact(tx, sandy.id, by_phone) == first
        # The same person in another effort is another row, out of this effort's reach.
        assert await store.same_contact(tx, katrina.id, by_phone) is None
        other = await store.insert_volunteer(tx, katrina.id, by_phone, "h2", NOW)
    ana = await store.volunteer(services.db, sandy.id, first)
    assert ana is not None and ana.name == "Ana B" and ana.languages == ("en", "es")
    assert ana.consent_until == NOW + 10 + 3 * 30 * 86_400
    assert await store.volunteer(services.db, sandy.id, other) is None
    assert await store.volunteer_by_token(services.db, "h2") is not None
    assert (await store.count(services.db, sandy.id), await store.count(services.db, katrina.id)) \
        == (1, 1)  # fmt: skip


async def test_places_count_only_who_is_coming(services: Services) -> None:
    sandy = await hub_named(services, "sandy")
    post = await posts.publish(services, sandy, None, "update", "A shift, for now an update.\n")
    async with services.db.transaction() as tx:
        site = await sites_store.add_site(tx, sandy.id, "Red Hook", "Red Hook",
                                          "196 Van Brunt St", "Mops", NOW)  # fmt: skip
        shift = Shift(post.id, sandy.id, site, NOW + 3600, NOW + 7200, 3, 0, ("en",), 0, "open")
        await sites_store.save_shift(tx, shift, NOW)
        ids = [await store.insert_volunteer(tx, sandy.id, sign_up(f"V{n}", f"v{n}@example.org"),
                                            f"t{n}", NOW) for n in range(4)]  # fmt: skip
        for n, state in enumerate(("invited", "confirmed", "checked_in", "declined")):
            await tx.execute(
                "INSERT INTO volunteer_assignments (shift_id, volunteer_id, state, token_hash,"
                " assigned_at) VALUES (?, ?, ?, ?, ?)", (post.id, ids[n], state, f"a{n}", NOW),
            )  # fmt: skip
    coming = await sites_store.coming_shifts(services.db, sandy.id, NOW)
    assert [s.post_id for s in coming] == [post.id]
    places = (await sites_store.places(services.db, coming))[post.id]
    assert (places.needed, places.invited, places.confirmed, places.open) == (3, 1, 2, 1)
    assert await sites_store.coming_shifts(services.db, sandy.id, NOW + 7200) == []
    assert await sites_store.site(services.db, sandy.id + 1, site) is None


async def test_roles_are_per_effort_and_audited(services: Services) -> None:
    sandy, katrina = await hub_named(services, "sandy"), await hub_named(services, "katrina")
    await create_account(services.db, "dina", "a long passphrase 1", is_admin=False)
    dina_actor = await actors.get_actor(services.db, "person", "dina")
    assert dina_actor is not None
    dina = Account(dina_actor, is_admin=False)
    assert await access.access_of(services.db, sandy, dina) is None
    async with services.db.transaction() as tx:
        site = await sites_store.add_site(tx, sandy.id, "Red Hook", "", "", "", NOW)
        assert await roles_store.grant(tx, sandy.id, dina_actor.id, "site", site, None, NOW)
        assert not await roles_store.grant(tx, sandy.id, dina_actor.id, "site", site, None, NOW)
    mine = await access.require_access(services.db, sandy, dina, "site", site)
    assert mine.site_ids == {site} and not mine.dispatches
    with pytest.raises(Forbidden):
        await access.require_access(services.db, sandy, dina, "dispatch")
    with pytest.raises(Forbidden):
        await access.require_access(services.db, katrina, dina, "site")
    async with services.db.transaction() as tx:
        await roles_store.grant(tx, sandy.id, dina_actor.id, "dispatcher", None, None, NOW)
    assert (await access.require_access(services.db, sandy, dina, "dispatch")).dispatches
    await roles_store.record(services.db, sandy.id, dina_actor.id, "view", NOW, 7, "from the board")
    await roles_store.record(services.db, sandy.id, None, "export", NOW + 1, None, "12 rows")
    log = await roles_store.entries(services.db, sandy.id)
    assert [(e.username, e.action, e.volunteer_id) for e in log] == [
        (None, "export", None),
        ("dina", "view", 7),
    ]
    assert await roles_store.entries(services.db, katrina.id) == []
    grants = await roles_store.grants(services.db, sandy.id)
    assert sorted(g.role for g in grants) == ["dispatcher", "site"]
    async with services.db.transaction() as tx:
        assert await roles_store.revoke(tx, katrina.id, grants[0].id) is None
        assert await roles_store.revoke(tx, sandy.id, grants[0].id) is not None
    assert len(await roles_store.grants(services.db, sandy.id)) == 1
