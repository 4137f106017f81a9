"""Issue 16's Done-when, between real instances: A's hub follows B's; an offer posted on B and a
need posted on A are matched on A, and on B through A's match notice; both organisers are told
(A's in its list, B's through the notice recorded on B); fulfilling the match on A closes the
need on A, its Update (`finished`) reaches a follower on a Mastodon-shaped server, and B's offer
goes down by what was delivered."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait
from tests.support.network import eventually
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation
AS = "https://www.w3.org/ns/activitystreams"


def front_matter(side: str, title: str, quantity: int, place: str) -> str:
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 20 * 86_400))
    until = "needed_by" if side == "need" else "available_until"
    return (f"---\ntitle: {title}\ncategory: bedding\nquantity: {quantity}\n"
            f"unit: sleeping bags\nplace: {place}\n{until}: {day}\n---\nFor winter.\n")  # fmt: skip


async def test_a_need_on_a_meets_an_offer_on_b_and_fulfilling_it_closes_it_everywhere(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    for instance, hub, name in ((a, "vancouver", "Vancouver"), (b, "tampa", "Tampa")):
        await instance.acli("account", "create", "--data", instance.data, "org",
                            "--password-file", password_file)  # fmt: skip
        await instance.acli("hub", "create", "--data", instance.data, hub, "--name", name,
                            "--organizer", "org")  # fmt: skip
    await a.start()
    await b.start()
    await follow_and_wait(a, "vancouver", f"@tampa@{b.domain}")
    vancouver, tampa = f"{a.base_url}/hubs/vancouver", f"{b.base_url}/hubs/tampa"
    async with RemoteServer() as mastodon:
        alice = mastodon.add_actor("alice")  # follows A's hub: the third party
        follow = {"@context": AS, "type": "Follow", "id": f"{alice.id}#follow",
                  "actor": alice.id, "object": vancouver}  # fmt: skip
        assert (await mastodon.post(f"{vancouver}/inbox", follow, alice)).status == 202

        def to_alice(kind: str) -> list[dict[str, Any]]:
            return [r.activity for r in mastodon.received_by()
                    if r.activity.get("type") == kind]  # fmt: skip

        async def accepted() -> bool:
            return len(to_alice("Accept")) == 1

        await eventually(accepted, what="A's hub to accept alice")

        offer_file = tmp_path / "offer.md"
        offer_file.write_text(front_matter("offer", "Sleeping bags", 80, "Tampa"))
        offer = (await b.acli("post", "--data", b.data, "tampa", "--as", "org", "--kind",
                              "offer", offer_file)).stdout.strip()  # fmt: skip

        async def a_holds_the_offer() -> bool:
            return a.query("SELECT state FROM resource_intents WHERE uri = ?",
                           (offer,)) == [("open",)]  # fmt: skip

        await eventually(a_holds_the_offer, what="B's offer to reach A's index")
        need_file = tmp_path / "need.md"
        need_file.write_text(front_matter("need", "Warm sleeping bags", 50, "Vancouver"))
        need = (await a.acli("post", "--data", a.data, "vancouver", "--as", "org", "--kind",
                             "need", need_file)).stdout.strip()  # fmt: skip

        # Matched on A; A's organiser sees it in the hub's list.
        pair = [(need, offer)]
        assert a.query("SELECT need_uri, offer_uri FROM resource_matches"
                       " WHERE state = 'proposed' AND found_by = 'here'") == pair  # fmt: skip
        listed = (await a.acli("match", "list", "--data", a.data, "vancouver")).stdout
        assert "\tproposed\t" in listed and "Warm sleeping bags ×50" in listed
        assert "Sleeping bags ×80" in listed and tampa in listed

        # B hears through A's notice (B does not follow A: it fetches A's need to check it).
        async def b_told() -> bool:
            return b.query("SELECT need_uri, offer_uri FROM resource_matches"
                           " WHERE state = 'proposed' AND found_by = 'told'") == pair  # fmt: skip

        await eventually(b_told, what="A's match notice to be recorded on B")
        assert b.query("SELECT hub_uri, remaining FROM resource_intents WHERE uri = ?",
                       (need,)) == [(vancouver, 50)]  # fmt: skip
        listed_b = (await b.acli("match", "list", "--data", b.data, "tampa")).stdout
        assert "\tproposed\t" in listed_b and vancouver in listed_b

        # Fulfilled wholly on A: the need closes on A; alice gets its Update, finished.
        [(match_id,)] = a.query("SELECT id FROM resource_matches")
        out = await a.acli("match", "fulfil", "--data", a.data, str(match_id), "--as", "org")
        assert "\tfulfilled 50 delivered\t" in out.stdout
        assert a.query("SELECT remaining, state FROM resource_intents WHERE uri = ?",
                       (need,)) == [(0, "closed")]  # fmt: skip

        async def alice_sees_it_closed() -> bool:
            return any(u["object"]["id"] == need and u["object"]["intent"]["finished"] is True
                       for u in to_alice("Update"))  # fmt: skip

        await eventually(alice_sees_it_closed, what="the need's Update to reach alice")

        # B hears that 50 were delivered; its offer goes down when its organisers confirm.
        async def b_reported() -> bool:
            return b.query("SELECT state, reported_quantity FROM resource_matches") == [
                ("proposed", 50)
            ]

        await eventually(b_reported, what="B to hear of the delivery")
        assert b.query("SELECT remaining FROM resource_intents WHERE uri = ?", (offer,)) == [(80,)]
        [(b_match,)] = b.query("SELECT id FROM resource_matches")
        out = await b.acli("match", "fulfil", "--data", b.data, str(b_match), "--quantity", "50",
                           "--as", "org")  # fmt: skip
        assert "\tfulfilled 50 delivered\t" in out.stdout  # the need had 50: the match is done
        assert b.query("SELECT state, fulfilled_quantity FROM resource_matches") == [
            ("fulfilled", 50)
        ]
        assert b.query("SELECT remaining, state FROM resource_intents WHERE uri = ?",
                       (offer,)) == [(30, "open")]  # fmt: skip

        # …and B's offer's Update tells A (which follows B) what is left.
        async def a_sees_the_offer_go_down() -> bool:
            return a.query("SELECT remaining FROM resource_intents WHERE uri = ?",
                           (offer,)) == [(30,)]  # fmt: skip

        await eventually(a_sees_the_offer_go_down, what="B's offer's Update to reach A")
        assert "no matches" in (await a.acli("match", "list", "--data", a.data,
                                             "vancouver")).stdout  # fmt: skip
