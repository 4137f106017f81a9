"""The newswire across three real fedihub instances. B's account follows A's newswire, and the
two newswires follow each other: a web submission on A, a post on C mentioning @newswire@A
(held the first time until an editor approves it) and a hub's post on A sent to the newswire
each reach B; B's own item reaches A; everything settles with one item per object on each side
and no boost sent twice (no loops, no duplicates). With `newswire_review = none`, a post on C
mentioning @newswire@A reaches B as an Announce at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait, settle
from tests.support.network import eventually

pytestmark = pytest.mark.federation

# What an editor does at the newswire's pages, done on the instance's own data with the same
# capability functions (service.submit, service.approve): the editors' pages and CLI are not
# this test's subject.
EDITOR = """
import asyncio, sys
from pathlib import Path
from fedihub.accounts.service import require_account
from fedihub.kinds import registry
from fedihub.newswire import editors, service
from fedihub.newswire.fields import read_form
from fedihub.services import services_for

async def main(data, who, headline, approve):
    async with services_for(Path(data), registry()) as svc:
        item = await service.submit(svc, read_form({"headline": headline, "tags": "housing"}))
        if approve == "approve" and item.state == "queued":
            by = await editors.editor(svc, await require_account(svc.db, who))
            item = await service.approve(svc, by, item.id)
        print(item.id, item.state, item.object_uri)

asyncio.run(main(*sys.argv[1:]))
"""
APPROVE = """
import asyncio, sys
from pathlib import Path
from fedihub.accounts.service import require_account
from fedihub.kinds import registry
from fedihub.newswire import editors, service, store
from fedihub.services import services_for

async def main(data, who, object_uri):
    async with services_for(Path(data), registry()) as svc:
        item = await store.item_for_object(svc.db, object_uri)
        by = await editors.editor(svc, await require_account(svc.db, who))
        print((await service.approve(svc, by, item.id)).state)

asyncio.run(main(*sys.argv[1:]))
"""


def run_python(instance: FedihubInstance, script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=instance.workdir,
                            env=instance.environment(), capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def received(instance: FedihubInstance, actor: str, kind: str) -> list[dict]:
    rows = instance.query("SELECT document FROM inbox_items WHERE type = ? AND actor_uri = ?"
                          " ORDER BY id", (kind, actor))  # fmt: skip
    return [json.loads(document) for (document,) in rows]


def boosted(instance: FedihubInstance, newswire: str) -> list[str]:
    """What `instance` received as boosts from `newswire`."""
    return [d["object"] if isinstance(d["object"], str) else d["object"]["id"]
            for d in received(instance, newswire, "Announce")]  # fmt: skip


def items(instance: FedihubInstance) -> dict[str, tuple[str, str]]:
    rows = instance.query("SELECT object_uri, origin, state FROM newswire_items")
    return {uri: (origin, state) for uri, origin, state in rows}


def sent(instance: FedihubInstance, newswire: str) -> list[str]:
    """The objects of every Create and Announce the newswire sent."""
    rows = instance.query("SELECT o.document FROM outbox_activities o JOIN local_actors a"
                          " ON a.id = o.actor_id WHERE a.username = 'newswire'"
                          " AND o.type IN ('Create', 'Announce')")  # fmt: skip
    out = []
    for (document,) in rows:
        activity = json.loads(document)
        obj = activity["object"]
        out.append(obj if isinstance(obj, str) else obj["id"])
    return out


async def newswire_follows(instance: FedihubInstance, other: FedihubInstance) -> None:
    await instance.acli("newswire", "follow", "--data", instance.data,
                        f"newswire@{other.domain}", "--as", "root")  # fmt: skip

    async def accepted() -> bool:
        rows = instance.query(
            "SELECT f.state FROM following f JOIN local_actors a ON a.id = f.local_actor_id"
            " WHERE a.username = 'newswire'")  # fmt: skip
        return bool(rows) and all(state == "accepted" for (state,) in rows)

    await eventually(accepted, what=f"{instance.name}'s newswire to be accepted")
    listed = await instance.acli("newswire", "following", "--data", instance.data)
    assert f"{other.base_url}/newswire\taccepted" in listed.stdout


async def post(instance: FedihubInstance, actor: str, text: str, tmp_path: Path,
               *flags: str, by: str | None = None) -> str:  # fmt: skip
    path = tmp_path / f"{instance.name}-{actor}-{abs(hash(text))}.md"
    path.write_text(text)
    out = await instance.acli("post", "--data", instance.data, actor, "--as", by or actor,
                              *flags, path)  # fmt: skip
    return out.stdout.strip().splitlines()[0]


async def test_newswires_share_across_instances_without_loops(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    for instance in (a, b):
        await instance.acli("account", "create", "--data", instance.data, "root", "--admin",
                            "--password-file", password_file)  # fmt: skip
    await b.acli("account", "create", "--data", b.data, "bob", "--password-file", password_file)
    await c.acli("account", "create", "--data", c.data, "carol", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "tenants", "--name", "Tenants")
    for instance in (a, b, c):
        await instance.start()
    a_news, b_news = f"{a.base_url}/newswire", f"{b.base_url}/newswire"
    await follow_and_wait(b, "bob", f"newswire@{a.domain}")
    await newswire_follows(b, a)
    await newswire_follows(a, b)

    # (a) A web submission on A: anonymous, so it waits for an editor; approved, it goes out.
    web_id, state, web_uri = run_python(a, EDITOR, str(a.data), "root", "Rent strike won",
                                        "approve").split()  # fmt: skip
    assert state == "published"
    # (d) A first-time remote submitter (carol on C) waits until an editor approves.
    carol_note = await post(c, "carol", f"Tenants win in Leeds @newswire@{a.domain} #housing",
                            tmp_path)  # fmt: skip
    await settle(a, b, c)
    assert items(a)[carol_note] == ("fediverse", "queued")
    assert carol_note not in boosted(b, a_news)
    assert run_python(a, APPROVE, str(a.data), "root", carol_note) == "published"
    # (c) A hub's post on A, sent to the newswire: published at once.
    hub_post = await post(a, "tenants", "Assembly on Sunday #housing", tmp_path, "--newswire",
                          by="root")  # fmt: skip
    assert items(a)[hub_post] == ("hub", "published")
    # B's own web item, to travel the other way.
    _, _, b_web_uri = run_python(b, EDITOR, str(b.data), "root", "Eviction stopped",
                                 "approve").split()  # fmt: skip

    async def all_arrived() -> bool:
        return (
            {carol_note, hub_post} <= set(boosted(b, a_news))
            and any(d["object"]["id"] == web_uri for d in received(b, a_news, "Create"))
            and b_web_uri in items(a)
        )

    await eventually(all_arrived, what="A's items to reach B, and B's to reach A")
    await settle(a, b, c)
    # B's newswire passed on what it had from A (once each); A took back none of its own.
    assert set(items(b)) == {web_uri, carol_note, hub_post, b_web_uri}
    assert {items(b)[u][0] for u in (web_uri, carol_note, hub_post)} == {"shared"}
    assert set(items(a)) == {web_uri, carol_note, hub_post, b_web_uri}
    assert items(a)[b_web_uri] == ("shared", "published")
    for instance, newswire in ((a, a_news), (b, b_news)):
        objects = sent(instance, newswire)
        assert sorted(objects) == sorted(set(objects)), f"{instance.name} sent one twice"
        assert len(objects) == 4
    assert int(web_id) >= 1

    # (f) With newswire_review = none, a post on C mentioning @newswire@A reaches B at once, as
    # an Announce.
    await a.stop()
    monkeypatch.setenv("FEDIHUB_NEWSWIRE_REVIEW", "none")
    await a.start()
    monkeypatch.delenv("FEDIHUB_NEWSWIRE_REVIEW")
    second = await post(c, "carol", f"Rents frozen @newswire@{a.domain}", tmp_path)

    async def announced_on_b() -> bool:
        return second in boosted(b, a_news)

    await eventually(announced_on_b, what="the mention on C to reach B as A's Announce")
    (boost,) = [d for d in received(b, a_news, "Announce") if d["object"] == second]
    assert boost["type"] == "Announce" and boost["actor"] == a_news
