"""Straw polls and proposals within one instance: votes shaped as Mastodon sends them, every way a
vote can be wrong, replies that are not votes, the invitation to ask questions, closing, the live
tally stream, and a burst of 1,000 votes costing a bounded number of Update{Question}s."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key, scheduler_key
from fedihub.polls import service as polls
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteActor, RemoteServer


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_hub(services.db, "climate", name="Climate", timezone="UTC")
    found = await store.get_actor(services.db, "group", "climate")
    assert found is not None
    return found


def closing_in(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + seconds))


async def straw_poll(services: Services, hub: LocalActor, extra: str = "") -> tuple[Post, str]:
    text = f"---\ncloses: {closing_in(3600)}\n{extra}---\nShall we march on Saturday?\n"
    post = await posts.publish(services, hub, None, "poll", text)
    return post, f"{hub.uri(services.config.base_url)}/posts/{post.id}"


def vote(voter: RemoteActor, poll_uri: str, option: str, n: int = 1) -> dict:
    activity = load("mastodon-poll-vote")
    activity.update(id=f"{voter.id}#votes/{n}/activity", actor=voter.id, to=poll_uri)
    activity["object"].update(id=f"{voter.id}#votes/{n}", attributedTo=voter.id,
                              name=option, inReplyTo=poll_uri, to=poll_uri)  # fmt: skip
    return activity


async def send(services: Services, hub: LocalActor, activity: dict, voter: RemoteActor, remote):
    inbox = f"{hub.uri(services.config.base_url)}/inbox"  # votes go to the personal inbox
    return await remote.post(inbox, activity, voter)


async def counts(services: Services, post: Post) -> list[int]:
    rows = await services.db.fetchall(
        "SELECT choice, count(*) FROM poll_votes WHERE post_id = ? AND counted = 1"
        " GROUP BY choice", (post.id,)
    )  # fmt: skip
    found = dict(rows)
    return [found.get(i, 0) for i in range(len(post.fields["options"]))]


async def question_json(app_client: TestClient, uri: str) -> dict[str, Any]:
    path = uri.split("/", 3)[3]
    resp = await app_client.get("/" + path, headers={"Accept": "application/activity+json"})
    return json.loads(await resp.text())


async def test_votes_as_mastodon_sends_them_are_counted_once(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub)
    alice, bob = remote.add_actor("alice", key="alice"), remote.add_actor("bob")
    assert (await send(services, hub, vote(alice, uri, "Agree"), alice, remote)).status == 202
    assert (await send(services, hub, vote(bob, uri, "Disagree"), bob, remote)).status == 202
    again = vote(alice, uri, "Disagree", n=2)  # a second vote in a single-choice poll
    assert (await send(services, hub, again, alice, remote)).status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert await counts(services, poll) == [1, 1, 0]
    question = await question_json(app_client, uri)
    assert question["type"] == "Question" and question["votersCount"] == 2
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [1, 1, 0]
    assert [o["name"] for o in question["oneOf"]] == ["Agree", "Disagree", "I have questions"]
    assert "updated" not in question  # tallies never look like an edit to Mastodon


@pytest.mark.parametrize(
    ("option", "status", "reason"),
    [("Maybe", 400, "not an option"), ("", 400, "not an option")],
)
async def test_a_vote_for_an_option_that_does_not_exist_is_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor,
    option: str, status: int, reason: str,
) -> None:  # fmt: skip
    _, uri = await straw_poll(services, hub)
    alice = remote.add_actor("alice", key="alice")
    resp = await send(services, hub, vote(alice, uri, option), alice, remote)
    assert resp.status == status and reason in (await resp.json())["error"]
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_a_vote_after_the_close_is_refused_and_the_result_goes_out(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub)
    alice = remote.add_actor("alice", key="alice")
    await services.db.execute(  # a follower, to receive the result
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, alice.id)
    )
    assert (await send(services, hub, vote(alice, uri, "Agree"), alice, remote)).ok
    await app_client.app[inbox_worker_key].run_once()
    # Time passes: the poll's end is now behind us (the delivery worker keeps the real clock).
    await services.db.execute(
        "UPDATE posts SET ends_at = ? WHERE id = ?", (time.time() - 1, poll.id)
    )
    scheduler = app_client.app[scheduler_key]
    assert (await scheduler.run_once()).closed == 1
    assert (await scheduler.run_once()).closed == 0  # once
    bob = remote.add_actor("bob")
    late = await send(services, hub, vote(bob, uri, "Agree"), bob, remote)
    assert late.status == 409 and "closed" in (await late.json())["error"]
    while await app_client.app[delivery_worker_key].run_once():
        pass
    updates = [r.activity for r in remote.received if r.activity["type"] == "Update"]
    final = updates[-1]["object"]
    assert final["closed"] == final["endTime"] and final["votersCount"] == 1


async def test_a_reply_is_kept_as_a_reply_not_counted(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub)
    alice = remote.add_actor("alice", key="alice")
    reply = vote(alice, uri, "Agree")
    reply["object"]["content"] = "<p>Agree, but which Saturday?<script>x</script></p>"
    assert (await send(services, hub, reply, alice, remote)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    assert await counts(services, poll) == [0, 0, 0]
    page = await (await app_client.get(f"/hubs/climate/posts/{poll.id}")).text()
    assert "which Saturday?" in page and "<script>x" not in page


async def test_i_have_questions_invites_the_voter_into_the_thread(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    _, uri = await straw_poll(services, hub)
    alice = remote.add_actor("alice", key="alice")
    assert (await send(services, hub, vote(alice, uri, "I have questions"), alice, remote)).ok
    await app_client.app[inbox_worker_key].run_once()
    await app_client.app[delivery_worker_key].run_once()
    (invite,) = [r.activity for r in remote.received_by("/users/alice/inbox")]
    note = invite["object"]
    assert note["inReplyTo"] == uri and note["to"] == [alice.id] and "questions" in note["content"]
    assert note["tag"] == [{"type": "Mention", "href": alice.id,
                            "name": f"@alice@{remote.base_url().split('//')[1]}"}]  # fmt: skip


async def test_members_only_counts_members_and_shows_others_apart(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub, "members_only: true\nquorum: 2\n")
    member, visitor = remote.add_actor("alice", key="alice"), remote.add_actor("bob")
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, member.id)
    )
    for voter in (member, visitor):
        assert (await send(services, hub, vote(voter, uri, "Agree"), voter, remote)).ok
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert await counts(services, poll) == [1, 0, 0]
    page = await (await app_client.get(f"/hubs/climate/posts/{poll.id}")).text()
    assert "(+1 from non-members, not counted)" in page and "quorum 2: not met yet" in page


async def test_a_proposal_for_members_refuses_others_and_shows_blocks(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    text = f"---\ntitle: Adopt the code of conduct\ncloses: {closing_in(3600)}\n---\nAs drafted."
    proposal = await posts.publish(services, hub, None, "proposal", text)
    uri = f"{hub.uri(services.config.base_url)}/posts/{proposal.id}"
    stranger = remote.add_actor("bob")
    resp = await send(services, hub, vote(stranger, uri, "Agree"), stranger, remote)
    assert resp.status == 403 and "only members" in (await resp.json())["error"]
    member = remote.add_actor("alice", key="alice")
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, member.id)
    )
    with pytest.raises(BadRequest, match="a block needs a reason"):
        await polls.respond(services, hub, proposal, member.id, "block", " ", time.time())
    await polls.respond(services, hub, proposal, member.id, "block", "Section 4 excludes people",
                        time.time())  # fmt: skip
    page = await (await app_client.get(f"/hubs/climate/posts/{proposal.id}")).text()
    assert 'role="alert"' in page and "Section 4 excludes people" in page
    assert "1 of 1 people who responded gave their reasons" in page
    await polls.record_outcome(services, hub, proposal, "not-adopted")
    text = await (await app_client.get(f"/hubs/climate/posts/{proposal.id}")).text()
    assert "Outcome: not adopted." in text and "— not adopted" in text


async def test_a_burst_of_1000_votes_costs_a_bounded_number_of_updates(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub)
    followers = [remote.add_actor(f"f{n}", host_index=n % 2) for n in range(20)]
    for f in followers:
        await services.db.execute(
            "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, f.id)
        )
    voters = [remote.add_actor(f"v{n}", host_index=n % 2) for n in range(1000)]
    sent = await asyncio.gather(
        *(send(services, hub, vote(v, uri, "Agree"), v, remote) for v in voters)
    )
    assert {r.status for r in sent} == {202}
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert await counts(services, poll) == [1000, 0, 0]
    scheduler = app_client.app[scheduler_key]
    result = await scheduler.run_once(time.time() + services.config.count_update_delay_s)
    assert result.updates == 1
    updates = await services.db.fetchval(
        "SELECT count(*) FROM outbox_activities WHERE type = 'Update'"
    )
    deliveries = await services.db.fetchval(
        "SELECT count(*) FROM deliveries d JOIN outbox_activities a ON a.id = d.activity_id"
        " WHERE a.type = 'Update'"
    )
    assert updates == 1 and deliveries == 2  # one Update, one per shared inbox (two hosts)


async def test_an_open_proposal_takes_anyone_and_its_result_goes_into_the_minutes(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    text = f"---\ntitle: Share the van\ncloses: {closing_in(3600)}\nwho: anyone\n---\nWith Tampa."
    proposal = await posts.publish(services, hub, None, "proposal", text)
    uri = f"{hub.uri(services.config.base_url)}/posts/{proposal.id}"
    stranger = remote.add_actor("bob")
    assert (await send(services, hub, vote(stranger, uri, "Agree"), stranger, remote)).ok
    await app_client.app[inbox_worker_key].run_once()
    reason = vote(stranger, uri, "Agree", n=2)
    reason["object"]["content"] = "<p>Tampa needs it more on weekdays.</p>"
    assert (await send(services, hub, reason, stranger, remote)).ok
    await app_client.app[inbox_worker_key].run_once()
    await polls.record_outcome(services, hub, proposal, "adopted")
    notes = f"---\nmeeting_date: 2026-11-23\nproposals: [{proposal.id}]\n---\nQuick call."
    minutes = await posts.publish(services, hub, None, "minutes", notes)
    assert minutes.fields["decisions"] == [
        'Proposal "Share the van": Agree 1 · Abstain 0 · Disagree 0 · Block 0 (1 voter; final)'
        " — adopted"
    ]
    page = await (await app_client.get(f"/hubs/climate/posts/{proposal.id}")).text()
    assert "Tampa needs it more on weekdays." in page  # the voter's reply stands as the reason
    with pytest.raises(BadRequest, match="is not a proposal of this hub"):
        await posts.publish(services, hub, None, "minutes",
                            "---\nmeeting_date: 2026-11-23\nproposals: [999]\n---\nx")  # fmt: skip


async def test_a_multiple_choice_poll_counts_each_option_once(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    extra = "multiple: true\noptions: [Saturday, Sunday, Monday]\n"
    poll, uri = await straw_poll(services, hub, extra)
    alice = remote.add_actor("alice", key="alice")
    for n, day in enumerate(["Saturday", "Sunday", "Sunday"]):  # Mastodon: one Create per option
        assert (await send(services, hub, vote(alice, uri, day, n), alice, remote)).ok
    while await app_client.app[inbox_worker_key].run_once():
        pass
    assert await counts(services, poll) == [1, 1, 0]
    question = await question_json(app_client, uri)
    assert "anyOf" in question and question["votersCount"] == 1
    dashboard = await app_client.get("/hubs/climate")
    assert dashboard.status == 200
    assert "Shall we march on Saturday?" in await dashboard.text()  # listed, open


async def test_once_voted_a_polls_options_stay_and_once_closed_it_is_a_record(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    text = f"---\ncloses: {closing_in(3600)}\noptions: [Yes, No]\n---\nStrike?\n"
    poll = await posts.publish(services, hub, None, "poll", text)
    assert poll.fields["options"] == ["Yes", "No"]  # YAML 1.2: words, not booleans
    await polls.vote(services, hub, poll, "https://x.example/u/1", [0], time.time())
    for change, field in (("multiple: true\n", "multiple"), ("options: [Yes, No, Maybe]\n",
                                                             "options")):  # fmt: skip
        changed = text.replace("options: [Yes, No]\n", change if field == "options" else
                               "options: [Yes, No]\n" + change)  # fmt: skip
        with pytest.raises(BadRequest, match=f"{field}: people have voted"):
            await posts.edit(services, hub, poll.id, changed)
    await posts.edit(services, hub, poll.id, text.replace("Strike?", "Strike on Monday?"))
    await polls.close_now(services, hub, poll)
    with pytest.raises(BadRequest, match="the poll is closed"):
        await posts.edit(services, hub, poll.id, text)
    with pytest.raises(polls.PollClosed):
        await polls.close_now(services, hub, poll)


async def test_a_deleted_reply_leaves_the_thread(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    poll, uri = await straw_poll(services, hub)
    alice = remote.add_actor("alice", key="alice")
    reply = vote(alice, uri, "Agree")
    reply["object"]["content"] = "<p>Which Saturday?</p>"
    assert (await send(services, hub, reply, alice, remote)).ok
    mallory = remote.add_actor("mallory", key="mallory")
    forged = {"id": f"{mallory.id}/d/1", "type": "Delete", "actor": mallory.id,
              "object": reply["object"]["id"]}  # fmt: skip
    assert (await send(services, hub, forged, mallory, remote)).ok
    while await app_client.app[inbox_worker_key].run_once():
        pass
    page = await (await app_client.get(f"/hubs/climate/posts/{poll.id}")).text()
    assert "Which Saturday?" in page  # only its author can take a reply down
    delete = {"id": f"{alice.id}/d/1", "type": "Delete", "actor": alice.id,
              "object": {"id": reply["object"]["id"], "type": "Tombstone"}}  # fmt: skip
    assert (await send(services, hub, delete, alice, remote)).ok
    while await app_client.app[inbox_worker_key].run_once():
        pass
    page = await (await app_client.get(f"/hubs/climate/posts/{poll.id}")).text()
    assert "Which Saturday?" not in page and "No questions yet" in page
