"""A domain block between real fedihub instances stops deliveries both ways and hides boosted
originals: A blocks B, so B's activities get 403 at A, A's posts no longer reach B's follower,
and a boost on C of B's post is neither shown on A nor re-shared by A's hub. Lifting the block
restores all three."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait, settle
from tests.support.network import eventually

pytestmark = pytest.mark.federation
# A block made with the CLI (another process) reaches the servers within blocks_reread_s
# (5 by default); the servers here reread after a fifth of a second.
BLOCKS_REREAD_S = 0.2


async def post(instance: FedihubInstance, actor: str, by: str, text: str, tmp_path: Path) -> str:
    path = tmp_path / f"{instance.name}-{actor}-{abs(hash(text))}.md"
    path.write_text(text)
    out = await instance.acli("post", "--data", instance.data, actor, "--as", by, path)
    return out.stdout.strip()


def announced(instance: FedihubInstance) -> list[object]:
    rows = instance.query("SELECT document FROM outbox_activities WHERE type = 'Announce'")
    return [json.loads(document)["object"] for (document,) in rows]


def received_on(instance: FedihubInstance, object_uri: str) -> bool:
    rows = instance.query("SELECT document FROM inbox_items WHERE type = 'Create'")
    return any(json.loads(d)["object"].get("id") == object_uri for (d,) in rows)


async def test_a_domain_block_stops_deliveries_both_ways_and_hides_boosted_originals(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIHUB_BLOCKS_REREAD_S", str(BLOCKS_REREAD_S))
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    await a.acli("account", "create", "--data", a.data, "root", "--admin",
                 "--password-file", password_file)  # fmt: skip
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "root")  # fmt: skip
    await a.acli("hub", "set", "--data", a.data, "climate", "--reshare", "all")
    await b.acli("account", "create", "--data", b.data, "bob", "--password-file", password_file)
    await c.acli("account", "create", "--data", c.data, "carol", "--admin",
                 "--password-file", password_file)  # fmt: skip
    await c.acli("hub", "create", "--data", c.data, "relay", "--name", "Relay",
                 "--organizer", "carol")  # fmt: skip
    for instance in (a, b, c):
        await instance.start()
    await follow_and_wait(b, "bob", f"@climate@{a.domain}")  # B follows A
    await follow_and_wait(a, "climate", f"@relay@{c.domain}")  # A hears C's boosts
    before = await post(b, "bob", "bob", "Written before the block", tmp_path)

    await a.acli("domain", "block", "--data", a.data, b.domain, "--reason", "Spam waves",
                 "--as", "root")  # fmt: skip

    await asyncio.sleep(2 * BLOCKS_REREAD_S)  # the CLI is another process: A's server rereads
    # B → A: refused at A's inbox.
    into_hub = await post(b, "bob", "bob", f"Buy my bikes @climate@{a.domain}", tmp_path)

    async def refused_by_a() -> bool:
        rows = b.query("SELECT state, last_status FROM deliveries WHERE host = ?", (a.domain,))
        return any(status == 403 for _, status in rows)

    await eventually(refused_by_a, what="A to answer B's deliveries with 403")
    assert not a.query("SELECT 1 FROM inbox_items WHERE activity_uri LIKE ?", (into_hub + "%",))

    # A → B: the hub's new post goes to nobody on B.
    after = await post(a, "climate", "root", "Written after the block", tmp_path)
    # C boosts B's post: A neither re-shares it nor shows it, and never fetches it from B.
    await c.acli("reshare", "--data", c.data, "--as", "relay", before)
    await settle(a, b, c)

    async def boost_reached_a() -> bool:
        rows = a.query("SELECT 1 FROM inbox_items WHERE type = 'Announce' AND state = 'done'")
        return bool(rows)

    await eventually(boost_reached_a, what="C's boost to reach A")
    assert not received_on(b, after)
    assert not a.query("SELECT 1 FROM deliveries WHERE host = ? AND state <> 'gave_up'"
                       " AND activity_id IN (SELECT id FROM outbox_activities WHERE"
                       " document LIKE ?)", (b.domain, f"%{after}%"))  # fmt: skip
    assert before not in announced(a)
    assert not a.query("SELECT 1 FROM received_objects WHERE uri = ?", (before,))
    assert "Written before the block" not in await a.http_get("/hubs/climate")
    entries = a.query("SELECT action, target_uri, reason FROM moderation_log")
    assert entries == [("block_domain", b.domain, "Spam waves")]

    # Lifted: everything flows again.
    await a.acli("domain", "unblock", "--data", a.data, b.domain, "--as", "root")
    await asyncio.sleep(2 * BLOCKS_REREAD_S)
    again = await post(a, "climate", "root", "Written after the unblock", tmp_path)
    second = await post(b, "bob", "bob", "Written after the unblock on B", tmp_path)
    await c.acli("reshare", "--data", c.data, "--as", "relay", second)

    async def flowing() -> bool:
        return received_on(b, again) and second in announced(a)

    await eventually(flowing, timeout_s=40, what="deliveries both ways and A's re-share")
    assert "Written after the unblock on B" in await a.http_get("/hubs/climate")
