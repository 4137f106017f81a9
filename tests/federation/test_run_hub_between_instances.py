"""Run this hub between two real fedihub instances: an organiser on A, in the web form, adds an
account on B by its handle (WebFinger and the actor fetched from B), invites another on an
invite hub (B receives and verifies the Invite), and the page names them as people."""

from __future__ import annotations

import html
from pathlib import Path

import aiohttp
import pytest

from tests.support.network import eventually
from tests.support.web import csrf_of, signed_in

pytestmark = pytest.mark.federation


async def add(session: aiohttp.ClientSession, manage: str, handle: str) -> tuple[int, str, str]:
    """Posts the add-or-invite form; (status, where it leads, the page it ends on)."""
    async with session.get(manage) as resp:
        token = csrf_of(await resp.text())
    data = {"csrf": token, "handle": handle, "role": "member"}
    async with session.post(f"{manage}/people", data=data, allow_redirects=False) as resp:
        location = resp.headers.get("Location", "")
        status, page = resp.status, await resp.text()
    if location:
        async with session.get(f"{manage.rsplit('/hubs/', 1)[0]}{location}") as resp:
            page = await resp.text()
    return status, location, html.unescape(page)


async def test_an_organiser_adds_and_invites_accounts_of_another_instance_by_handle(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
) -> None:
    a, b = new_instance("a"), new_instance("b")
    await a.acli("account", "create", "--data", a.data, "maria", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "maria", "--join-policy", "approval")  # fmt: skip
    for name in ("ana", "bob"):
        await b.acli("account", "create", "--data", b.data, name, "--password-file", password_file)
    await a.start()
    await b.start()
    manage = f"{a.base_url}/hubs/climate/manage"
    hub_uri = f"{a.base_url}/hubs/climate"
    async with aiohttp.ClientSession() as session:
        await signed_in(session, a.base_url, "maria")
        status, location, page = await add(session, manage, f"@ana@{b.domain}")
        assert (status, location) == (303, "/hubs/climate/manage?done=added")
        assert "Added to the hub." in page and f"@ana@{b.domain}" in page
        assert a.query("SELECT state FROM hub_members WHERE actor_uri = ?",
                       (f"{b.base_url}/users/ana",)) == [("member",)]  # fmt: skip
        status, _, page = await add(session, manage, f"@nobody@{b.domain}")
        assert status == 404 and f"There is no account @nobody@{b.domain}." in page

        await a.acli("hub", "set", "--data", a.data, "climate", "--join-policy", "invite")
        status, location, page = await add(session, manage, f"@bob@{b.domain}")
        assert location == "/hubs/climate/manage?done=invited"
        assert "Invitation sent" in page

    def invites() -> list[tuple[str, str]]:
        return b.query("SELECT actor_uri, state FROM inbox_items WHERE type = 'Invite'")

    async def received() -> bool:
        return invites() == [(hub_uri, "done")]

    # B verified the hub's signature and stored the Invite: it came from A, for bob.
    await eventually(received, what="B to receive and handle the hub's Invite")
    assert a.query("SELECT state FROM hub_members WHERE actor_uri = ?",
                   (f"{b.base_url}/users/bob",)) == [("invited",)]  # fmt: skip
