"""Reports between real fedihub instances: a Flag shaped as Mastodon's, from B's instance actor,
about a member of hub X on A (pat, on C) and pat's post X carried, reaches X's moderators (its
reports list, and a direct message to mo, its moderator on B) and not hub Y's; and a report made
on A's web form about a post by mo, with consent, arrives at B as a Flag from A's instance actor,
which B files for its admins."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from bovine.crypto.types import CryptographicSecret

from tests.support.instances import FedihubInstance, follow_and_wait
from tests.support.network import eventually
from tests.support.remote import sign_cavage_post
from tests.support.web import csrf_of

pytestmark = pytest.mark.federation


async def post(instance: FedihubInstance, actor: str, text: str, tmp_path: Path) -> str:
    path = tmp_path / f"{instance.name}-{actor}.md"
    path.write_text(text)
    out = await instance.acli("post", "--data", instance.data, actor, "--as", actor, path)
    return out.stdout.strip()


async def send_as_instance_actor(sender: FedihubInstance, url: str, activity: dict) -> int:  # type: ignore[type-arg]
    """POSTs `activity` signed by `sender`'s instance actor, as Mastodon signs its Flags."""
    (pem,) = sender.query("SELECT private_key_pem FROM local_actors WHERE kind = 'application'")[0]
    secret = CryptographicSecret.from_pem(f"{sender.base_url}/actor#main-key", pem)
    body = json.dumps(activity).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=sign_cavage_post(secret, url, body)) as resp,
    ):
        return resp.status


async def test_a_mastodon_shaped_flag_reaches_the_right_moderators_and_reports_go_out(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a, b, c = new_instance("a"), new_instance("b"), new_instance("c")
    await a.acli("account", "create", "--data", a.data, "org", "--admin",
                 "--password-file", password_file)  # fmt: skip
    for slug in ("x", "y"):
        await a.acli("hub", "create", "--data", a.data, slug, "--name", slug.upper(),
                     "--organizer", "org")  # fmt: skip
    await b.acli("account", "create", "--data", b.data, "mo", "--password-file", password_file)
    await c.acli("account", "create", "--data", c.data, "pat", "--password-file", password_file)
    for instance in (a, b, c):
        await instance.start()
    x = f"{a.base_url}/hubs/x"
    pat, mo = f"{c.base_url}/users/pat", f"{b.base_url}/users/mo"
    await follow_and_wait(c, "pat", f"@x@{a.domain}")  # an open hub: following is joining
    await follow_and_wait(b, "mo", f"@x@{a.domain}")
    await a.acli("hub", "member", "--data", a.data, "add", "x", f"@mo@{b.domain}",
                 "--role", "moderator", "--as", "org")  # fmt: skip
    spam = await post(c, "pat", f"Cheap pills here @x@{a.domain}", tmp_path)

    async def carried() -> bool:
        return bool(a.query("SELECT 1 FROM reshares WHERE object_uri = ?", (spam,)))

    await eventually(carried, what="hub X on A to carry pat's post")

    flag = {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{b.base_url}/flags/8d1e0a76", "type": "Flag",
            "actor": f"{b.base_url}/actor", "content": "Spam posted into the hub.",
            "object": [pat, spam]}  # fmt: skip
    assert await send_as_instance_actor(b, f"{a.base_url}/inbox", flag) == 202

    async def filed() -> bool:
        return bool(a.query("SELECT 1 FROM reports WHERE activity_uri = ?", (flag["id"],)))

    await eventually(filed, what="A to file B's report")
    for_x = (await a.acli("reports", "list", "--data", a.data, "--hub", "x")).stdout
    assert spam in for_x and "Spam posted into the hub." in for_x
    assert (await a.acli("reports", "list", "--data", a.data, "--hub", "y")).stdout == ""
    assert spam in (await a.acli("reports", "list", "--data", a.data)).stdout  # the admins too

    async def mo_told() -> bool:
        rows = b.query("SELECT document FROM inbox_items WHERE type = 'Create' AND actor_uri = ?",
                       (x,))  # fmt: skip
        return any(json.loads(d)["object"].get("to") == [mo]
                   and "Spam posted into the hub." in json.loads(d)["object"]["content"]
                   for (d,) in rows)  # fmt: skip

    await eventually(mo_told, what="X's moderator on B to get a direct message")

    # On A's form, anyone reports mo's post (from B, carried by X) and asks for it to go to B.
    meeting = await post(b, "mo", f"Meeting moved to six @x@{a.domain}", tmp_path)

    async def known_on_a() -> bool:
        return bool(a.query("SELECT 1 FROM received_objects WHERE uri = ?", (meeting,)))

    await eventually(known_on_a, what="A to hold mo's post")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{a.base_url}/report", params={"about": meeting}) as resp:
            page = await resp.text()
            assert resp.status == 200 and 'name="forward"' in page
        form = {"csrf": csrf_of(page), "about": meeting, "comment": "Misleading time.",
                "contact": "me@example.org", "forward": "yes"}  # fmt: skip
        async with session.post(f"{a.base_url}/report", data=form, allow_redirects=False) as resp:
            assert resp.status == 303

    async def flagged_on_b() -> bool:
        return bool(b.query("SELECT 1 FROM reports WHERE reporter_uri = ?",
                            (f"{a.base_url}/actor",)))  # fmt: skip

    await eventually(flagged_on_b, what="B to file A's Flag")
    on_b = (await b.acli("reports", "list", "--data", b.data)).stdout
    assert meeting in on_b and "Misleading time." in on_b and f"{a.base_url}/actor" in on_b
    (document,) = b.query("SELECT document FROM inbox_items WHERE type = 'Flag'")[0]
    assert "me@example.org" not in document  # the reporter's contact stayed on A
    logged = a.query("SELECT action, hub_id FROM moderation_log WHERE action <> 'role_change'")
    assert logged == [("forward_report", None)]
