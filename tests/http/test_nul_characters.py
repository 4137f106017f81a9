"""U+0000 (NUL), which PostgreSQL's text cannot hold, is refused at the edge with a clear 400 on
both engines alike: in an activity's JSON at any depth (before the inbox's batched insert, where
it failed every activity of the batch), and in a request's path, query or form fields (before a
lookup, where asyncpg failed with a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account
from fedihub.hubs.service import create_hub
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer
from tests.support.web import HTML, form_token


@pytest.fixture
async def hub(services: Services) -> str:
    await create_hub(services.db, "climate", name="Climate")
    return f"{services.config.base_url}/hubs/climate"


def with_nul(follow: dict[str, Any], where: str) -> dict[str, Any]:
    if where == "id":
        return {**follow, "id": follow["id"] + "\x00x"}
    if where == "nested value":
        return {**follow, "tag": [{"type": "Hashtag", "name": "#a\x00b"}]}
    return {**follow, "extra": {"k\x00ey": 1}}  # a key


@pytest.mark.parametrize("where", ["id", "nested value", "key"])
async def test_an_activity_holding_nul_is_400_and_nothing_is_stored(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str, where: str
) -> None:
    alice = remote.add_actor("alice", key="alice")
    follow = load(
        "mastodon-follow",
        **{
            "https://mastodon.example/users/alice": alice.id,
            "https://mastodon.example": remote.base_url(),
            "https://fedihub.example/hubs/climate": hub,
        },
    )
    refused = await remote.post(f"{hub}/inbox", with_nul(follow, where), alice)
    assert refused.status == 400
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0
    assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 202
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 1


@pytest.mark.parametrize(
    "path",
    ["/.well-known/webfinger?resource=acct:alice%00@{domain}", "/hubs/cli%00mate",
     "/hubs/climate?page=1%00", "/hubs/climate?pa%00ge=1"],
)  # fmt: skip
async def test_nul_in_a_path_or_query_is_400(
    app_client: TestClient, services: Services, hub: str, path: str
) -> None:
    for headers in ({}, HTML):
        resp = await app_client.get(path.format(domain=services.config.domain), headers=headers)
        assert resp.status == 400, (path, headers)
        assert "U+0000" in await resp.text()


async def test_nul_in_a_form_field_is_400(app_client: TestClient, services: Services) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    token = await form_token(app_client, "/signin")
    data = {"csrf": token, "username": "ana\x00", "password": "correct horse"}
    resp = await app_client.post("/signin", data=data, headers=HTML, allow_redirects=False)
    assert resp.status == 400 and "U+0000" in await resp.text()
    data = {"csrf": token, "username": "ana", "password": "correct horse"}
    assert (await app_client.post("/signin", data=data, allow_redirects=False)).status == 303
