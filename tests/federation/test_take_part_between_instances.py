"""Accounts take part everywhere, between two real fedihub instances: an account joins hubs of its
own instance from their pages (open and approval), and an account on another instance follows a
hub through its own server's confirm page (the remote-follow box sends it there), goes to an
event and responds to a proposal with a reason, seen on the first instance's page and tally."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.web import HTML, csrf_of, sign_in

pytestmark = [pytest.mark.federation, pytest.mark.usefixtures("counts_at_once")]
PASSWORD = "organise-together"  # what the password_file fixture holds


def browser(instance: FedihubInstance) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True)
    return aiohttp.ClientSession(base_url=instance.listening_url, cookie_jar=jar)


async def get(session: aiohttp.ClientSession, path: str) -> tuple[int, str, str]:
    async with session.get(path, headers=HTML, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


async def post(session: aiohttp.ClientSession, path: str, **fields: str) -> tuple[int, str]:
    async with session.post(path, data=fields, headers=HTML, allow_redirects=False) as resp:
        return resp.status, await resp.text()


async def test_accounts_join_here_and_take_part_on_another_instance(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    for name in ("org", "ana"):
        await a.acli("account", "create", "--data", a.data, name, "--password-file",
                     password_file)  # fmt: skip
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org")  # fmt: skip
    await a.acli("hub", "create", "--data", a.data, "housing", "--name", "Housing",
                 "--organizer", "org", "--join-policy", "approval")  # fmt: skip
    await b.acli("account", "create", "--data", b.data, "alice", "--password-file", password_file)
    await a.start()
    await b.start()
    ana, alice = f"{a.base_url}/users/ana", f"{b.base_url}/users/alice"

    # ana joins hubs on her own instance from their pages: no request to itself.
    async with browser(a) as web_a:
        assert await sign_in(web_a, "ana", PASSWORD) == 303  # type: ignore[arg-type]
        for hub in ("climate", "housing"):
            _, page, _ = await get(web_a, f"/hubs/{hub}")
            status, _ = await post(web_a, f"/hubs/{hub}/join", csrf=csrf_of(page))
            assert status == 303
        _, page, _ = await get(web_a, "/hubs/climate")
        assert "You are a member of this hub." in page
        _, page, _ = await get(web_a, "/hubs/housing")
        assert "You asked to join: a moderator decides." in page
        _, home, _ = await get(web_a, "/")
        assert 'href="/hubs/climate">Climate</a>' in home and "asked to join" in home
    assert a.query("SELECT actor_uri, state FROM hub_members ORDER BY hub_id") == [
        (ana, "member"), (ana, "pending")]  # fmt: skip
    await a.acli("hub", "member", "approve", "--data", a.data, "housing", ana)
    assert a.query("SELECT state FROM hub_members WHERE actor_uri = ? ORDER BY hub_id",
                   (ana,)) == [("member",), ("member",)]  # fmt: skip
    assert a.query("SELECT count(*) FROM inbox_items WHERE actor_uri = ?", (ana,)) == [(0,)]

    # A visitor on A's hub page gives their handle on B: sent to B's own confirm page.
    async with browser(a) as visitor:
        handle = f"@alice@{b.domain}"
        status, _, location = await get(visitor, f"/follow?hub=climate&handle={quote(handle)}")
        assert status == 303 and location.startswith(f"{b.base_url}/authorize_interaction?uri=")
    async with browser(b) as web_b:
        confirm = location.removeprefix(b.base_url)
        _, page, _ = await get(web_b, confirm)
        assert "Sign in to your account" in page and "fedihub follow" not in page
        assert await sign_in(web_b, "alice", PASSWORD) == 303  # type: ignore[arg-type]
        status, page, _ = await get(web_b, confirm)
        assert status == 200 and "Climate" in page and 'value="follow"' in page
        token = csrf_of(page)
        status, _ = await post(web_b, "/authorize_interaction", csrf=token,
                               uri=f"climate@{a.domain}", action="follow")  # fmt: skip
        assert status == 303

        async def followed() -> bool:
            return b.query("SELECT state FROM following") == [("accepted",)]

        await eventually(followed, what="A to accept alice's follow (following is joining)")

        closes = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 86_400))
        start = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 2 * 86_400))
        end = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 2 * 86_400 + 7200))
        (tmp_path / "p.md").write_text(
            f"---\ntitle: Adopt the code\ncloses: {closes}\n---\nAs drafted.\n"
        )
        (tmp_path / "e.md").write_text(
            f"---\ntitle: Teach-in\nstart: {start}\nend: {end}\n---\nBring a friend.\n"
        )
        proposal = (await a.acli("post", "--data", a.data, "climate", "--as", "org", "--kind",
                                 "proposal", tmp_path / "p.md")).stdout.strip()  # fmt: skip
        event = (await a.acli("post", "--data", a.data, "climate", "--as", "org", "--kind",
                              "event", tmp_path / "e.md")).stdout.strip()  # fmt: skip

        # From B's confirm page: go to the event, block the proposal with a reason.
        _, page, _ = await get(web_b, f"/authorize_interaction?uri={quote(event)}")
        assert "Teach-in" in page and 'value="join"' in page
        status, _ = await post(web_b, "/authorize_interaction", csrf=token, uri=event,
                               action="join")  # fmt: skip
        assert status == 303
        _, page, _ = await get(web_b, f"/authorize_interaction?uri={quote(proposal)}")
        assert 'name="answer" value="block"' in page
        status, _ = await post(web_b, "/authorize_interaction", csrf=token, uri=proposal,
                               action="respond", answer="block",
                               reason="Section 4 leaves out night workers")  # fmt: skip
        assert status == 303

    async def taken_part_on_a() -> bool:
        going = a.query("SELECT actor_uri, state FROM event_participants")
        voted = a.query("SELECT actor_uri, choice, counted, reason FROM poll_votes")
        return going == [(alice, "going")] and voted == [
            (alice, 3, 1, "Section 4 leaves out night workers")]  # fmt: skip

    await eventually(taken_part_on_a, what="A to count alice's place and her reasoned block")
    number = proposal.rsplit("/", 1)[1]
    page = await a.http_get(f"/hubs/climate/posts/{number}")
    assert "Section 4 leaves out night workers" in page and alice in page
    tally = await a.acli("tally", "--data", a.data, "climate", number)
    assert "Agree 0 · Abstain 0 · Disagree 0 · Block 1 (1 voter, 1 block(s)" in tally.stdout

    # The CLI takes the posts' URLs too: alice gives her place up; a block still needs a reason.
    out = await b.acli("rsvp", "--data", b.data, "--as", "alice", event, "leave")
    assert f"sent Leave to {a.base_url}/hubs/climate" in out.stdout

    async def left_on_a() -> bool:
        return a.query("SELECT count(*) FROM event_participants") == [(0,)]

    await eventually(left_on_a, what="A to free alice's place")
    bad = await b.acli("respond", "--data", b.data, "--as", "alice", proposal, "block",
                       check=False)  # fmt: skip
    assert bad.returncode == 1 and "a block needs a reason" in bad.stderr
