"""Two `fedihub serve` processes on one PostgreSQL database: sign-up closed at /admin through
one is closed through the other at once, not at its next restart (the sign-up decision reads
the stored setting at request time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fedihub.accounts import store as accounts
from fedihub.accounts.service import create_account
from fedihub.app import create_app
from fedihub.config import load_config
from fedihub.instance import init_instance
from fedihub.keys import services_key
from tests.support.network import free_port
from tests.support.web import HTML, csrf_of, form_token, sign_in


@pytest.fixture
async def two_processes(postgres_url: str, tmp_path: Path) -> AsyncIterator[list[TestClient]]:
    await init_instance(tmp_path / "d", "localhost:8080", True, database=postgres_url)
    config = replace(load_config(tmp_path / "d"), signup_mode="open")  # as config.toml says
    clients = []
    for _ in range(2):
        server = TestServer(create_app(config, run_workers=False), host="127.0.0.1",
                            port=free_port())  # fmt: skip
        clients.append(TestClient(server))
    for client in clients:
        await client.start_server()
    yield clients
    for client in clients:
        await client.close()


async def test_sign_up_closed_through_one_process_is_closed_through_the_other(
    two_processes: list[TestClient],
) -> None:
    one, two = two_processes
    await create_account(one.app[services_key].db, "root", "correct horse", is_admin=True)
    assert await sign_in(one, "root") == 303
    token = csrf_of(await (await one.get("/admin", headers=HTML)).text())
    typed = {"csrf": token, "instance_name": "Relief hubs", "instance_summary": "",
             "instance_rules": "", "instance_contact": ""}  # fmt: skip
    form = {"username": "stranger", "password": "a long passphrase",
            "password_again": "a long passphrase"}  # fmt: skip
    assert "does not take sign-ups" not in await (await two.get("/signup", headers=HTML)).text()

    assert (await one.post("/admin", data={**typed, "signup_mode": "closed"})).status == 200
    assert "does not take sign-ups" in await (await two.get("/signup", headers=HTML)).text()
    token = await form_token(two, "/signin")  # the closed page has no form: a forged post
    refused = await two.post("/signup", data={"csrf": token, **form}, headers=HTML)
    assert refused.status == 403 and "does not take sign-ups" in await refused.text()
    assert await accounts.get_account(two.app[services_key].db, "stranger") is None
