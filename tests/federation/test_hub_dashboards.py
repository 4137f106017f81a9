"""Hub posts of every kind between two real fedihub processes, and event participation from a
Mobilizon-shaped remote server: Join, the waitlist, Leave and promotion, counts arriving as
Update{Event} on the other instance, edits, cancellations and deletes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.support.fixtures import load
from tests.support.instances import FedihubInstance, follow_and_wait
from tests.support.network import eventually
from tests.support.remote import RemoteServer
from tests.support.web import signed_in

pytestmark = [pytest.mark.federation, pytest.mark.usefixtures("counts_at_once")]
NEW_YORK = ZoneInfo("America/New_York")


def days_ahead(days: int, hour: int) -> str:
    day = dt.datetime.now(NEW_YORK).date() + dt.timedelta(days=days)
    return f"{day.isoformat()} {hour:02d}:00"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


async def post(a: FedihubInstance, kind: str, path: Path) -> str:
    out = await a.acli("post", "--data", a.data, "climate", "--as", "org", "--kind", kind, path)
    return out.stdout.strip()


def received(b: FedihubInstance, uri: str) -> dict[str, Any] | None:
    rows = b.query("SELECT document, deleted_at FROM received_objects WHERE uri = ?", (uri,))
    if not rows:
        return None
    document, deleted_at = rows[0]
    return {**json.loads(document), "_deleted": deleted_at is not None}


async def arrived(b: FedihubInstance, uri: str, check: Any = bool, what: str = "") -> dict:
    async def ready() -> bool:
        doc = received(b, uri)
        return doc is not None and bool(check(doc))

    await eventually(ready, what=what or f"B to hold {uri}")
    doc = received(b, uri)
    assert doc is not None
    return doc


async def hub_on_a_followed_by_hub_on_b(
    a: FedihubInstance, b: FedihubInstance, password_file: Path
) -> None:
    await a.acli("account", "create", "--data", a.data, "org", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org", "--timezone", "America/New_York")  # fmt: skip
    await b.acli("hub", "create", "--data", b.data, "coalition", "--name", "Coalition")
    await a.start()
    await b.start()
    await follow_and_wait(b, "coalition", f"@climate@{a.domain}")


async def test_every_kind_federates_and_edits_arrive(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    await hub_on_a_followed_by_hub_on_b(a, b, password_file)

    update = await post(a, "update", write(tmp_path, "u.md", "Buses leave at **noon**."))
    minutes = await post(
        a,
        "minutes",
        write(
            tmp_path,
            "m.md",
            """---
meeting_date: 2026-11-16
attendees: Ana, Ben
decisions:
  - March on Saturday
actions:
  - {task: Book buses, owner: Ana, due: 2026-11-20}
---
Good call.
""",
        ),
    )
    event = await post(
        a,
        "event",
        write(
            tmp_path,
            "e.md",
            f"""---
title: Teach-in
start: {days_ahead(3, 18)}
end: {days_ahead(3, 20)}
capacity: 40
location: {{name: Library, street: 1 Main St, locality: Albany, latitude: 42.65, longitude: -73.75}}
---
Bring a friend.
""",
        ),
    )
    call = await post(a, "call", write(tmp_path, "c.md", f"""---
title: Weekly coordination
start: {days_ahead(2, 20)}
end: {days_ahead(2, 21)}
schedule: FREQ=WEEKLY
dial_in: +1 555 0100
access_code: '2468'
---
Agenda in the pad.
"""))  # fmt: skip

    note = await arrived(b, update)
    assert note["type"] == "Note" and "<strong>noon</strong>" in note["content"]
    article = await arrived(b, minutes)
    assert article["type"] == "Article" and article["tag"][0]["name"] == "#minutes"
    assert (
        "March on Saturday" in article["content"]
        and "Book buses — Ana, due 2026-11-20" in (article["content"])
    )
    teach_in = await arrived(b, event)
    assert teach_in["type"] == "Event" and teach_in["timezone"] == "America/New_York"
    assert teach_in["startTime"].startswith(days_ahead(3, 18).replace(" ", "T"))
    assert teach_in["location"]["address"]["addressLocality"] == "Albany"
    assert teach_in["maximumAttendeeCapacity"] == 40 and teach_in["ical:status"] == "CONFIRMED"
    assert "America/New_York" in teach_in["summary"] and "Library" in teach_in["summary"]
    series = await arrived(b, call)
    assert series["type"] == "Article" and "Repeats weekly" in series["summary"]
    (occurrence_uri,) = a.query("SELECT id FROM posts WHERE series_id IS NOT NULL")[0]
    occurrence = await arrived(b, f"{a.base_url}/hubs/climate/posts/{occurrence_uri}")
    assert occurrence["type"] == "Event" and occurrence["context"] == call
    assert "+1 555 0100" in occurrence["summary"] and occurrence["name"] == "Weekly coordination"

    # B's hub dashboard shows the event with its fields under "From the network".
    page = await b.http_get("/hubs/coalition")
    assert "Teach-in" in page and "America/New_York" in page and "Library" in page
    take_part = f'href="/authorize_interaction?uri={quote(event, safe="/")}"'
    assert take_part not in page  # a visitor has no account here to take part with
    # An account on B takes part from the item: the confirm page for A's event.
    await b.acli("account", "create", "--data", b.data, "ana", "--password-file", password_file)
    async with aiohttp.ClientSession() as session:
        await signed_in(session, b.base_url, "ana")
        async with session.get(f"{b.base_url}/hubs/coalition") as resp:
            assert take_part in await resp.text()
        async with session.get(f"{b.base_url}/authorize_interaction",
                               params={"uri": event}) as resp:  # fmt: skip
            assert resp.status == 200 and "Teach-in" in await resp.text()

    event_id = event.rsplit("/", 1)[1]
    await a.acli("edit", "--data", a.data, "climate", event_id, "--as", "org", write(
        tmp_path, "e2.md", (f"---\ntitle: Teach-in (moved)\nstart: {days_ahead(3, 18)}\n"
                            f"end: {days_ahead(3, 21)}\n---\nNow until nine.\n")))  # fmt: skip
    edited = await arrived(b, event, lambda d: d["name"] == "Teach-in (moved)", "the edit")
    assert "updated" in edited and edited["endTime"].startswith(days_ahead(3, 21).replace(" ", "T"))

    await a.acli("cancel", "--data", a.data, "climate", event_id, "--as", "org")
    off = await arrived(b, event, lambda d: d["ical:status"] == "CANCELLED", "the cancellation")
    assert off["eventStatus"].endswith("EventCancelled") and off["summary"].startswith("CANCELLED")
    page = await a.http_get(f"/hubs/climate/posts/{event_id}")
    assert "Cancelled" in page  # a cancelled event stays visible as cancelled

    await a.acli("delete", "--data", a.data, "climate", update.rsplit("/", 1)[1], "--as", "org")
    await arrived(b, update, lambda d: d["_deleted"], "the delete")


async def test_remote_join_leave_waitlist_and_counts(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    await hub_on_a_followed_by_hub_on_b(a, b, password_file)
    event = await post(a, "event", write(tmp_path, "e.md", (
        f"---\ntitle: Kitchen shift\nstart: {days_ahead(2, 10)}\nend: {days_ahead(2, 16)}\n"
        "capacity: 1\n---\nCooking for 300.\n")))  # fmt: skip
    await arrived(b, event)

    async with RemoteServer() as mobilizon:
        sam, jo = mobilizon.add_actor("sam"), mobilizon.add_actor("jo")

        def join(actor: Any, n: int, target: str = event) -> dict:
            return {**load("mobilizon-join"), "id": f"{actor.id}/join/{n}", "actor": actor.id,
                    "object": target}  # fmt: skip

        assert (await mobilizon.post(f"{a.base_url}/inbox", join(sam, 1), sam)).status == 202
        assert (await mobilizon.post(f"{a.base_url}/inbox", join(jo, 1), jo)).status == 202

        def answers(kind: str, actor: Any) -> list[dict]:
            return [r.activity for r in mobilizon.received_by(f"/users/{actor.username}/inbox")
                    if r.activity["type"] == kind]  # fmt: skip

        async def sam_accepted() -> bool:
            return len(answers("Accept", sam)) == 1

        await eventually(sam_accepted, what="an Accept of sam's Join")
        accept = answers("Accept", sam)[0]
        assert accept["object"] == {"id": f"{sam.id}/join/1", "type": "Join", "actor": sam.id,
                                    "object": event}  # fmt: skip

        # Joins are processed one at a time in arrival order, but sam's Accept can reach
        # Mobilizon before jo's Join has been handled: wait for jo's row, then check both.
        async def jo_handled() -> bool:
            return len(a.query("SELECT 1 FROM event_participants")) == 2

        await eventually(jo_handled, what="jo's Join handled")
        states = dict(a.query("SELECT actor_uri, state FROM event_participants"))
        assert states == {sam.id: "going", jo.id: "waitlisted"} and answers("Accept", jo) == []
        full = await arrived(b, event, lambda d: d.get("participantCount") == 1, "count 1 on B")
        assert full["remainingAttendeeCapacity"] == 0

        leave = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Leave",
                 "id": f"{sam.id}/leave/1", "actor": sam.id, "object": event}  # fmt: skip
        assert (await mobilizon.post(f"{a.base_url}/inbox", leave, sam)).status == 202

        async def jo_promoted() -> bool:
            return len(answers("Accept", jo)) == 1

        await eventually(jo_promoted, what="jo's promotion from the waitlist")
        assert dict(a.query("SELECT actor_uri, state FROM event_participants")) == {jo.id: "going"}
        csv_out = (await a.acli("event", "--data", a.data, "participants", "climate",
                                event.rsplit("/", 1)[1])).stdout  # fmt: skip
        header, row = csv_out.splitlines()
        assert header == "name,handle,state,joined_at,message,actor"
        assert row.startswith("Jo,jo@") and ",going," in row
        assert row.endswith(f",I can drive.,{jo.id}")

        # Joining a cancelled event, or one that does not exist, is refused on the wire.
        await a.acli("cancel", "--data", a.data, "climate", event.rsplit("/", 1)[1], "--as", "org")
        refused = await mobilizon.post(f"{a.base_url}/inbox", join(sam, 2), sam)
        assert refused.status == 409
        missing = await mobilizon.post(
            f"{a.base_url}/inbox", join(sam, 3, f"{a.base_url}/hubs/climate/posts/999"), sam
        )
        assert missing.status == 404
        assert len(a.query("SELECT 1 FROM inbox_items WHERE type = 'Join'")) == 2
        await arrived(b, event, lambda d: d["ical:status"] == "CANCELLED", "the cancellation")
