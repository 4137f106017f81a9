"""Hubs as groups across three real fedihub instances: a member on B posts into a hub on A by
mentioning it and a follower on C receives the re-share in both forms; a non-member's post waits
for A's moderators; a coalition hub on C follows hubs on A and B and re-shares by hashtag; two
hubs that follow each other and re-share everything do not loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait, settle
from tests.support.network import eventually

pytestmark = pytest.mark.federation


async def accounts(instance: FedihubInstance, password_file: Path, *names: str) -> None:
    for name in names:
        await instance.acli("account", "create", "--data", instance.data, name,
                            "--password-file", password_file)  # fmt: skip


async def hub(instance: FedihubInstance, slug: str, *settings: str) -> str:
    await instance.acli("hub", "create", "--data", instance.data, slug, "--name", slug.title())
    if settings:
        await instance.acli("hub", "set", "--data", instance.data, slug, *settings)
    return f"{instance.base_url}/hubs/{slug}"


async def post(
    instance: FedihubInstance, actor: str, text: str, tmp_path: Path, by: str | None = None
) -> str:
    """`actor` posts: an account as itself, or a hub, written by its admin `by`."""
    path = tmp_path / f"{instance.name}-{actor}.md"
    path.write_text(text)
    out = await instance.acli("post", "--data", instance.data, actor, "--as", by or actor, path)
    return out.stdout.strip()


def announces(instance: FedihubInstance, actor: str) -> list[dict]:
    rows = instance.query("SELECT document FROM inbox_items WHERE type = 'Announce'"
                          " AND actor_uri = ? ORDER BY id", (actor,))  # fmt: skip
    return [json.loads(document) for (document,) in rows]


def sent_announces(instance: FedihubInstance) -> list[dict]:
    rows = instance.query("SELECT document FROM outbox_activities WHERE type = 'Announce'")
    return [json.loads(document) for (document,) in rows]


async def test_posting_into_a_hub_from_another_instance(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    climate = await hub(a, "climate")
    await accounts(b, password_file, "alice", "bob")
    await accounts(c, password_file, "carol")
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(b, "alice", f"@climate@{a.domain}")  # an open hub: following is joining
    await follow_and_wait(c, "carol", f"@climate@{a.domain}")

    note = await post(b, "alice", f"Buses leave at noon, @climate@{a.domain} #climate", tmp_path)

    async def both_forms_on_c() -> bool:
        return len(announces(c, climate)) == 2

    await eventually(both_forms_on_c, what="C to receive the hub's re-share in both forms")
    activity_form, boost_form = sorted(announces(c, climate), key=lambda d: isinstance(
        d["object"], str))  # fmt: skip
    assert activity_form["object"]["type"] == "Create"
    assert activity_form["object"]["object"]["id"] == note
    assert activity_form["object"]["object"]["audience"] == climate
    assert boost_form["object"] == note  # the boost Mastodon shows
    mention = [t for t in activity_form["object"]["object"]["tag"] if t["type"] == "Mention"]
    assert mention == [{"type": "Mention", "href": climate, "name": f"@climate@{a.domain}"}]
    page = await a.http_get("/hubs/climate")
    assert "Buses leave at noon" in page  # the hub's dashboard shows what members post

    # bob is no member: his post waits for a moderator and is not re-shared.
    held = await post(b, "bob", f"Buy my bikes @climate@{a.domain}", tmp_path)

    async def queued() -> bool:
        return bool(a.query("SELECT 1 FROM moderation_queue WHERE object_uri = ?", (held,)))

    await eventually(queued, what="A to hold bob's post for its moderators")
    listed = (await a.acli("hub", "queue", "--data", a.data, "list", "climate")).stdout
    assert held in listed and "not a member" in listed
    assert all(d["object"] != held for d in sent_announces(a))
    assert len(sent_announces(a)) == 2


async def test_a_coalition_reshares_by_hashtag_and_hubs_do_not_loop(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    for instance in (a, b):
        await instance.acli("account", "create", "--data", instance.data, "org", "--admin",
                            "--password-file", password_file)  # fmt: skip
    await hub(a, "climate")
    labor = await hub(b, "labor")
    coalition = await hub(c, "coalition", "--reshare", "tags", "--tags", "#climate")
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(c, "coalition", f"@climate@{a.domain}")
    await follow_and_wait(c, "coalition", f"@labor@{b.domain}")

    about_climate = await post(a, "climate", "March on Saturday #climate", tmp_path, "org")
    about_labor = await post(b, "labor", "Shop stewards meet Monday #labor", tmp_path, "org")

    async def both_arrived() -> bool:
        rows = c.query("SELECT uri FROM received_objects WHERE uri IN (?, ?)",
                       (about_climate, about_labor))  # fmt: skip
        return len(rows) == 2

    await eventually(both_arrived, what="C to receive both hubs' posts")
    await settle(c)  # stored first, re-shared (or not) a moment later
    shared = {d["object"] if isinstance(d["object"], str) else d["object"]["object"]["id"]
              for d in sent_announces(c)}  # fmt: skip
    assert shared == {about_climate}  # by hashtag: #climate passed on, #labor not
    assert all(d["actor"] == coalition for d in sent_announces(c))

    # climate and labor follow each other and re-share everything: each passes the other's
    # post on once, and neither passes its own post back.
    await a.acli("hub", "set", "--data", a.data, "climate", "--reshare", "all")
    await b.acli("hub", "set", "--data", b.data, "labor", "--reshare", "all")
    await follow_and_wait(a, "climate", f"@labor@{b.domain}")
    await follow_and_wait(b, "labor", f"@climate@{a.domain}")
    ping = await post(a, "climate", "Solidarity forever", tmp_path, "org")

    async def labor_passed_it_on() -> bool:
        return any(d["object"] == ping for d in sent_announces(b))

    await eventually(labor_passed_it_on, what="labor to re-share climate's post")

    await settle(a, b)
    assert [d["object"] for d in sent_announces(a)] == []  # climate never re-shares its own
    forms = sorted(("boost", d["object"]) if isinstance(d["object"], str)
                   else (d["object"]["type"], d["object"]["object"]["id"])
                   for d in sent_announces(b))  # fmt: skip
    assert forms == [("Create", ping), ("boost", ping)]  # labor passed it on once, both forms
    assert len(announces(a, labor)) == 2  # labor's two forms reached climate, which stopped
