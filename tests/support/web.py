"""Using the web interface from a test client as a browser would: forms carry their CSRF token."""

from __future__ import annotations

import re

import aiohttp
from aiohttp.test_utils import TestClient

HTML = {"Accept": "text/html"}
AP = {"Accept": "application/activity+json"}


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def form_token(client: TestClient, path: str) -> str:
    return csrf_of(await (await client.get(path, headers=HTML)).text())


async def sign_in(client: TestClient, username: str, password: str = "correct horse") -> int:
    token = await form_token(client, "/signin")
    data = {"csrf": token, "username": username, "password": password}
    resp = await client.post("/signin", data=data, allow_redirects=False)
    return resp.status


async def signed_in(
    session: aiohttp.ClientSession, base_url: str, who: str, password: str = "organise-together"
) -> None:
    """Signs `session` in as `who` on the server at `base_url` (a real fedihub process)."""
    async with session.get(f"{base_url}/signin") as resp:
        token = csrf_of(await resp.text())
    data = {"csrf": token, "username": who, "password": password}
    async with session.post(f"{base_url}/signin", data=data, allow_redirects=False) as resp:
        assert resp.status == 303, resp.status
