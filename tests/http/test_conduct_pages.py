"""Codes of conduct people see and accept, through real HTTP: the instance's and a hub's pages
with their versions, editing (admins, a hub's moderators; nobody else) with a preview of the
clauses, acceptance at sign-up and before joining a hub, each recorded with its version."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.accounts.store import save_instance_settings
from fedihub.cli import main
from fedihub.hubs.service import create_hub, require_hub
from fedihub.moderation import conduct, log
from fedihub.moderation import store as codes
from fedihub.moderation.authority import local_moderator
from fedihub.services import Services
from tests.support.web import AP, HTML, form_token, sign_in

CODE = "We organise together.\n\n1. Be kind.\n2. No harassment.\n"


@pytest.fixture
async def people(services: Services) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_account(services.db, "ben", "correct horse", is_admin=False)
    await create_account(services.db, "root", "correct horse", is_admin=True)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    await create_hub(services.db, "housing", name="Housing",
                     organizer=await require_account(services.db, "ben"))  # fmt: skip


async def set_code(services: Services, hub: str | None, text: str) -> int:
    where = await require_hub(services.db, hub) if hub else None
    who = await local_moderator(services, await require_account(services.db, "root"), where)
    return await conduct.set_code(services, who, where, text)


@pytest.mark.usefixtures("people")
async def test_codes_and_their_versions_are_readable(
    app_client: TestClient, services: Services
) -> None:
    assert "no code of conduct written yet" in await (await app_client.get("/conduct")).text()
    await set_code(services, None, CODE)
    await set_code(services, None, CODE + "3. Vote.\n")
    await set_code(services, "climate", "1. Mind the climate.\n")
    await set_code(services, "climate", "1. Mind the climate.\n2. Bring water.\n")
    page = await (await app_client.get("/conduct", headers={"Accept-Language": "es"})).text()
    assert "Vote." in page and "Versión 2" in page and 'href="/conduct?version=1"' in page
    old = await (await app_client.get("/conduct?version=1")).text()
    assert "Vote." not in old and "earlier version" in old
    hub = await (await app_client.get("/hubs/climate/conduct")).text()
    assert "Bring water." in hub and "Vote." in hub  # its own, and the instance's
    assert (
        "Bring water." not in await (await app_client.get("/hubs/climate/conduct?version=1")).text()
    )
    other = await (await app_client.get("/hubs/housing/conduct")).text()
    assert "no rules of its own" in other and "Vote." in other
    assert (await app_client.get("/hubs/housing/conduct?version=2")).status == 404  # climate's
    for bad in ("x", "0", "-1", "1.5", "9" * 20):
        assert (await app_client.get(f"/conduct?version={bad}")).status == 400, bad
    assert (await app_client.get("/conduct?version=7")).status == 404
    assert (await app_client.get("/hubs/nohub/conduct")).status == 404
    linked = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert 'href="/hubs/climate/conduct"' in linked and 'href="/hubs/climate/moderation"' in linked
    about = await (await app_client.get("/about")).text()
    assert 'href="/conduct"' in about and 'href="/moderation"' in about


@pytest.mark.usefixtures("people")
async def test_html_in_a_code_is_rendered_safely(
    app_client: TestClient, services: Services
) -> None:
    await set_code(services, None, '1. <script>alert(1)</script> <a href="javascript:x">y</a>\n'
                                   '2. <img src=x onerror=alert(2)>\n')  # fmt: skip
    page = await (await app_client.get("/conduct")).text()
    assert "<script>alert" not in page and "javascript:x" not in page and "onerror" not in page


@pytest.mark.usefixtures("people")
async def test_a_hubs_moderators_edit_its_code_with_a_preview_and_nobody_else(
    app_client: TestClient, services: Services
) -> None:
    assert await sign_in(app_client, "ana") == 303
    token = await form_token(app_client, "/hubs/climate/manage/conduct")
    typed = "Be good here.\n\n1. Be kind.\n2. **No** harassment.\n"
    preview = await app_client.post(
        "/hubs/climate/manage/conduct", data={"csrf": token, "text": typed, "action": "preview"}
    )
    page = await preview.text()
    assert preview.status == 200 and "Hub code v1 §2: No harassment." in page
    assert "Be good here." in page and await codes.current_code(services.db, 1) is None
    too_long = "1. x\n" + "y" * 20_001
    refused = await app_client.post(
        "/hubs/climate/manage/conduct", data={"csrf": token, "text": too_long, "action": "save"}
    )
    assert refused.status == 400 and "at most 20000 characters" in await refused.text()
    assert "y" * 20_001 in await refused.text()  # nothing typed is lost
    saved = await app_client.post(
        "/hubs/climate/manage/conduct",
        allow_redirects=False,
        data={"csrf": token, "text": typed, "action": "save"},
    )
    assert saved.status == 303 and saved.headers["Location"].endswith("?saved=1")
    climate = await require_hub(services.db, "climate")
    assert (await conduct.current(services, climate) or pytest.fail()).text == typed.strip()
    [entry] = await log.recent(services.db, climate.id)
    assert (entry.action, entry.by_label, entry.target_label) == ("conduct_change", "ana", "v1")
    # Another hub's code, the instance's, and a forged form: refused.
    for path in ("/hubs/housing/manage/conduct", "/admin/conduct"):
        assert (await app_client.get(path)).status == 403
        forged = await app_client.post(path, data={"csrf": token, "text": "1. Mine now.\n"})
        assert forged.status == 403, path
    no_csrf = await app_client.post("/hubs/climate/manage/conduct", data={"text": "1. x\n"})
    assert no_csrf.status == 403
    assert await codes.current_code(services.db, 0) is None
    housing = await require_hub(services.db, "housing")
    assert await conduct.current(services, housing) is None


@pytest.mark.usefixtures("people")
async def test_admins_edit_the_instances_code(app_client: TestClient, services: Services) -> None:
    assert await sign_in(app_client, "root") == 303
    token = await form_token(app_client, "/admin/conduct")
    saved = await app_client.post(
        "/admin/conduct",
        allow_redirects=False,
        data={"csrf": token, "text": CODE, "action": "save"},
    )
    assert (
        saved.status == 303
        and (await conduct.current(services, None) or pytest.fail()).version == 1
    )
    assert 'href="/admin/conduct"' in await (await app_client.get("/admin")).text()


@pytest.mark.usefixtures("people")
async def test_sign_up_asks_to_accept_the_code_in_the_version_shown(
    app_client: TestClient, services: Services
) -> None:
    await save_instance_settings(services.db, {"signup_mode": "open"})
    await set_code(services, None, CODE)
    page = await (await app_client.get("/signup")).text()
    assert "No harassment." in page and 'name="version_instance" value="1"' in page
    token = await form_token(app_client, "/signup")
    typed = {"csrf": token, "username": "maria", "password": "long enough pw",
             "password_again": "long enough pw", "version_instance": "1"}  # fmt: skip
    unticked = await app_client.post("/signup", data=typed)
    text = await unticked.text()
    assert unticked.status == 400 and "tick the box" in text and 'value="maria"' in text
    assert await services.db.fetchval("SELECT count(*) FROM accounts") == 3  # none made
    await set_code(services, None, CODE + "3. Vote.\n")  # changed while she read it
    stale = await app_client.post("/signup", data={**typed, "accept_instance": "yes"})
    text = await stale.text()
    assert stale.status == 400 and "changed while you read it" in text
    assert (
        'name="version_instance" value="2"' in text and "Vote." in text and 'value="maria"' in text
    )
    assert await services.db.fetchval("SELECT count(*) FROM accounts") == 3
    done = await app_client.post(
        "/signup",
        allow_redirects=False,
        data={**typed, "accept_instance": "yes", "version_instance": "2"},
    )
    assert done.status == 303
    maria = (await require_account(services.db, "maria")).actor.uri(services.config.base_url)
    assert await codes.accepted_version(services.db, maria, 0) == 2


@pytest.mark.usefixtures("people")
async def test_joining_a_hub_asks_for_the_codes_not_yet_accepted(
    app_client: TestClient, services: Services
) -> None:
    await set_code(services, None, CODE)
    await set_code(services, "climate", "1. Mind the climate.\n")
    assert await sign_in(app_client, "ben") == 303
    token = await form_token(app_client, "/hubs/climate")
    asked = await app_client.post("/hubs/climate/join", data={"csrf": token})
    page = await asked.text()
    assert asked.status == 200 and "Mind the climate." in page and "Be kind." in page
    assert await services.db.fetchval("SELECT count(*) FROM hub_members") == 0
    half = {"csrf": token, "accept_asked": "1", "accept_hub": "yes", "version_hub": "1",
            "version_instance": "1"}  # fmt: skip
    again = await app_client.post("/hubs/climate/join", data=half)
    assert again.status == 400 and "tick the box" in await again.text()
    assert await services.db.fetchval("SELECT count(*) FROM hub_members") == 0
    joined = await app_client.post("/hubs/climate/join", allow_redirects=False,
                                   data={**half, "accept_instance": "yes"})  # fmt: skip
    assert joined.status == 303
    ben = (await require_account(services.db, "ben")).actor.uri(services.config.base_url)
    climate = await require_hub(services.db, "climate")
    assert await codes.accepted_version(services.db, ben, climate.id) == 1
    assert await codes.accepted_version(services.db, ben, 0) == 1
    assert await services.db.fetchval("SELECT count(*) FROM hub_members") == 1


@pytest.mark.usefixtures("people")
async def test_the_cli_sets_and_shows_codes_as_the_web_does(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["conduct", *args, "--data", data_dir])

    code = tmp_path / "code.md"
    code.write_text(CODE, encoding="utf-8")
    assert await cli("set", "--file", str(code), "--as", "ana") == 1  # not an admin
    assert await cli("set", "--hub", "housing", "--file", str(code), "--as", "ana") == 1
    assert (
        await cli("set", "--hub", "climate", "--file", str(tmp_path / "none"), "--as", "ana") == 1
    )
    assert await cli("set", "--hub", "climate", "--file", str(code), "--as", "ana") == 0
    assert await cli("set", "--file", str(code), "--as", "root") == 0
    code.write_text("x" * 20_001, encoding="utf-8")
    assert await cli("set", "--file", str(code), "--as", "root") == 1  # too long
    capsys.readouterr()
    assert await cli("show", "--hub", "climate") == 0
    shown = capsys.readouterr().out
    assert "version 1" in shown and "No harassment." in shown and "hub:2\t" in shown
    assert await cli("show", "--version", "3") == 1
    climate = await require_hub(services.db, "climate")
    assert [e.action for e in await log.recent(services.db, climate.id)] == ["conduct_change"]


@pytest.mark.usefixtures("people")
async def test_nodeinfo_carries_the_code_and_a_hub_links_its_code_as_a_profile_field(
    app_client: TestClient, services: Services
) -> None:
    info = await (await app_client.get("/nodeinfo/2.1")).json()
    assert "codeOfConduct" not in info["metadata"]
    await set_code(services, None, CODE)
    await set_code(services, None, CODE + "3. Vote.\n")
    code = (await (await app_client.get("/nodeinfo/2.0")).json())["metadata"]["codeOfConduct"]
    base = services.config.base_url
    assert code["url"] == f"{base}/conduct" and code["version"] == 2 and "Vote." in code["text"]
    doc = await (await app_client.get("/hubs/climate", headers=AP)).json()
    [field] = doc["attachment"]
    assert field["type"] == "PropertyValue" and field["name"] == "Code of conduct"
    assert f'href="{base}/hubs/climate/conduct"' in field["value"]
    assert "attachment" not in await (await app_client.get("/users/ana", headers=AP)).json()


@pytest.mark.usefixtures("people")
async def test_admins_choose_whom_the_log_names(app_client: TestClient, services: Services) -> None:
    assert await sign_in(app_client, "root") == 303
    token = await form_token(app_client, "/admin")
    typed = {"csrf": token, "instance_name": "Relief", "instance_summary": "", "instance_rules": "",
             "instance_contact": "", "signup_mode": "closed"}  # fmt: skip
    for bad in ("anyone", "Nobody"):
        resp = await app_client.post("/admin", data={**typed, "moderation_log_names": bad})
        assert resp.status == 400 and "everyone, remote-only or nobody" in await resp.text()
    resp = await app_client.post("/admin", data={**typed, "moderation_log_names": "nobody"})
    assert resp.status == 200 and services.config.moderation_log_names == "nobody"
    assert '<option value="nobody" selected>' in await resp.text()
    await app_client.post("/admin", data=typed)  # a form without it: everyone, as before
    assert services.config.moderation_log_names == "everyone"
