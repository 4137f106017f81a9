"""Moderating a hub across real fedihub instances: a moderator removes a post a member on B
posted into A's hub, and the removal reaches the hub's follower on C (who forgets the boost);
a moderator on another server approves a held post by replying to the hub's question, and the
post then reaches C."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.federation.test_groups_three_instances import accounts, announces, hub, post
from tests.support.instances import FedihubInstance, follow_and_wait
from tests.support.network import eventually
from tests.support.remote import AS, RemoteServer

pytestmark = pytest.mark.federation


def received(instance: FedihubInstance, kind: str, actor: str) -> list[dict]:
    """What `instance` kept of the activities it received: one that changed nothing there
    keeps no body (counted by `arrived`)."""
    rows = instance.query("SELECT document FROM inbox_items WHERE type = ? AND actor_uri = ?"
                          " ORDER BY id", (kind, actor))  # fmt: skip
    return [json.loads(document) for (document,) in rows if document]


def arrived(instance: FedihubInstance, kind: str, actor: str) -> int:
    rows = instance.query("SELECT count(*) FROM inbox_items WHERE type = ? AND actor_uri = ?"
                          " AND state = 'done'", (kind, actor))  # fmt: skip
    return int(rows[0][0])


async def test_a_moderator_removes_a_post_and_the_removal_reaches_followers_elsewhere(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    await accounts(a, password_file, "org")
    climate = await hub(a, "climate")
    await a.acli("account", "create", "--data", a.data, "root", "--admin",
                 "--password-file", password_file)  # fmt: skip
    await a.acli("hub", "member", "--data", a.data, "add", "climate", "org", "--role", "admin",
                 "--as", "root")  # fmt: skip
    await accounts(b, password_file, "alice")
    await accounts(c, password_file, "carol")
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(b, "alice", f"@climate@{a.domain}")
    await follow_and_wait(c, "carol", f"@climate@{a.domain}")
    note = await post(b, "alice", f"Buy my bikes, @climate@{a.domain}", tmp_path)

    async def boosted_on_c() -> bool:
        return len(announces(c, climate)) == 2

    await eventually(boosted_on_c, what="C to receive the hub's re-share in both forms")
    boosts = {d["id"] for d in announces(c, climate)}
    refused = await a.acli("hub", "remove-post", "--data", a.data, "climate", note, "--as",
                           "org", "--reason", " ", check=False)  # fmt: skip
    assert refused.returncode != 0  # no reason, nothing done
    await a.acli("hub", "remove-post", "--data", a.data, "climate", note, "--as", "org",
                 "--reason", "Selling things is off topic")  # fmt: skip

    async def undone_on_c() -> bool:
        return arrived(c, "Undo", climate) == 2

    await eventually(undone_on_c, what="C to receive the hub's Undo of both Announces")
    # Each Undo changed something on C (else C keeps no body): it forgot the boost it undid.
    assert {u["object"]["id"] for u in received(c, "Undo", climate)} == boosts
    removal = [d for d in announces(c, climate) if d["id"] not in boosts]
    assert [d["object"]["type"] for d in removal] == ["Delete"]  # Lemmy's form, announced
    forgotten = c.query("SELECT count(*) FROM received_objects WHERE deleted_at IS NOT NULL"
                        " AND type = 'Announce' AND actor_uri = ?", (climate,))  # fmt: skip
    assert forgotten == [(2,)]  # C's copy of the boosts is gone

    async def author_told() -> bool:
        return any("Selling things" in d["object"].get("content", "")
                   for d in received(b, "Create", climate))  # fmt: skip

    await eventually(author_told, what="the author on B to be told why by a direct message")
    assert "Buy my bikes" not in await a.http_get("/hubs/climate")
    logged = a.query("SELECT action, target_uri, by_label, reason FROM moderation_log"
                     " WHERE action <> 'role_change'")  # fmt: skip
    assert logged == [("remove_post", note, "org", "Selling things is off topic")]
    public = await a.http_get("/moderation")  # and the public log says so
    assert "post removed from the hub" in public and "Selling things is off topic" in public


async def test_a_remote_moderator_approves_a_queued_post(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    climate = await hub(a, "climate")
    await a.acli("account", "create", "--data", a.data, "root", "--admin",
                 "--password-file", password_file)  # fmt: skip
    await accounts(b, password_file, "bob")
    await accounts(c, password_file, "carol")
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(c, "carol", f"@climate@{a.domain}")
    async with RemoteServer() as remote:
        mod = remote.add_actor("max", shared_inbox=False)
        other = remote.add_actor("olga", shared_inbox=False)
        await a.acli("hub", "member", "--data", a.data, "add", "climate", mod.id,
                     "--role", "moderator", "--as", "root")  # fmt: skip
        held = await post(b, "bob", f"Rides to the march, @climate@{a.domain}", tmp_path)

        async def asked() -> bool:
            return any(r.activity["type"] == "Create" for r in remote.received_by("/users/max"))

        await eventually(asked, what="A to ask its remote moderator about the held post")
        [question] = [r.activity for r in remote.received_by("/users/max")
                      if r.activity["type"] == "Create"]  # fmt: skip
        assert "Rides to the march" in question["object"]["content"]
        # Someone not listed cannot decide it.
        accept = {"@context": AS, "id": f"{other.id}/accept/1", "type": "Accept",
                  "actor": other.id, "object": held}  # fmt: skip
        assert (await remote.post(f"{climate}/inbox", accept, other)).status == 403
        reply = {"id": f"{mod.id}/notes/1", "type": "Note", "attributedTo": mod.id,
                 "inReplyTo": question["object"]["id"], "to": [climate],
                 "content": "<p>approve</p>"}  # fmt: skip
        create = {"@context": AS, "id": f"{mod.id}/notes/1/activity", "type": "Create",
                  "actor": mod.id, "object": reply, "to": [climate]}  # fmt: skip
        assert (await remote.post(f"{climate}/inbox", create, mod)).status == 202

        async def carried_to_c() -> bool:
            return any(d["object"] == held for d in announces(c, climate))

        await eventually(carried_to_c, what="the approved post to reach C")
    logged = a.query("SELECT action, target_uri, by_uri FROM moderation_log"
                     " WHERE action <> 'role_change'")  # fmt: skip
    assert logged == [("approve_post", held, mod.id)]
    assert "held post approved" in await a.http_get("/hubs/climate/moderation")
