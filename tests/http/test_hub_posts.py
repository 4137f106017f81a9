"""Hub posts within one instance: what arrives from Mobilizon and the pasture's Articles, the
checks made before an activity is stored, the scheduler's occurrences and batched counts, and
the calendar and Atom feeds read back by independent parsers."""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
from aiohttp.test_utils import TestClient
from fediverse_pasture_inputs import available

from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.events import participation
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key, scheduler_key
from fedihub.polls.store import question_fields
from fedihub.posts import service as posts
from fedihub.posts import store as post_store
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer

NEW_YORK = ZoneInfo("America/New_York")
DAY = 86_400.0


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "climate", name="Climate", timezone="America/New_York")
    found = await store.get_actor(services.db, "group", "climate")
    assert found is not None
    return found


async def follow(services: Services, hub: LocalActor, actor_uri: str) -> None:
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, ?, 'accepted', 0)", (hub.id, actor_uri, actor_uri)
    )


def mobilizon_create(remote: RemoteServer, member: str, group: str) -> dict:
    event = load("mobilizon-event", **{
        "https://mobilizon.example/@relief_nyc": group,
        "https://mobilizon.example/@jo": member,
        "https://mobilizon.example": remote.base_url(),
    })  # fmt: skip
    return {"@context": event["@context"], "id": event["id"] + "/activity", "type": "Create",
            "actor": member, "to": event["to"], "cc": event["cc"], "object": event}  # fmt: skip


async def test_a_mobilizon_group_event_posted_by_a_member_reaches_the_dashboard(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    group = remote.add_actor("relief_nyc", actor_type="Group")
    jo = remote.add_actor("jo", key="alice")
    await follow(services, hub, group.id)
    create = mobilizon_create(remote, jo.id, group.id)
    remote.publish(create["object"])  # the group's server serves the event at its id
    create["object"] = {**create["object"], "name": "Forged by a member"}
    assert (await remote.post(f"{services.config.base_url}/inbox", create, jo)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    row = await services.db.fetchone("SELECT attributed_to, starts_at FROM received_objects")
    assert row is not None and row["attributed_to"] == group.id
    assert row["starts_at"] == dt.datetime(2031, 3, 29, 14, 0, tzinfo=dt.UTC).timestamp()
    page = await (await app_client.get("/hubs/climate")).text()
    assert "Forged by a member" not in page  # the group's server's copy is what we keep
    for shown in ("Community kitchen for storm relief", "Community hall, 123 Beach St, Rockaway",
                  "28 going of 40", "(America/New_York)", "Bring knives and aprons."):  # fmt: skip
        assert shown in page


async def test_a_group_object_its_server_does_not_attribute_to_the_group_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    group = remote.add_actor("relief_nyc", actor_type="Group")
    jo = remote.add_actor("jo", key="alice")
    await follow(services, hub, group.id)
    create = mobilizon_create(remote, jo.id, group.id)
    remote.publish({**create["object"], "attributedTo": jo.id})  # really jo's own event
    assert (await remote.post(f"{services.config.base_url}/inbox", create, jo)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    assert await services.db.fetchval("SELECT count(*) FROM received_objects") == 0
    error = await services.db.fetchval("SELECT error FROM inbox_items")
    assert "does not attribute it to that group" in error


async def test_a_member_cannot_publish_for_another_person(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    bob = remote.add_actor("bob")
    jo = remote.add_actor("jo", key="alice")
    await follow(services, hub, bob.id)
    resp = await remote.post(
        f"{services.config.base_url}/inbox", mobilizon_create(remote, jo.id, bob.id), jo
    )
    assert resp.status == 403
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_an_update_of_another_actors_object_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    alice = remote.add_actor("alice", key="alice")
    mallory = remote.add_actor("mallory", key="mallory")
    await follow(services, hub, alice.id)
    note = {"id": f"{alice.id}/notes/1", "type": "Note", "attributedTo": alice.id,
            "content": "<p>ours</p>"}  # fmt: skip
    create = {"id": f"{alice.id}/c/1", "type": "Create", "actor": alice.id, "object": note}
    assert (await remote.post(f"{services.config.base_url}/inbox", create, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    forged = {**note, "attributedTo": mallory.id, "content": "<p>theirs</p>"}
    update = {"id": f"{mallory.id}/u/1", "type": "Update", "actor": mallory.id, "object": forged}
    resp = await remote.post(f"{services.config.base_url}/inbox", update, mallory)
    assert resp.status == 403 and "only the actor who sent" in (await resp.json())["error"]
    assert "ours" in await services.db.fetchval("SELECT document FROM received_objects")


async def test_the_pastures_articles_arrive_clean_on_the_dashboard(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    alice = remote.add_actor("alice", key="alice")
    await follow(services, hub, alice.id)
    examples = [e for e in available["html_tags_article"].examples if isinstance(e, dict)]
    for n, example in enumerate(examples):
        article = {**example, "id": f"{alice.id}/a/{n}", "attributedTo": alice.id,
                   "name": f"Pasture article {n}"}  # fmt: skip
        create = {"id": f"{alice.id}/c/{n}", "type": "Create", "actor": alice.id, "object": article}
        assert (await remote.post(f"{services.config.base_url}/inbox", create, alice)).status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert await services.db.fetchval("SELECT count(*) FROM received_objects") == len(examples)
    page = await (await app_client.get("/hubs/climate")).text()
    assert page.count("Pasture article") == min(len(examples), 20)  # the newest 20 are shown
    assert "<script>alert" not in page and "onerror=" not in page


async def test_join_is_refused_on_the_wire_for_what_cannot_be_joined(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    sam = remote.add_actor("sam")
    update = await posts.publish(services, hub, None, "update", "Just news.")
    over = "---\ntitle: Last year\nstart: 2025-01-01 10:00\nend: 2025-01-01 11:00\n---\n"
    past = await posts.publish(services, hub, None, "event", over)
    base = hub.uri(services.config.base_url)
    cases = [(update.id, 409, "only events"), (past.id, 409, "is over"), (999, 404, "no")]
    for post_id, status, reason in cases:
        join = {"id": f"{sam.id}/j/{post_id}", "type": "Join", "actor": sam.id,
                "object": f"{base}/posts/{post_id}"}  # fmt: skip
        resp = await remote.post(f"{services.config.base_url}/inbox", join, sam)
        assert resp.status == status and reason in (await resp.json())["error"]
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_a_burst_of_joins_sends_one_update_and_raising_capacity_promotes(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    now = time.time()
    start = dt.datetime.fromtimestamp(now + 2 * DAY, NEW_YORK).strftime("%Y-%m-%d %H:%M")
    end = dt.datetime.fromtimestamp(now + 2 * DAY + 3600, NEW_YORK).strftime("%Y-%m-%d %H:%M")
    text = f"---\ntitle: Picket\nstart: {start}\nend: {end}\ncapacity: 20\n---\n"
    event = await posts.publish(services, hub, None, "event", text, now=now)
    states = [
        await participation.join(services, hub, event, f"https://p.example/u/{n}", f"j{n}", now)
        for n in range(30)
    ]
    assert states.count("going") == 20 and states.count("waitlisted") == 10
    assert await services.db.fetchval("SELECT count(*) FROM pending_updates") == 1
    scheduler = app_client.app[scheduler_key]
    assert (await scheduler.run_once(now + 1)).updates == 0  # not due before the delay
    assert (await scheduler.run_once(now + services.config.count_update_delay_s)).updates == 1
    assert (await scheduler.run_once(now + 600)).updates == 0

    await posts.edit(services, hub, event.id, text.replace("capacity: 20", "capacity: 25"))
    going = await services.db.fetchval(
        "SELECT count(*) FROM event_participants WHERE state = 'going'"
    )
    assert going == 25
    assert await participation.leave(services, hub, event, "https://p.example/u/0", now)
    first_waiting = await services.db.fetchval(
        "SELECT state FROM event_participants WHERE actor_uri = 'https://p.example/u/25'"
    )
    assert first_waiting == "going"


async def test_call_occurrences_are_federated_within_the_lead_time_once(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    monday = dt.date(2026, 10, 19)  # before the US change on 1 November
    text = (f"---\ntitle: Coordination\nstart: {monday} 20:00\nend: {monday} 21:00\n"
            "schedule: FREQ=WEEKLY;BYDAY=MO\ndial_in: +1 555 0100\n---\n")  # fmt: skip
    t0 = dt.datetime(2026, 10, 18, 12, tzinfo=dt.UTC).timestamp()
    series = await posts.publish(services, hub, None, "call", text, now=t0)
    scheduler = app_client.app[scheduler_key]
    for week in range(1, 4):
        assert (await scheduler.run_once(t0 + week * 7 * DAY)).occurrences == 1
    assert (await scheduler.run_once(t0 + 3 * 7 * DAY)).occurrences == 0  # restarts are safe
    rows = await services.db.fetchall(
        "SELECT starts_at FROM posts WHERE series_id = ? ORDER BY starts_at", (series.id,)
    )
    local = [dt.datetime.fromtimestamp(r[0], NEW_YORK) for r in rows]
    assert [(m.date().isoformat(), m.hour) for m in local] == [
        ("2026-10-19", 20), ("2026-10-26", 20), ("2026-11-02", 20), ("2026-11-09", 20)
    ]  # fmt: skip
    assert [m.utcoffset() for m in local][1:3] == [dt.timedelta(hours=-4), dt.timedelta(hours=-5)]
    creates = await services.db.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE type = 'Create'"
    )
    assert creates == 5  # the series and its four occurrences


async def test_feeds_parse_in_independent_parsers(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    await posts.publish(services, hub, None, "update", "# Buses\n\nLeave at noon & not later.")
    await posts.publish(services, hub, None, "minutes", "---\nmeeting_date: 2026-11-16\n---\nOk.")
    before = await posts.publish(services, hub, None, "event", (
        "---\ntitle: Before\nstart: 2027-10-30 19:00\nend: 2027-10-30 20:00\n---\n"))  # fmt: skip
    after = await posts.publish(services, hub, None, "event", (
        "---\ntitle: After\nstart: 2027-11-08 19:00\nend: 2027-11-08 20:00\n---\n"))  # fmt: skip
    await posts.cancel(services, hub, after.id)

    resp = await app_client.get("/hubs/climate/calendar.ics")
    assert resp.status == 200 and resp.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(await resp.read())
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert events["Before"].decoded("DTSTART").astimezone(dt.UTC).hour == 23  # EDT, -4
    assert events["After"].decoded("DTSTART").astimezone(dt.UTC).hour == 0  # EST, -5
    assert str(events["After"]["STATUS"]) == "CANCELLED"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"
    one = icalendar.Calendar.from_ical(
        await (await app_client.get(f"/hubs/climate/posts/{before.id}.ics")).read()
    )
    assert [str(e["SUMMARY"]) for e in one.walk("VEVENT")] == ["Before"]
    everything = icalendar.Calendar.from_ical(await (await app_client.get("/calendar.ics")).read())
    assert len(everything.walk("VEVENT")) == 2

    for path in ("/hubs/climate/feed.atom", "/feed.atom"):
        resp = await app_client.get(path)
        assert resp.content_type == "application/atom+xml"
        feed = feedparser.parse(await resp.read())
        assert not feed.bozo, feed.get("bozo_exception")
        titles = [e.title for e in feed.entries]
        assert titles == ["Minutes of 2026-11-16", "Buses"]  # updates and minutes, newest first
        assert "noon &amp; not later" in feed.entries[1].summary
    page = await (await app_client.get("/hubs/climate")).text()
    assert 'type="text/calendar"' in page and 'type="application/atom+xml"' in page
    assert '<meta property="og:title" content="Climate">' in page


async def test_a_refused_join_also_gets_a_reject_and_a_repeat_join_a_fresh_accept(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    sam = remote.add_actor("sam")
    base = hub.uri(services.config.base_url)
    over = "---\ntitle: Last year\nstart: 2025-01-01 10:00\nend: 2025-01-01 11:00\n---\n"
    past = await posts.publish(services, hub, None, "event", over)
    late = {"id": f"{sam.id}/j/1", "type": "Join", "actor": sam.id,
            "object": f"{base}/posts/{past.id}"}  # fmt: skip
    assert (await remote.post(f"{services.config.base_url}/inbox", late, sam)).status == 409
    soon = time.time() + DAY
    start = dt.datetime.fromtimestamp(soon, NEW_YORK).strftime("%Y-%m-%d %H:%M")
    end = dt.datetime.fromtimestamp(soon + 3600, NEW_YORK).strftime("%Y-%m-%d %H:%M")
    event = await posts.publish(services, hub, None, "event",
                                f"---\ntitle: Soon\nstart: {start}\nend: {end}\n---\n")  # fmt: skip
    for n in (2, 3):  # the second Join: their server missed our first Accept
        join = {"id": f"{sam.id}/j/{n}", "type": "Join", "actor": sam.id,
                "object": f"{base}/posts/{event.id}"}  # fmt: skip
        assert (await remote.post(f"{services.config.base_url}/inbox", join, sam)).status == 202
        await app_client.app[inbox_worker_key].run_once()
    while await app_client.app[delivery_worker_key].run_once():
        pass
    answers = [(r.activity["type"], r.activity["object"]["id"])
               for r in remote.received_by("/users/sam/inbox")]  # fmt: skip
    assert sorted(answers) == [
        ("Accept", f"{sam.id}/j/2"), ("Accept", f"{sam.id}/j/3"), ("Reject", f"{sam.id}/j/1")
    ]  # fmt: skip


async def test_editing_a_calls_length_moves_its_occurrences_end(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    now = time.time()
    day = dt.datetime.fromtimestamp(now + DAY, NEW_YORK).date()
    text = (f"---\ntitle: Coordination\nstart: {day} 20:00\nend: {day} 21:00\n"
            "schedule: FREQ=WEEKLY\ndial_in: +1 555 0100\n---\n")  # fmt: skip
    series = await posts.publish(services, hub, None, "call", text, now=now)
    await posts.edit(services, hub, series.id, text.replace("21:00", "22:30"), now=now)
    rows = await services.db.fetchall(
        "SELECT ends_at - starts_at, updated_at FROM posts WHERE series_id = ?", (series.id,)
    )
    assert [(r[0], r[1]) for r in rows] == [(9000.0, now)]
    with pytest.raises(BadRequest, match="one occurrence of call"):
        occurrence_id = await services.db.fetchval(
            "SELECT id FROM posts WHERE series_id = ?", (series.id,)
        )
        await posts.edit(services, hub, occurrence_id, text)


async def test_a_calendar_is_kept_until_its_posts_change(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    text = "---\ntitle: Picket\nstart: 2027-03-01 10:00\nend: 2027-03-01 12:00\n---\n"
    event = await posts.publish(services, hub, None, "event", text)
    first = await app_client.get("/hubs/climate/calendar.ics")
    etag = first.headers["ETag"]
    again = await app_client.get("/hubs/climate/calendar.ics", headers={"If-None-Match": etag})
    assert again.status == 304
    await posts.cancel(services, hub, event.id)
    changed = await app_client.get("/hubs/climate/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert b"STATUS:CANCELLED" in await changed.read()


async def test_a_hubs_lists_of_newest_posts_come_in_one_query_as_each_alone(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    """posts.latest_posts_of (a hub's page reads its four sections with it) gives each list as
    latest_posts would: newest first, cut to its limit, a kind in two lists in both, deleted
    posts and a call's occurrences left out, and a list naming no kind gets every kind."""
    t0 = dt.datetime(2026, 10, 18, 12, tzinfo=dt.UTC).timestamp()
    ids: dict[str, list[int]] = {"update": [], "poll": [], "proposal": [], "call": []}

    async def add(kind: str, text: str) -> int:
        post = await posts.publish(services, hub, None, kind, text, now=t0)
        ids[kind].append(post.id)
        return post.id

    for n in range(4):
        await add("update", f"Update {n}")
    closes = "---\ncloses: 2026-12-08 20:00\n---\n"
    await add("poll", closes + "March?")
    await add("proposal", "---\ntitle: Rent strike\ncloses: 2026-12-08 20:00\n---\nAgree?")
    await add("update", "Update 4")
    await add("poll", closes + "Picnic?")
    weekly = ("---\ntitle: Weekly\nstart: 2026-10-19 20:00\nend: 2026-10-19 21:00\n"
              "schedule: FREQ=WEEKLY;BYDAY=MO\ndial_in: +1 555 0100\n---\n")  # fmt: skip
    series = await add("call", weekly)
    await app_client.app[scheduler_key].run_once(t0 + 7 * DAY)  # the call's first occurrences
    deleted = await add("update", "Update 5, deleted")
    await posts.delete(services, hub, deleted, now=t0 + 3600)
    occurrences = await services.db.fetchval(
        "SELECT count(*) FROM posts WHERE series_id = ?", (series,)
    )
    assert occurrences >= 1  # they are there, and must not be listed

    updates, questions, both, calls, every = await post_store.latest_posts_of(
        services.db, hub.id,
        [(("update",), 3), (("poll", "proposal"), 10), (("proposal", "update"), 2),
         (("call",), 5), ((), 4)],
    )  # fmt: skip
    assert [p.id for p in calls] == [series]
    live_updates = [i for i in ids["update"] if i != deleted]
    assert [p.id for p in updates] == sorted(live_updates, reverse=True)[:3]
    assert [p.id for p in questions] == sorted(ids["poll"] + ids["proposal"], reverse=True)
    assert [p.id for p in both] == sorted(live_updates + ids["proposal"], reverse=True)[:2]
    everything = live_updates + ids["poll"] + ids["proposal"] + [series]
    assert [p.id for p in every] == sorted(everything, reverse=True)[:4]
    for kinds, limit in [(("update",), 3), (("poll", "proposal"), 10), ((), 4)]:
        alone = await post_store.latest_posts(services.db, hub.id, limit, kinds)
        assert [p.id for p in alone] == [p.id for p in {3: updates, 10: questions, 4: every}[limit]]


async def test_a_post_read_again_is_shared_until_any_of_its_columns_changes(
    services: Services, hub: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts read from the database are kept by their whole row (a page rendered on every
    request reads the same posts each time): the same row gives the same Post, and its typed
    fields are worked out once; a change to any column, even one no edit stamps with
    updated_at, is read as it is now."""
    closes = "---\ncloses: 2026-12-08 20:00\n---\n"
    poll = await posts.publish(services, hub, None, "poll", closes + "March?")
    first = await post_store.get_post_by_id(services.db, poll.id)
    again = await post_store.get_post_by_id(services.db, poll.id)
    assert first is not None and again is first
    assert question_fields(again) is question_fields(first)

    await services.db.execute("UPDATE posts SET closed_at = 1234.5 WHERE id = ?", (poll.id,))
    closed = await post_store.get_post_by_id(services.db, poll.id)
    assert closed is not None and closed.closed_at == 1234.5 and first.closed_at is None

    fields = {**first.fields, "language": "es", "outcome": "carried"}
    await services.db.execute(
        "UPDATE posts SET fields = ? WHERE id = ?", (json.dumps(fields), poll.id)
    )
    relabelled = await post_store.get_post_by_id(services.db, poll.id)
    assert relabelled is not None and relabelled.fields["language"] == "es"
    assert question_fields(relabelled).outcome == "carried"
    assert question_fields(first).outcome is None
    assert "language" not in first.fields or first.fields["language"] != "es"

    monkeypatch.setattr(post_store, "_KEEP_READ", 3)
    for n in range(5):
        update = await posts.publish(services, hub, None, "update", f"Update {n}")
        assert await post_store.get_post_by_id(services.db, update.id) is not None
        assert len(post_store._ALREADY_READ) <= 3
