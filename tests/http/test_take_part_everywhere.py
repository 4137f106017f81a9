"""Accounts take part everywhere: they follow, join and leave hubs of their own instance from the
hub's page (the rows a remote Follow and Join make, with no request to ourselves), and take part
in events and proposals on other servers from the confirm page (`/authorize_interaction`), which
refuses hostile addresses with a clear, translated message."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from urllib.parse import quote

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from fedihub.accounts.service import create_account, require_account
from fedihub.app import create_app
from fedihub.config import Config, split_host_port
from fedihub.groups import membership
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import inbox_worker_key, services_key
from fedihub.polls import service as polls
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.http.test_polls import send, vote
from tests.support.remote import RemoteServer
from tests.support.web import HTML, csrf_of, sign_in

ES = {"Accept": "text/html", "Accept-Language": "es"}


def utc_in(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + seconds))


def iso_in(seconds: float) -> str:
    return utc_in(seconds).replace(" ", "T") + "Z"


async def page(client: TestClient, path: str, headers: dict[str, str] = HTML) -> tuple[int, str]:
    resp = await client.get(path, headers=headers, allow_redirects=False)
    return resp.status, await resp.text()


async def post(client: TestClient, path: str, token: str, **fields: str) -> tuple[int, str]:
    resp = await client.post(path, data={"csrf": token, **fields}, headers=HTML,
                             allow_redirects=False)  # fmt: skip
    return resp.status, await resp.text()


async def test_a_non_member_response_counts_on_a_proposal_open_to_anyone(
    app_client: TestClient, services: Services
) -> None:
    """`who: anyone`: a response from someone who is not a member counts, as a vote does."""
    await create_account(services.db, "ben", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate")
    hub = await require_hub(services.db, "climate")
    text = f"---\ntitle: Share the van\ncloses: {utc_in(3600)}\nwho: anyone\n---\nWith Tampa."
    proposal = await posts.publish(services, hub, None, "proposal", text)
    ben = f"{services.config.base_url}/users/ben"
    assert not await membership.is_member(services, hub, ben)
    await polls.respond(services, hub, proposal, ben, "block", "Tampa needs it", time.time())
    counted = await services.db.fetchval(
        "SELECT counted FROM poll_votes WHERE post_id = ? AND actor_uri = ?", (proposal.id, ben)
    )
    assert counted == 1
    status, text = await page(app_client, f"/hubs/climate/posts/{proposal.id}")
    assert status == 200 and "not counted" not in text and "Block 1" in text


async def test_a_local_account_follows_joins_and_leaves_hubs_from_their_pages(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "org", "correct horse", is_admin=False)
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    org = await require_account(services.db, "org")
    for slug, policy in (("open", "open"), ("slow", "approval"), ("closed", "invite")):
        await create_hub(services.db, slug, name=slug.title(), join_policy=policy,
                         organizer=org)  # fmt: skip
    base = services.config.base_url
    ana = f"{base}/users/ana"
    assert await sign_in(app_client, "ana") == 303
    status, text = await page(app_client, "/hubs/open")
    token = csrf_of(text)
    assert 'action="/hubs/open/join"' in text and 'action="/hubs/open/leave"' not in text

    # No CSRF token: refused, nothing recorded.
    forged = await app_client.post("/hubs/open/join", data={}, allow_redirects=False)
    assert forged.status == 403
    assert await services.db.fetchval("SELECT count(*) FROM followers") == 0

    # Open: a member at once, and a follower, like a remote Join and Follow.
    assert (await post(app_client, "/hubs/open/join", token))[0] == 303
    assert (await post(app_client, "/hubs/open/join", token))[0] == 303  # again: nothing new
    open_hub = await require_hub(services.db, "open")
    rows = await services.db.fetchall(
        "SELECT actor_uri, state FROM followers WHERE local_actor_id = ?", (open_hub.id,)
    )
    assert [tuple(r) for r in rows] == [(ana, "accepted")]
    assert await membership.role_of(services, open_hub, ana) == "member"
    status, text = await page(app_client, "/hubs/open")
    assert "You are a member of this hub." in text and "1 follower" in text
    assert 'action="/hubs/open/leave"' in text

    # A post to the hub goes to remote followers only: a local one needs no delivery.
    await posts.publish(services, open_hub, None, "update", "Meeting moved to Tuesday.")
    assert await services.db.fetchval("SELECT count(*) FROM deliveries") == 0

    # Approval: a request a moderator answers; meanwhile ana follows.
    assert (await post(app_client, "/hubs/slow/join", token))[0] == 303
    slow = await require_hub(services.db, "slow")
    assert await membership.role_of(services, slow, ana) is None
    status, text = await page(app_client, "/hubs/slow")
    assert "You asked to join: a moderator decides." in text
    await membership.answer_pending(services, slow, ana, approve=True)
    assert await membership.role_of(services, slow, ana) == "member"

    # Invite: refused, in the reader's language; following alone is allowed.
    status, text = await post(app_client, "/hubs/closed/join", token)
    assert status == 403 and "Closed takes only the people its organisers invite" in text
    assert (await post(app_client, "/hubs/closed/follow", token))[0] == 303
    assert (await post(app_client, "/hubs/closed/follow", token))[0] == 303  # twice: one row
    closed = await require_hub(services.db, "closed")
    assert (
        await services.db.fetchval(
            "SELECT count(*) FROM followers WHERE local_actor_id = ?", (closed.id,)
        )
        == 1
    )

    # Home lists them, with "Start a hub" as one option.
    status, text = await page(app_client, "/")
    assert "Your hubs" in text and 'href="/hubs/new"' in text
    for name in ("Open", "Slow", "Closed"):
        assert f'href="/hubs/{name.lower()}">{name}</a>' in text

    # Leaving ends membership and following; leaving again is refused clearly.
    assert (await post(app_client, "/hubs/open/leave", token))[0] == 303
    assert (
        await services.db.fetchval(
            "SELECT count(*) FROM followers WHERE local_actor_id = ?", (open_hub.id,)
        )
        == 0
    )
    assert await services.db.fetchval(
        "SELECT count(*) FROM following f JOIN local_actors a ON a.id = f.local_actor_id"
        " WHERE a.username = 'ana' AND f.actor_uri = ?", (open_hub.uri(base),)
    ) == 0  # fmt: skip
    assert not await membership.is_member(services, open_hub, ana)
    status, text = await post(app_client, "/hubs/open/leave", token)
    assert status == 404 and "you are not in Open" in text
    again = await app_client.post("/hubs/open/leave", data={"csrf": token}, headers=ES,
                                  allow_redirects=False)  # fmt: skip
    assert again.status == 404 and "no estás en Open" in await again.text()


async def test_sign_up_lands_on_the_home_page_with_start_a_hub_as_one_option(
    app_client: TestClient, services: Services
) -> None:
    services.config = replace(services.config, signup_mode="open")
    token = csrf_of((await page(app_client, "/signup"))[1])
    resp = await app_client.post("/signup", data={"csrf": token, "username": "newbie",
                                 "password": "correct horse battery", "password_again":
                                 "correct horse battery"}, allow_redirects=False)  # fmt: skip
    assert resp.status == 303 and resp.headers["Location"] == "/"
    _, text = await page(app_client, "/")
    assert "Your hubs" in text and "You do not follow or run any hub yet" in text
    assert 'href="/hubs/new"' in text


async def test_the_confirm_page_refuses_hostile_addresses_clearly(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate")
    status, text = await page(app_client, "/authorize_interaction?uri=https://x.example/e")
    assert status == 200 and "Sign in to your account" in text and "/signin?next=" in text
    assert "fedihub follow" not in text  # no CLI instruction for people
    assert await sign_in(app_client, "ana") == 303

    async def refused(uri: str, headers: dict[str, str] = HTML) -> str:
        status, text = await page(app_client, f"/authorize_interaction?uri={quote(uri)}", headers)
        assert status == 400, (uri, status)
        assert "Traceback" not in text and "ssl:default" not in text
        assert "Cannot connect" not in text and "Error" not in text
        return text

    for uri in ("javascript:alert(1)", "ftp://x.example/e", "data:text/html,hi", "plain words"):
        assert "This is not a web address" in await refused(uri)
    # Private and unreachable addresses: one clear sentence, the socket's words only in the log.
    for uri in ("https://10.0.0.1/events/1", "https://192.168.1.1/e", "https://127.0.0.1:1/e",
                "https://[::1]:1/e"):  # fmt: skip
        assert "We could not fetch that address from its server" in await refused(uri)
    assert "No pudimos obtener esa dirección" in await refused("https://10.0.0.1/e", ES)
    # A remote object that is neither an event nor a question nor an actor.
    note = {"id": f"{remote.base_url()}/notes/1", "type": "Note", "content": "hi",
            "attributedTo": remote.add_actor("bob").id}  # fmt: skip
    remote.publish(note)
    assert "is not an event, a poll, a proposal" in await refused(note["id"])

    # Our own hub and posts: straight to their pages, whose forms do the rest.
    for uri in (f"@climate@{services.config.domain}", f"{services.config.base_url}/hubs/climate"):
        status, _ = await page(app_client, f"/authorize_interaction?uri={quote(uri)}")
        assert status == 303

    # A form post without its CSRF token is refused, and sends nothing.
    forged = await app_client.post("/authorize_interaction", data={"uri": note["id"],
                                   "action": "follow"}, allow_redirects=False)  # fmt: skip
    assert forged.status == 403
    assert await services.db.fetchval("SELECT count(*) FROM outbox_activities") == 0


async def test_an_account_takes_part_in_an_event_and_a_proposal_elsewhere(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    group = remote.add_actor("tenants", actor_type="Group")
    base = remote.base_url()
    event = {"id": f"{base}/events/7", "type": "Event", "name": "Rent strike assembly",
             "attributedTo": group.id, "startTime": iso_in(86400), "endTime": iso_in(90000),
             "content": "<p>Hall B</p>"}  # fmt: skip
    proposal = {"id": f"{base}/questions/3", "type": "Question", "name": "Adopt the demands",
                "attributedTo": group.id, "endTime": iso_in(3600),
                "oneOf": [{"type": "Note", "name": n} for n in
                          ("Agree", "Abstain", "Disagree", "Block")]}  # fmt: skip
    over = {**event, "id": f"{base}/events/8", "endTime": "2020-01-01T00:00:00Z"}
    for obj in (event, proposal, over):
        remote.publish(obj)
    assert await sign_in(app_client, "ana") == 303

    status, text = await page(app_client, f"/authorize_interaction?uri={quote(event['id'])}")
    assert status == 200 and "Rent strike assembly" in text and 'value="join"' in text
    token = csrf_of(text)
    status, text = await post(app_client, "/authorize_interaction", token, uri=event["id"],
                              action="join", message="Bringing two neighbours")  # fmt: skip
    assert status == 303
    status, text = await page(app_client, f"/authorize_interaction?uri={quote(proposal['id'])}")
    assert 'name="answer" value="block"' in text and 'name="reason"' in text
    status, text = await post(app_client, "/authorize_interaction", token, uri=proposal["id"],
                              action="respond", answer="block")  # fmt: skip
    assert status == 400 and "a block needs a reason" in text  # the form again, with the error
    reason = "Demand 3 splits us"
    status, _ = await post(app_client, "/authorize_interaction", token, uri=proposal["id"],
                           action="respond", answer="block", reason=reason)  # fmt: skip
    assert status == 303
    status, text = await post(app_client, "/authorize_interaction", token, uri=over["id"],
                              action="join")  # fmt: skip
    assert status == 409 and "the event is over" in text
    status, text = await post(app_client, "/authorize_interaction", token, uri=event["id"],
                              action="respond", answer="agree")  # fmt: skip
    assert status == 400 and "does not take that action" in text

    rows = await services.db.fetchall(
        "SELECT a.document FROM outbox_activities a JOIN local_actors l ON l.id = a.actor_id"
        " WHERE l.username = 'ana' ORDER BY a.id"
    )
    sent = [json.loads(r[0]) for r in rows]
    ana = f"{services.config.base_url}/users/ana"
    assert [(a["type"], a["actor"]) for a in sent] == [("Join", ana), ("Create", ana),
                                                      ("Create", ana)]  # fmt: skip
    assert sent[0]["object"] == event["id"] and sent[0]["participationMessage"].startswith("Br")
    vote, reason = sent[1]["object"], sent[2]["object"]
    assert vote["name"] == "Block" and vote["inReplyTo"] == proposal["id"] and "content" not in vote
    assert reason["inReplyTo"] == proposal["id"] and "Demand 3 splits us" in reason["content"]
    targets = await services.db.fetchall("SELECT DISTINCT inbox FROM deliveries")
    assert [tuple(t) for t in targets] == [(group.inbox,)]


async def test_in_production_the_confirm_page_refuses_loopback_addresses_clearly(
    instance_config: Config, remote: RemoteServer
) -> None:
    """A production instance never contacts loopback or private addresses: a person who pastes
    one reads why in one sentence, and nothing is fetched."""
    config = replace(instance_config, insecure_http=False)
    port = split_host_port(config.domain)[1]
    server = TestServer(create_app(config, run_workers=False), host="127.0.0.1", port=port)
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[f"http://127.0.0.1:{port}"])
    async with TestClient(server, cookie_jar=jar) as client:
        services = client.app[services_key]
        await create_account(services.db, "ana", "correct horse", is_admin=False)
        assert await sign_in(client, "ana") == 303
        event = {"id": f"{remote.base_url()}/events/1", "type": "Event", "name": "Local",
                 "attributedTo": remote.add_actor("bob").id}  # fmt: skip
        remote.publish(event)
        for uri in (event["id"], "https://127.0.0.1:1/e", "https://10.1.2.3/e"):
            status, text = await page(client, f"/authorize_interaction?uri={quote(uri)}", ES)
            assert status == 400 and "No pudimos obtener esa dirección" in text, uri
            assert "ssl:default" not in text and "refusing" not in text
        assert remote.fetched == []


async def test_a_reason_delivered_before_its_vote_stands_as_the_reason(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    """Another fedihub sends a response as a vote and then its reason as a reply; the two
    deliveries may cross, and the reason is kept either way."""
    await create_hub(services.db, "climate", name="Climate")
    hub = await require_hub(services.db, "climate")
    text = f"---\ntitle: Share the van\ncloses: {utc_in(3600)}\nwho: anyone\n---\nWith Tampa."
    proposal = await posts.publish(services, hub, None, "proposal", text)
    uri = f"{hub.uri(services.config.base_url)}/posts/{proposal.id}"
    stranger = remote.add_actor("bob")
    reason = vote(stranger, uri, "Block", n=2)
    reason["object"]["content"] = "<p>The van is booked that week.</p>"
    del reason["object"]["name"]
    for activity in (reason, vote(stranger, uri, "Block")):
        assert (await send(services, hub, activity, stranger, remote)).ok
        while await app_client.app[inbox_worker_key].run_once():
            pass
    rows = await services.db.fetchall("SELECT choice, reason FROM poll_votes")
    assert [tuple(r) for r in rows] == [(3, "The van is booked that week.")]
