"""Removing posts from a hub, remote moderators acting (FEP-1b12) and first posts held for
review, on one app with remote servers on loopback: what goes out, what is logged, and every
refusal (a non-moderator, a moderator of another hub, a post the hub does not carry, a forged
Delete, a crafted form for another hub's post, a missing reason)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import services_key
from fedihub.moderation import conduct, log
from fedihub.moderation.authority import local_moderator
from fedihub.services import Services
from tests.http.test_groups import drain as run_workers
from tests.http.test_groups import mention
from tests.support.fixtures import load
from tests.support.network import eventually
from tests.support.remote import RemoteActor, RemoteServer
from tests.support.web import HTML, form_token, sign_in

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_account(services.db, "bo", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)
    await create_hub(services.db, "labor", name="Labor", organizer=ana)
    return await require_hub(services.db, "climate")


async def follow_hub(remote: RemoteServer, services: Services, hub: LocalActor) -> RemoteActor:
    fay = remote.add_actor("fay", key="alice", host_index=1, shared_inbox=False)
    names = {"https://mastodon.example/users/alice": fay.id,
             "https://mastodon.example": remote.base_url(1),
             "https://fedihub.example/hubs/climate": hub.uri(services.config.base_url)}  # fmt: skip
    assert (await remote.post(f"{names['https://fedihub.example/hubs/climate']}/inbox",
                              load("mastodon-follow", **names), fay)).ok  # fmt: skip
    return fay


async def carried_post(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> tuple[RemoteActor, RemoteActor, str]:
    """A follower on host 1 and a member on host 0 whose post the hub carries."""
    fay = await follow_hub(remote, services, hub)
    await drain(app_client)  # fay follows before mia posts: two actors' items run side by side
    mia = remote.add_actor("mia", shared_inbox=False)
    await membership.set_member(services, hub, mia.id)
    hub_uri = hub.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", mention(mia, hub_uri, 1,
                              "<p>Buy my bikes</p>"), mia)).ok  # fmt: skip
    await drain(app_client)
    return fay, mia, f"{mia.id}/notes/1"


async def drain(app_client: TestClient) -> None:
    """Runs the workers until nothing is left, also waiting out what the app's own workers
    (woken by NOTIFY on PostgreSQL) took meanwhile: an activity being handled, a delivery in
    flight. Then what was sent has arrived."""
    db = app_client.app[services_key].db

    async def settled() -> bool:
        await run_workers(app_client)
        busy = await db.fetchall(
            "SELECT 1 FROM inbox_items WHERE state IN ('pending', 'running') UNION ALL"
            " SELECT 1 FROM deliveries WHERE state = 'running'"
        )
        return not busy

    await eventually(settled, what="the inbox and deliveries to settle")


def received(remote: RemoteServer, path: str, kind: str) -> list[dict[str, Any]]:
    return [r.activity for r in remote.received_by(path) if r.activity["type"] == kind]


async def remove_form(
    app_client: TestClient, slug: str, object_uri: str, **fields: str
) -> tuple[int, str]:
    token = await form_token(app_client, "/hubs/climate")
    data = {"csrf": token, "object": object_uri, **fields}
    resp = await app_client.post(f"/hubs/{slug}/moderate/post", data=data, allow_redirects=False)
    return resp.status, await resp.text()


async def test_a_moderator_removes_a_carried_post_from_the_web_and_it_is_undone_everywhere(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, mia, note = await carried_post(app_client, services, remote, hub)
    boosts = received(remote, "/users/fay", "Announce")
    assert len(boosts) == 2  # the boost and the Announce of the Create
    await sign_in(app_client, "ana")
    page = await app_client.get("/hubs/climate", headers=HTML)
    assert "Buy my bikes" in await page.text() and "moderate/post?object=" in await page.text()
    form = await app_client.get("/hubs/climate/moderate/post", params={"object": note})
    assert form.status == 200 and "Buy my bikes" in await form.text()

    status, _ = await remove_form(app_client, "climate", note, reason="Selling things")
    assert status == 303
    await drain(app_client)
    undone = {u["object"]["id"] for u in received(remote, "/users/fay", "Undo")}
    assert undone == {b["id"] for b in boosts}  # both forms taken back
    [removal] = [a for a in received(remote, "/users/fay", "Announce") if a not in boosts]
    delete = removal["object"]  # Lemmy's form: the moderator's Delete, announced by the hub
    assert delete["type"] == "Delete" and delete["object"] == note
    assert delete["summary"] == "Selling things" and delete["actor"].endswith("/users/ana")
    [told] = received(remote, "/users/mia", "Create")
    assert told["object"]["to"] == [mia.id] and "Selling things" in told["object"]["content"]
    [entry] = await log.recent(services.db, hub.id)
    assert (entry.action, entry.target_uri, entry.by_label) == ("remove_post", note, "ana")
    assert entry.target_label == "Buy my bikes"
    assert "Buy my bikes" not in await (await app_client.get("/hubs/climate")).text()
    outbox = await app_client.get("/hubs/climate/outbox?page=1", headers={"Accept":
                                  "application/activity+json"})  # fmt: skip
    assert "Buy my bikes" not in await outbox.text()
    # It is never carried again, and cannot be removed twice.
    again = mention(mia, hub.uri(services.config.base_url), 1, "<p>Buy my bikes</p>")
    again["id"] += "/again"
    assert (await remote.post(f"{hub.uri(services.config.base_url)}/inbox", again, mia)).ok
    await drain(app_client)
    assert len(received(remote, "/users/fay", "Announce")) == 3
    status, _ = await remove_form(app_client, "climate", note, reason="again")
    assert status == 404


async def test_refused_removals_send_nothing(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, _, note = await carried_post(app_client, services, remote, hub)
    before = await services.db.fetchval("SELECT count(*) FROM outbox_activities")
    await sign_in(app_client, "ana")
    status, text = await remove_form(app_client, "climate", note, reason="  ")
    assert status == 400 and "reason" in text  # the form again, with the error
    status, _ = await remove_form(app_client, "labor", note, reason="crafted")  # not labor's
    assert status == 404
    other = f"{services.config.base_url}/hubs/labor/posts/1"
    status, _ = await remove_form(app_client, "climate", other, reason="another hub's post")
    assert status == 404
    resp = await app_client.post("/hubs/climate/moderate/post",
                                 data={"object": note, "reason": "no csrf"})  # fmt: skip
    assert resp.status == 403
    app_client.session.cookie_jar.clear()
    await sign_in(app_client, "bo")  # no moderator of climate
    assert (await app_client.get("/hubs/climate/moderate/post", params={"object": note})).status \
        == 403  # fmt: skip
    status, _ = await remove_form(app_client, "climate", note, reason="I dislike it")
    assert status == 403
    assert await services.db.fetchval("SELECT count(*) FROM outbox_activities") == before
    assert await log.recent(services.db, hub.id) == []


async def test_a_clause_is_required_where_the_code_has_clauses_and_a_report_is_resolved(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, _, note = await carried_post(app_client, services, remote, hub)
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    await conduct.set_code(services, ana, hub, "1. No selling.\n2. Be kind.\n")
    from fedihub.reports import store as reports

    async with services.db.transaction() as tx:
        await reports.save(tx, hub.id, "https://m.example/flag/1", "https://m.example/u",
                           [note], "spam", 1.0)  # fmt: skip
    [report] = await reports.open_reports(services.db, hub.id)
    await sign_in(app_client, "ana")
    form = await app_client.get("/hubs/climate/moderate/post",
                                params={"object": note, "report": str(report.id)})  # fmt: skip
    assert "Hub code v1 §1: No selling." in await form.text()
    status, _ = await remove_form(app_client, "climate", note, reason="Selling")
    assert status == 400  # no clause named
    status, _ = await remove_form(app_client, "climate", note, reason="Selling", clause="hub:1",
                                  report=str(report.id))  # fmt: skip
    assert status == 303
    entry = next(e for e in await log.recent(services.db, hub.id) if e.action == "remove_post")
    assert entry.clause == "Hub code v1 §1: No selling." and entry.report_id == report.id
    assert await reports.open_reports(services.db, hub.id) == []


async def test_a_hubs_own_post_is_deleted_by_removal_and_logged(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    from fedihub.posts import service as posts

    ana = await require_account(services.db, "ana")
    post = await posts.publish(services, hub, ana, "update", "Rent strike on Friday")
    uri = f"{hub.uri(services.config.base_url)}/posts/{post.id}"
    await sign_in(app_client, "ana")
    page = await (await app_client.get(f"/hubs/climate/posts/{post.id}")).text()
    assert "moderate/post?object=" in page  # the link, for its moderators
    status, _ = await remove_form(app_client, "climate", uri, reason="Wrong date")
    assert status == 303
    assert (await app_client.get(f"/hubs/climate/posts/{post.id}")).status == 410
    [entry] = await log.recent(services.db, hub.id)
    assert entry.action == "remove_post" and entry.target_label == "Rent strike on Friday"
    deletes = await services.db.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE type = 'Delete'"
    )
    assert deletes == 1


def delete_of(actor: RemoteActor, note: str, n: int = 1, **more: Any) -> dict[str, Any]:
    return {"id": f"{actor.id}/delete/{n}", "type": "Delete", "actor": actor.id, "object": note,
            "to": [PUBLIC], "summary": "spam", **more}  # fmt: skip


async def test_a_listed_remote_moderator_removes_with_delete_or_remove_and_others_are_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, mia, note = await carried_post(app_client, services, remote, hub)
    hub_uri = hub.uri(services.config.base_url)
    labor = await require_hub(services.db, "labor")
    stranger = remote.add_actor("sid", host_index=1, shared_inbox=False)
    other_mod = remote.add_actor("olga", host_index=1, shared_inbox=False)
    mod = remote.add_actor("max", host_index=1, shared_inbox=False)
    await membership.set_member(services, labor, other_mod.id, role="moderator")
    await membership.set_member(services, hub, mod.id, role="moderator")
    for sender in (stranger, other_mod):  # neither author nor this hub's moderator
        assert (await remote.post(f"{hub_uri}/inbox", delete_of(sender, note), sender)).status \
            == 403  # fmt: skip
    remove = {"id": f"{other_mod.id}/remove/1", "type": "Remove", "actor": other_mod.id,
              "object": note, "target": f"{hub_uri}/outbox"}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", remove, other_mod)).status == 403
    not_carried = delete_of(mod, f"{mia.id}/notes/77")  # nothing of ours carries it
    assert (await remote.post(f"{hub_uri}/inbox", not_carried, mod)).status == 403
    unsigned = await app_client.post(f"{hub.path()}/inbox", json=delete_of(mod, note, 2))
    assert unsigned.status == 401
    forged = delete_of(mod, note, 3)
    assert (await remote.post(f"{hub_uri}/inbox", forged, stranger)).status == 401  # other key
    await drain(app_client)
    assert await log.recent(services.db, hub.id) == []

    remove = {"id": f"{mod.id}/remove/1", "type": "Remove", "actor": mod.id, "object": note,
              "target": f"{hub_uri}/outbox", "summary": "<p>spam</p>"}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", remove, mod)).status == 202
    await drain(app_client)
    [entry] = await log.recent(services.db, hub.id)
    assert (entry.action, entry.by_uri, entry.reason) == ("remove_post", mod.id, "spam")
    passed = [a["object"] for a in received(remote, "/users/fay", "Announce")]
    assert remove in passed  # the moderator's own activity, passed on as it came
    assert len(received(remote, "/users/fay", "Undo")) == 2


async def test_a_remote_moderator_delete_removes_too(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, _, note = await carried_post(app_client, services, remote, hub)
    mod = remote.add_actor("max", host_index=1, shared_inbox=False)
    await membership.set_member(services, hub, mod.id, role="moderator")
    hub_uri = hub.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", delete_of(mod, note), mod)).status == 202
    await drain(app_client)
    assert (await groups.carried(services.db, hub.id, note)).removed_at is not None  # type: ignore[union-attr]
    assert [e.by_uri for e in await log.recent(services.db, hub.id)] == [mod.id]


async def test_remote_moderators_are_asked_about_held_posts_and_decide_by_reply_or_accept(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    fay = await follow_hub(remote, services, hub)
    mod = remote.add_actor("max", host_index=1, shared_inbox=False)
    await membership.set_member(services, hub, mod.id, role="moderator")
    sid, sue = (remote.add_actor(n, shared_inbox=False) for n in ("sid", "sue"))
    hub_uri = hub.uri(services.config.base_url)
    for n, author in enumerate((sid, sue)):
        assert (await remote.post(f"{hub_uri}/inbox", mention(author, hub_uri, n,
                                  f"<p>Post {n}</p>"), author)).ok  # fmt: skip
    await drain(app_client)
    asked = received(remote, "/users/max", "Create")
    assert len(asked) == 2 and "approve" in asked[0]["object"]["content"]
    assert "Post 0" in asked[0]["object"]["content"]
    # Someone not listed answers: refused; a moderator of nothing here neither.
    accept = {"id": f"{fay.id}/accept/1", "type": "Accept", "actor": fay.id,
              "object": f"{sid.id}/notes/0"}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", accept, fay)).status == 403
    # The moderator replies "approve" to the first message.
    reply = {"id": f"{mod.id}/notes/r1", "type": "Note", "attributedTo": mod.id,
             "inReplyTo": asked[0]["object"]["id"], "to": [hub_uri],
             "content": f'<p><a href="{hub_uri}">@climate</a> Approve, thanks</p>'}  # fmt: skip
    create = {"id": f"{reply['id']}/activity", "type": "Create", "actor": mod.id,
              "object": reply}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", create, mod)).ok
    # And rejects the second with a Reject of its Create.
    reject = {"id": f"{mod.id}/reject/1", "type": "Reject", "actor": mod.id,
              "object": f"{sue.id}/notes/1/activity"}  # fmt: skip
    assert (await remote.post(f"{hub_uri}/inbox", reject, mod)).status == 202
    await drain(app_client)
    assert await groups.queued(services.db, hub.id) == []
    decided = {(e.action, e.target_uri, e.by_uri) for e in await log.recent(services.db, hub.id)}
    assert decided == {("approve_post", f"{sid.id}/notes/0", mod.id),
                       ("reject_post", f"{sue.id}/notes/1", mod.id)}  # fmt: skip
    shared = [a["object"] for a in received(remote, "/users/fay", "Announce")]
    assert f"{sid.id}/notes/0" in shared and f"{sue.id}/notes/1" not in shared


async def test_first_posts_wait_for_review_then_are_carried_at_once(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    await sign_in(app_client, "ana")
    token = await form_token(app_client, "/hubs/climate/manage")
    data = {"csrf": token, "name": "Climate", "review_first_posts": "1"}
    resp = await app_client.post("/hubs/climate/manage/settings", data=data,
                                 allow_redirects=False)  # fmt: skip
    assert resp.status == 303
    data["review_first_posts"] = "-3"
    assert (await app_client.post("/hubs/climate/manage/settings", data=data)).status == 400
    assert await groups.review_first_posts(services.db, hub.id) == 1
    mia = remote.add_actor("mia", shared_inbox=False)
    await membership.set_member(services, hub, mia.id)
    hub_uri = hub.uri(services.config.base_url)
    assert (await remote.post(f"{hub_uri}/inbox", mention(mia, hub_uri, 1), mia)).ok
    await drain(app_client)
    [held] = await groups.queued(services.db, hub.id)
    assert held.reason == "first posts"
    data = {"csrf": token, "item": str(held.id), "action": "approve"}
    resp = await app_client.post("/hubs/climate/manage/queue", data=data, allow_redirects=False)
    assert resp.status == 303
    assert [e.action for e in await log.recent(services.db, hub.id)] == ["approve_post"]
    assert (await remote.post(f"{hub_uri}/inbox", mention(mia, hub_uri, 2), mia)).ok
    await drain(app_client)
    assert await groups.queued(services.db, hub.id) == []  # the second is carried at once
    carried = {r[0] for r in await services.db.fetchall("SELECT object_uri FROM reshares")}
    assert carried == {f"{mia.id}/notes/1", f"{mia.id}/notes/2"}


async def test_an_undone_boost_from_a_followed_hub_is_forgotten(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    group = remote.add_actor("labor", actor_type="Group")
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, group.id)
    )
    boost = {"id": f"{group.id}/announce/1", "type": "Announce", "actor": group.id,
             "object": f"{group.id}/notes/1", "to": [PUBLIC]}  # fmt: skip
    assert (await remote.post(f"{hub.uri(services.config.base_url)}/inbox", boost, group)).ok
    undo = {"id": f"{group.id}/undo/1", "type": "Undo", "actor": group.id,
            "object": {k: boost[k] for k in ("id", "type", "actor", "object")}}  # fmt: skip
    assert (await remote.post(f"{hub.uri(services.config.base_url)}/inbox", undo, group)).ok
    await drain(app_client)
    deleted = await services.db.fetchval(
        "SELECT deleted_at FROM received_objects WHERE uri = ?", (boost["id"],)
    )
    assert deleted is not None
