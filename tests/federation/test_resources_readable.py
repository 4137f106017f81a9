"""A need posted with the CLI on a real instance reaches a follower on a Mastodon-shaped server as
a Note whose text alone (its HTML tags stripped, as a reader that shows text only sees it) says
what, how many, where and by when; the same facts are PropertyValues and a ValueFlows Intent,
and the organiser's private way to respond stays off the wire. Deleting it takes it out of the
index the matcher reads."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.remote import RemoteServer

pytestmark = pytest.mark.federation


def text_only(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_a_follower_on_mastodon_reads_a_need_in_its_text_alone(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    await a.acli("account", "create", "--data", a.data, "org", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "vancouver", "--name", "Vancouver",
                 "--organizer", "org", "--timezone", "America/Vancouver")  # fmt: skip
    await a.start()
    hub = f"{a.base_url}/hubs/vancouver"
    async with RemoteServer() as mastodon:
        alice = mastodon.add_actor("alice")
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                  "id": f"{alice.id}#follow", "actor": alice.id, "object": hub}  # fmt: skip
        assert (await mastodon.post(f"{a.base_url}/hubs/vancouver/inbox", follow, alice)).status \
            == 202  # fmt: skip

        def to_alice(kind: str) -> list[dict[str, Any]]:
            """What reached alice's server, at her inbox or its shared one."""
            return [r.activity for r in mastodon.received_by()
                    if r.activity.get("type") == kind]  # fmt: skip

        async def accepted() -> bool:
            return len(to_alice("Accept")) == 1

        await eventually(accepted, what="the hub's Accept")
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 20 * 86_400))
        need = tmp_path / "need.md"
        need.write_text(
            "---\ntitle: Warm sleeping bags\ncategory: bedding\nquantity: 50\n"
            "unit: sleeping bags\nplace:\n  name: Carnegie Centre\n  locality: Vancouver\n"
            f"needed_by: {day}\nrespond: Call Ana on +1 604 555 0199\n---\n"
            "For the winter shelter.\n"
        )
        uri = (await a.acli("post", "--data", a.data, "vancouver", "--as", "org", "--kind",
                            "need", need)).stdout.strip()  # fmt: skip

        async def created() -> bool:
            return len(to_alice("Create")) == 1

        await eventually(created, what="the need's Create")
        note = to_alice("Create")[0]["object"]
        assert note["id"] == uri and note["type"] == "Note"
        text = text_only(note["content"])
        assert "Warm sleeping bags" in text  # what
        assert "50 sleeping bags" in text  # how many
        assert "Carnegie Centre, Vancouver" in text  # where
        year, _month, date = (int(p) for p in day.split("-"))
        assert re.search(rf"Needed by: \w+, \w+ {date}, {year}", text), text  # by when
        assert "reply to this post" in text
        assert "555" not in str(note) and "source" not in note  # the private respond
        facts = {p["name"]: p["value"] for p in note["attachment"]}
        assert facts["How many"] == "50 sleeping bags" and facts["Category"] == "Bedding"
        assert facts["Where"] == "Carnegie Centre, Vancouver" and facts["State"] == "Open"
        intent = note["intent"]
        assert (intent["type"], intent["receiver"], intent["resourceClassifiedAs"]) == (
            "Intent", hub, ["bedding"])  # fmt: skip
        assert intent["resourceQuantity"] == {"hasNumericalValue": 50, "hasUnit": "sleeping bags"}
        assert intent["due"].startswith(f"{day}T23:59:59-0")  # the end of that day, Vancouver
        assert a.query("SELECT side, remaining, state FROM resource_intents WHERE uri = ?",
                       (uri,)) == [("need", 50, "open")]  # fmt: skip
        await a.acli("delete", "--data", a.data, "vancouver", uri.rsplit("/", 1)[1], "--as", "org")

        async def deleted() -> bool:
            return len(to_alice("Delete")) == 1

        await eventually(deleted, what="the need's Delete")
        assert a.query("SELECT count(*) FROM resource_intents") == [(0,)]
