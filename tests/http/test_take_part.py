"""Accounts on this instance take part from the browser: vote in a poll, ask a question under
it, respond to a proposal with a reason, go to an event (and give the place up), with hostile
forms refused and nothing counted twice."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.events import store as events
from fedihub.events.store import Attendance
from fedihub.groups import membership
from fedihub.hubs.service import create_hub, require_hub
from fedihub.polls import service as polls
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.web import HTML, csrf_of, sign_in


def utc_in(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + seconds))


async def test_an_account_votes_asks_responds_and_goes_from_the_browser(
    app_client: TestClient, services: Services
) -> None:
    for name in ("ana", "ben"):
        await create_account(services.db, name, "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate")
    hub = await require_hub(services.db, "climate")
    texts = {
        "poll": f"---\ncloses: {utc_in(3600)}\n---\nMarch on Saturday?\n",
        "proposal": f"---\ntitle: Adopt the code\ncloses: {utc_in(3600)}\n---\nAs drafted.",
        "event": f"---\ntitle: Kitchen shift\nstart: {utc_in(86400)[:16]}\n"
                 f"end: {utc_in(90000)[:16]}\ncapacity: 1\n---\nCooking.\n",
    }  # fmt: skip
    poll, proposal, event = [
        await posts.publish(services, hub, None, kind, text) for kind, text in texts.items()
    ]
    path = {p.kind: f"/hubs/climate/posts/{p.id}" for p in (poll, proposal, event)}

    anonymous = await (await app_client.get(path["poll"], headers=HTML)).text()
    assert "sign in</a>" in anonymous and "Your vote" not in anonymous
    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get(path["poll"], headers=HTML)).text()
    token = csrf_of(page)
    assert 'type="radio" name="choice" value="Agree"' in page

    async def send(kind: str, form: str, **fields: str | list[str]) -> tuple[int, str]:
        data: list[tuple[str, str]] = [("csrf", token)]
        for key, value in fields.items():
            data += [(key, v) for v in (value if isinstance(value, list) else [value])]
        resp = await app_client.post(f"{path[kind]}/{form}", data=data, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        return resp.status, await resp.text()

    # Hostile or mistaken forms are refused, and count nothing.
    assert (await send("poll", "vote"))[0] == 400  # no choice
    status, text = await send("poll", "vote", choice="Maybe")
    assert status == 400 and "is not an option" in text
    assert (await send("poll", "vote", choice=["Agree", "Disagree"]))[0] == 400  # one choice
    assert (await send("proposal", "vote", choice="Agree"))[0] == 400  # proposals: respond
    forged = await app_client.post(f"{path['poll']}/vote", data={"choice": "Agree"})
    assert forged.status == 403  # no CSRF token
    assert await services.db.fetchval("SELECT count(*) FROM poll_votes") == 0

    assert (await send("poll", "vote", choice="Agree"))[0] == 303
    assert (await send("poll", "vote", choice="Disagree"))[0] == 303  # the first vote stands
    votes = await services.db.fetchall("SELECT choice FROM poll_votes WHERE post_id = ?",
                                       (poll.id,))  # fmt: skip
    assert [v[0] for v in votes] == [0]
    page = await (await app_client.get(path["poll"], headers=HTML)).text()
    assert "You voted: Agree" in page and "1 voter" in page

    assert (await send("poll", "question", question="  "))[0] == 400
    assert (await send("poll", "question", question="x" * 2001))[0] == 400
    assert (await send("poll", "question", question="<script>x()</script> Which bus?"))[0] == 303
    page = await (await app_client.get(path["poll"], headers=HTML)).text()
    assert "&lt;script&gt;x()&lt;/script&gt; Which bus?" in page and "<script>x()" not in page

    status, text = await send("proposal", "respond", answer="agree")
    assert status == 403 and "only members of the hub" in text  # proposals are for members
    await membership.set_member(services, hub, f"{services.config.base_url}/users/ana")
    status, text = await send("proposal", "respond", answer="block")
    assert status == 400 and "a block needs a reason" in text
    assert (await send("proposal", "respond", answer="maybe", reason="?"))[0] == 400
    assert (await send("proposal", "respond", answer="block", reason="Not yet discussed"))[0] == 303
    page = await (await app_client.get(path["proposal"], headers=HTML)).text()
    assert "Not yet discussed" in page and "1 block" in page
    assert (await send("proposal", "respond", answer="agree", reason="Discussed now"))[0] == 303
    page = await (await app_client.get(path["proposal"], headers=HTML)).text()
    assert "1 block" not in page and 'value="agree" required checked' in page
    # A question is a question, not the asker's reason; once closed, neither can change.
    assert (await send("proposal", "respond", answer="abstain"))[0] == 303  # no reason given
    assert (await send("proposal", "question", question="What does it cost?"))[0] == 303
    reason = await services.db.fetchval(
        "SELECT reason FROM poll_votes WHERE post_id = ?", (proposal.id,)
    )
    assert reason == ""
    await polls.close_now(services, hub, proposal)
    assert (await send("proposal", "question", question="Too late?"))[0] == 409
    assert (await send("proposal", "respond", answer="block", reason="Too late"))[0] == 409

    assert (await send("event", "attend", action="dance"))[0] == 400
    assert (await send("event", "attend", action="join"))[0] == 303
    page = await (await app_client.get(path["event"], headers=HTML)).text()
    assert "You are going." in page and "1 going" in page
    assert await sign_in(app_client, "ben") == 303
    token = csrf_of(await (await app_client.get(path["event"], headers=HTML)).text())
    assert (await send("event", "attend", action="join"))[0] == 303
    page = await (await app_client.get(path["event"], headers=HTML)).text()
    assert "You are on the waitlist." in page  # one place, and ana has it
    # The one-query count agrees with the rows themselves, and knows posts without any.
    counts = await events.attendance_of(services.db, [event.id, poll.id])
    assert counts == {
        event.id: await events.attendance(services.db, event.id),
        poll.id: Attendance(),
    }
    assert counts[event.id] == Attendance(going=1, waitlisted=1)
    rows = await services.db.fetchall(
        "SELECT state FROM event_participants WHERE post_id = ?", (event.id,)
    )  # counted here without the store, so the check stays independent of it
    states = [r[0] for r in rows]
    assert counts[event.id] == Attendance(states.count("going"), states.count("waitlisted"))
    assert await sign_in(app_client, "ana") == 303
    token = csrf_of(await (await app_client.get(path["event"], headers=HTML)).text())
    assert (await send("event", "attend", action="leave"))[0] == 303
    places = await services.db.fetchall("SELECT actor_uri, state FROM event_participants")
    assert [(uri.rsplit("/", 1)[1], state) for uri, state in places] == [("ben", "going")]
