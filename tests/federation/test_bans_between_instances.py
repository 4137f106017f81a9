"""A ban that sticks, between three real fedihub instances: alice on B follows (joins) the
open hub climate on A, A's organiser bans her from the command line; B hears of it (the Reject of
her Follow, Lemmy's Block, a direct message saying why), her new Follow is refused at A's inbox,
and her post into the hub is not carried to carol, a follower on C. Unbanning sends Undo{Block}
and she may follow again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.federation.test_groups_three_instances import accounts, announces, post
from tests.support.instances import FedihubInstance, follow_and_wait, settle
from tests.support.network import eventually

pytestmark = pytest.mark.federation


def received(b: FedihubInstance, kind: str, actor: str, a: FedihubInstance) -> list[dict]:
    """What B received of that type from that actor (handled items keep no body: read as A
    sent them)."""
    uris = b.query("SELECT activity_uri FROM inbox_items WHERE type = ? AND actor_uri = ?"
                   " ORDER BY id", (kind, actor))  # fmt: skip
    return [json.loads(a.query("SELECT document FROM outbox_activities WHERE uri = ?", uri)[0][0])
            for uri in uris]  # fmt: skip


def following_state(instance: FedihubInstance, who: str) -> list[tuple[str, str]]:
    return instance.query("SELECT f.actor_uri, f.state FROM following f JOIN local_actors a"
                          " ON a.id = f.local_actor_id WHERE a.username = ?", (who,))  # fmt: skip


async def test_a_banned_member_is_told_and_kept_out(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    await accounts(a, password_file, "org")
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org")  # fmt: skip
    climate = f"{a.base_url}/hubs/climate"
    await accounts(b, password_file, "alice")
    await accounts(c, password_file, "carol")
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(b, "alice", f"@climate@{a.domain}")
    await follow_and_wait(c, "carol", f"@climate@{a.domain}")
    alice = f"{b.base_url}/users/alice"
    [(follow_id,)] = a.query("SELECT follow_activity_uri FROM followers WHERE actor_uri = ?",
                             (alice,))  # fmt: skip

    # No reason: refused, and nothing is sent or recorded.
    refused = await a.acli("hub", "ban", "--data", a.data, "climate", f"@alice@{b.domain}",
                           "--as", "org", "--reason", " ", check=False)  # fmt: skip
    assert refused.returncode == 1 and "say why" in refused.stderr
    assert a.query("SELECT count(*) FROM hub_bans") == [(0,)]

    await a.acli("hub", "ban", "--data", a.data, "climate", f"@alice@{b.domain}", "--as", "org",
                 "--reason", "Spam, again and again")  # fmt: skip

    async def told() -> bool:
        org = f"{a.base_url}/users/org"
        return all(received(b, kind, actor, a) for kind, actor in (
            ("Block", org), ("Reject", climate), ("Create", climate)))  # fmt: skip

    await eventually(told, what="B to receive the Reject, the Block and the message")
    [reject] = received(b, "Reject", climate, a)
    assert reject["object"]["id"] == follow_id and reject["object"]["type"] == "Follow"
    [block] = received(b, "Block", f"{a.base_url}/users/org", a)
    assert (block["object"], block["target"], block["summary"]) == (
        alice, climate, "Spam, again and again")  # fmt: skip
    [message] = received(b, "Create", climate, a)
    assert message["object"]["to"] == [alice]
    assert "Spam, again and again" in message["object"]["content"]
    assert "banned you" in message["object"]["content"]
    await settle(b)
    assert following_state(b, "alice") == [(climate, "rejected")]
    assert a.query("SELECT count(*) FROM followers WHERE actor_uri = ?", (alice,)) == [(0,)]
    assert a.query("SELECT reason FROM moderation_log WHERE action = 'ban'") == [
        ("Spam, again and again",)]  # fmt: skip

    # A new Follow is refused at A's inbox (403: B's delivery fails, not retried), nothing recorded.
    await b.acli("follow", "--data", b.data, "--as", "alice", f"@climate@{a.domain}")

    async def follow_refused() -> bool:
        rows = b.query("SELECT d.state, d.last_status FROM deliveries d JOIN outbox_activities o"
                       " ON o.id = d.activity_id WHERE o.type = 'Follow'"
                       " ORDER BY d.id DESC LIMIT 1")  # fmt: skip
        return rows == [("failed", 403)]  # a 4xx is not retried

    await eventually(follow_refused, what="A to refuse alice's new Follow")
    assert a.query("SELECT count(*) FROM followers WHERE actor_uri = ?", (alice,)) == [(0,)]

    # Her post into the hub is neither carried to carol on C nor held for moderators.
    before = len(announces(c, climate))
    note = await post(b, "alice", f"Buy my bikes @climate@{a.domain}", tmp_path)

    async def arrived() -> bool:
        return bool(a.query("SELECT 1 FROM inbox_items WHERE document LIKE ? AND state = 'done'",
                            (f"%{note}%",)))  # fmt: skip

    await eventually(arrived, what="A to handle alice's post")
    await settle(a, c)
    assert len(announces(c, climate)) == before
    assert a.query("SELECT count(*) FROM moderation_queue WHERE object_uri = ?", (note,)) == [(0,)]

    # Lifted: Undo{Block} embedding the whole Block; she may follow again.
    await a.acli("hub", "unban", "--data", a.data, "climate", alice, "--as", "org",
                 "--reason", "Apologised")  # fmt: skip

    async def undone() -> bool:
        return bool(received(b, "Undo", f"{a.base_url}/users/org", a))

    await eventually(undone, what="B to receive the Undo of the Block")
    [undo] = received(b, "Undo", f"{a.base_url}/users/org", a)
    assert undo["object"]["id"] == block["id"] and undo["object"]["target"] == climate
    await follow_and_wait(b, "alice", f"@climate@{a.domain}")
