"""No volunteer's name or contact, and no site's address, in anything the public can read.

A relief effort as it is used: volunteers sign up through the public form (one with a fediverse
handle), a coordinator publishes shifts, assigns people from the board (mail and a direct
message go out), one confirms by their link, one is checked in; a remote follower of the hub
gets every Create and Update. Then an anonymous crawler starts from the home page, the hub's
pages and its actor, and follows every same-site link of every HTML page and every same-site
URL in every JSON document, fetching each address both as a page and as ActivityPub (and the
feeds, the calendar and WebFinger/NodeInfo on the way). Not one response, not one activity the
follower received and not one log line may hold any of what the volunteers told us.

The crawl proves its reach: it must have read the shifts' ActivityPub objects with their counts,
the public shifts page and the sign-up page, so an empty crawl cannot pass."""

from __future__ import annotations

import json
import logging
import re
import time
from html import unescape
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.clock import FixedClock
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, scheduler_key
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.volunteers import access, assignments, board, sites_store
from fedihub.volunteers.model import DAYS, PART_KEYS
from tests.http.test_volunteer_shifts import local
from tests.http.test_volunteer_signup import GOOD, post_signup, token_of
from tests.support.remote import RemoteServer
from tests.support.web import AP, HTML

ADDRESS = "1 Secret Shelter Lane"
ANY_TIME = {f"avail.{day}.{part}": "yes" for day, _ in DAYS for part in PART_KEYS}
PEOPLE = [
    {**GOOD, **ANY_TIME, "name": "Zelda Quinones", "email": "zelda.q@mail.example",
     "phone": "+1 718 555 0199", "handle": "", "notes": "Allergic to cats, call after 6",
     "other_skills": "Forklift permit"},
    {**GOOD, **ANY_TIME, "name": "Yusuf Okonkwo", "email": "", "phone": "+44 7700 900123",
     "handle": "", "notes": "", "other_skills": ""},
]  # fmt: skip
# What must never be public: names (and their parts), contacts, notes, free-text skills.
SECRETS = ["Zelda", "Quinones", "zelda.q", "718 555 0199", "17185550199", "Allergic",
           "Forklift", "Yusuf", "Okonkwo", "7700 900123", "447700900123", "Xiomara",
           "xiomara", ADDRESS]  # fmt: skip
LIMIT = 600  # fetches: far more than the effort's pages; a runaway crawl fails rather than hangs
SKIP = re.compile(r"^/(static|media)/|/(sign-out|logout)$")


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


def links_in(text: str, base: str, here: str) -> set[str]:
    """Same-site addresses in a page's href/src or in a JSON document's strings."""
    found: set[str] = set()
    for raw in re.findall(r'(?:href|src|action)="([^"]+)"', text) + re.findall(
        r'"(https?://[^"\s]+)"', text
    ):
        url = urldefrag(urljoin(here, unescape(raw)))[0]
        if url.startswith(base + "/") and not SKIP.search(urlsplit(url).path):
            found.add(url)
    return found


async def crawl(client: TestClient, base: str, seeds: list[str]) -> dict[str, str]:
    """Every reachable address, fetched as a page and as ActivityPub: {what was fetched: body}."""
    seen: dict[str, str] = {}
    queue = [base + s if s.startswith("/") else s for s in seeds]
    visited: set[str] = set()
    while queue:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        assert len(visited) < LIMIT, "the crawl does not end"
        path = url.removeprefix(base)
        for label, headers in (("html", HTML), ("ap", AP)):
            resp = await client.get(path, headers=headers, allow_redirects=False)
            body = await resp.text(errors="replace")
            seen[f"{label} {resp.status} {path}"] = body
            if "location" in resp.headers:
                queue.append(urljoin(url, resp.headers["location"]))
            queue.extend(links_in(body, base, url) - visited)
    return seen


@pytest.fixture
async def scene(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> tuple[list[str], str]:
    """The effort, used: returns the shifts' post paths, and Xiomara's actor id."""
    services.clock = FixedClock(time.time())
    await create_account(services.db, "lead", "correct horse", is_admin=False)
    lead_account = await actors.get_actor(services.db, "person", "lead")
    assert lead_account is not None
    lead = Account(lead_account, is_admin=False)
    await create_hub(services.db, "sandy", name="Sandy Relief", organizer=lead,
                     timezone="America/New_York", languages="en es")  # fmt: skip
    hub = await actors.get_actor(services.db, "group", "sandy")
    assert hub is not None
    follower = remote.add_actor("follower")
    xiomara = remote.add_actor("xiomara")  # a volunteer who gave her fediverse handle
    for who in (follower, xiomara):
        await services.resolver.actor(who.id)
    await services.db.execute(
        "INSERT INTO followers VALUES (?, ?, 'f', 'accepted', 0)", (hub.id, follower.id)
    )
    async with services.db.transaction() as tx:
        site = sites_store.checked_site(hub.id, 0, "Red Hook Shelter", "Red Hook", ADDRESS, "Mops")
        site_id = await sites_store.save_site(tx, site, services.clock.now())
    shift_posts = []
    for hours in (24, 48):
        text = (f"---\nsite: Red Hook Shelter\nstart: {local(hours)}\nend: {local(hours + 4)}\n"
                "needed: 3\nskills: [cleanup]\n---\nMucking out.\n")  # fmt: skip
        shift_posts.append(await posts.publish(services, hub, lead, "shift", text))
    handle = f"@xiomara@{urlsplit(xiomara.id).netloc}"  # 127.0.0.1:port
    people = [
        *PEOPLE,
        {
            **GOOD,
            **ANY_TIME,
            "name": "Xiomara Reyes",
            "email": "xiomara@mail.example",
            "phone": "",
            "handle": handle,
            "notes": "",
            "other_skills": "",
        },
    ]
    tokens = []
    for person in people:
        resp = await post_signup(app_client, person)
        assert resp.status == 303, await resp.text()
        tokens.append(token_of(resp.headers["Location"]))
    who = await access.require_access(services.db, hub, lead, "dispatch")
    shift = await sites_store.shift(services.db, hub.id, shift_posts[0].id)
    site_row = await sites_store.site(services.db, hub.id, site_id)
    assert shift is not None and site_row is not None
    proposed = await board.proposals(services.db, hub.id, shift, site_row)
    assert len(proposed) == 3, "all three fit the shift"
    asked = await assignments.assign(services, who, shift, [p.volunteer_id for p in proposed])
    answer = f"/hubs/sandy/volunteer/answer/{asked[0].token}"
    assert (await app_client.post(answer, data={"choice": "confirm"}, headers=HTML)).status == 200
    clock = services.clock
    assert isinstance(clock, FixedClock)
    early = shift.starts_at - clock.now()
    clock.advance(early)  # the shift begins: one is checked in
    await assignments.check_in(services, who, site_id, asked[1].assignment_id)
    clock.advance(-early)  # back: the delivery worker keeps the real clock
    await services.db.execute("UPDATE pending_updates SET due_at = ?", (time.time() - 1,))
    assert (await app_client.app[scheduler_key].run_once()).updates == 1
    while await app_client.app[delivery_worker_key].run_once():
        pass
    return [f"/hubs/sandy/posts/{p.id}" for p in shift_posts], xiomara.id


async def test_nothing_a_volunteer_told_us_is_in_any_public_page_document_or_activity(
    app_client: TestClient, services: Services, scene: tuple[list[str], str],
    remote: RemoteServer, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    shift_paths, xiomara = scene
    base = services.config.base_url
    seeds = ["/", "/hubs/sandy", "/hubs/sandy/volunteer", "/hubs/sandy/shifts",
             "/.well-known/webfinger?resource=acct:sandy@" + services.config.domain,
             "/.well-known/nodeinfo", *shift_paths]  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        fetched = await crawl(app_client, base, seeds)

    found = {what: leaks(body) for what, body in fetched.items() if leaks(body)}
    assert found == {}
    assert [what for what in fetched if what.split()[1].startswith("5")] == []  # nothing broke
    # The crawl reached what matters: the shifts as ActivityPub with their counts, their pages,
    # the public shifts page, the sign-up page, the hub's actor and outbox.
    for path in shift_paths:
        event = json.loads(fetched[f"ap 200 {path}"])
        assert event["type"] == "Event" and event["maximumAttendeeCapacity"] == 3
        assert f"html 200 {path}" in fetched
    first = json.loads(fetched[f"ap 200 {shift_paths[0]}"])
    assert (first["participantCount"], first["remainingAttendeeCapacity"]) == (2, 1)
    assert {"html 200 /hubs/sandy/shifts", "html 200 /hubs/sandy/volunteer",
            "ap 200 /hubs/sandy"} <= set(fetched)  # fmt: skip
    assert any(k.startswith("ap 200 /hubs/sandy/outbox") for k in fetched)
    assert len(fetched) > 40, sorted(fetched)

    # What the hub's follower received: the shifts' Creates and the Update of their counts.
    received = [r.activity for r in remote.received]
    to_her = [a for a in received if a.get("to") == [xiomara]]
    to_follower = [a for a in received if a not in to_her]
    assert {a["type"] for a in to_follower} >= {"Create", "Update"}
    assert leaks(json.dumps(to_follower)) == []
    # Xiomara's own direct message holds her links and the site's address, and nobody else.
    assert len(to_her) == 1 and ADDRESS in json.dumps(to_her)
    # Her own handle addresses it (its mention); nobody else is named.
    assert [s for s in leaks(json.dumps(to_her)) if s.lower() != "xiomara" and s != ADDRESS] == []
    # No log line holds a volunteer's details either.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(logged) == []
