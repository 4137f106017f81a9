"""Run this hub, through real HTTP as an organiser's browser uses it: people shown as people
(name, handle, avatar), held posts and reports with their text, adding and inviting by handle,
destructive actions asked twice, a note after each change, the description's Markdown kept,
and the hub's avatar and header on its pages. Hostile posts too: another hub's organiser, no
CSRF token, a private address, a 10 KB handle, someone not a member, another hub's report."""

from __future__ import annotations

import html
import io
from dataclasses import replace

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation import log as mod_log
from fedihub.posts import service as posts
from fedihub.reports import store as report_store
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer
from tests.support.web import AP, HTML, csrf_of, sign_in

MANAGE = "/hubs/climate/manage"


@pytest.fixture
async def climate(services: Services) -> LocalActor:
    """climate, run by ana; housing, run by ben."""
    for name in ("ana", "ben"):
        await create_account(services.db, name, "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate", join_policy="approval",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    await create_hub(services.db, "housing", name="Housing",
                     organizer=await require_account(services.db, "ben"))  # fmt: skip
    return await require_hub(services.db, "climate")


async def drain(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass
    while await app_client.app[delivery_worker_key].run_once():
        pass


async def manage_token(app_client: TestClient) -> str:
    return csrf_of(await (await app_client.get(MANAGE, headers=HTML)).text())


def mention(author, hub_uri: str, content: str) -> dict:  # type: ignore[no-untyped-def]
    note = {"id": f"{author.id}/notes/1", "type": "Note", "attributedTo": author.id,
            "content": content, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [hub_uri], "tag": [{"type": "Mention", "href": hub_uri}]}  # fmt: skip
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": author.id, "object": note}


def flag(reporter, n: int, objects: list[str], comment: str) -> dict:  # type: ignore[no-untyped-def]
    return {**load("mastodon-flag-from-instance-actor"), "id": f"{reporter.id}/flags/{n}",
            "actor": reporter.id, "object": objects, "content": comment}  # fmt: skip


async def test_people_held_posts_and_reports_show_as_people_read_them(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    base = services.config.base_url
    hub_uri = climate.uri(base)
    avatar = f"{remote.base_url()}/avatars/mia.png"
    mia = remote.add_actor("mia", icon=avatar, display_name="Mía <b>Ruiz</b>")
    sid = remote.add_actor("sid")
    mastodon = remote.add_actor("actor", actor_type="Application")
    post = await posts.publish(
        services, climate, None, "update", "# Buses at noon\n\nFrom the square."
    )
    join = {"id": f"{mia.id}/join/1", "type": "Join", "actor": mia.id, "object": hub_uri}
    hostile = '<p>Rent strike <script>alert("x")</script><a href="javascript:alert(2)">go</a></p>'
    for activity, actor in (
        (join, mia),
        (mention(sid, hub_uri, hostile), sid),
        (flag(mastodon, 1, [f"{hub_uri}/posts/{post.id}"], "Spam <b>here</b>"), mastodon),
    ):
        assert (await remote.post(f"{base}/inbox", activity, actor)).status == 202
    await drain(app_client)
    assert await sign_in(app_client, "ana") == 303
    resp = await app_client.get(MANAGE, headers=HTML)
    page = await resp.text()
    port = remote.ports[0]
    # A join request: the person's name (escaped), handle and avatar, linked to their profile.
    assert "Mía &lt;b&gt;Ruiz&lt;/b&gt;" in page and f"@mia@127.0.0.1:{port}" in page
    assert f'href="{remote.base_url()}/@mia"' in page
    assert f'<img src="{avatar}" alt="" width="40" height="40" loading="lazy"' in page
    assert "img-src 'self' https: http:" in resp.headers["Content-Security-Policy"]
    # The held post with its text, sanitised.
    assert "Rent strike" in page and "alert(" not in page and "javascript:" not in page
    assert f"@sid@127.0.0.1:{port}" in page
    # The report: who sent it, what it is about (the post's title), the comment as text.
    assert f"@actor@127.0.0.1:{port}" in page and ">Buses at noon</a>" in page
    assert "Spam here" in page or "Spam &lt;b&gt;here" in page
    assert "<b>here" not in page
    assert mia.id not in page.replace(f'value="{mia.id}"', "")  # never a bare URL to read


async def test_adding_and_inviting_by_handle(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia, sid = remote.add_actor("mia"), remote.add_actor("sid")
    host = f"127.0.0.1:{remote.ports[0]}"
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    added = await app_client.post(
        f"{MANAGE}/people",
        allow_redirects=False,
        data={"csrf": token, "handle": f" @mia@{host} ", "role": "moderator"},
    )
    assert added.status == 303 and added.headers["Location"] == f"{MANAGE}?done=added"
    assert await membership.role_of(services, climate, mia.id) == "moderator"
    [entry] = await mod_log.recent(services.db, climate.id)  # a new moderator is on the record
    assert (entry.action, entry.target_uri, entry.by_label) == ("role_change", mia.id, "ana")
    page = await (await app_client.get(added.headers["Location"], headers=HTML)).text()
    assert "Added to the hub." in page and f"@mia@{host}" in page
    local = await app_client.post(f"{MANAGE}/people", allow_redirects=False,
                                  data={"csrf": token, "handle": "ben"})  # fmt: skip
    assert local.status == 303
    assert await membership.role_of(services, climate, f"{services.config.base_url}/users/ben")
    # On an invite hub the person is invited: an Invite goes to them, and joining accepts it.
    await groups.set_hub_settings(services.db, climate.id, join_policy="invite")
    invited = await app_client.post(f"{MANAGE}/people", allow_redirects=False,
                                    data={"csrf": token, "handle": f"@sid@{host}"})  # fmt: skip
    assert invited.headers["Location"] == f"{MANAGE}?done=invited"
    assert (await groups.member(services.db, climate.id, sid.id)).state == "invited"  # type: ignore[union-attr]
    await drain(app_client)
    sent = [r.activity for r in remote.received_by("/users/sid/inbox")]
    hub_uri = climate.uri(services.config.base_url)
    assert [(a["type"], a["actor"], a["object"], a["target"]) for a in sent] == [
        ("Invite", hub_uri, hub_uri, sid.id)
    ]
    join = {"id": f"{sid.id}/join/1", "type": "Join", "actor": sid.id, "object": hub_uri}
    assert (await remote.post(f"{hub_uri}/inbox", join, sid)).status == 202
    await drain(app_client)
    assert await membership.role_of(services, climate, sid.id) == "member"


@pytest.mark.parametrize(("handle", "status", "words"), [
    ("@nobody@{host}", 404, "There is no account @nobody@{host}."),
    ("@x@127.0.0.1:1", 502, "The server 127.0.0.1:1 could not be reached"),
    ("nobody", 404, "There is no account nobody on this server."),
    ("not a handle", 400, "Write the address as @name@server.example"),
    ("@x@" + "a" * 10_000 + ".org", 400, "That address is too long"),
    ("@x@10.0.0.1", 400, "@x@10.0.0.1 is not on a server we may contact."),
])  # fmt: skip
async def test_a_handle_that_leads_nowhere_is_said_in_peoples_words(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor,
    handle: str, status: int, words: str,
) -> None:  # fmt: skip
    host = f"127.0.0.1:{remote.ports[0]}"
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    resp = await app_client.post(
        f"{MANAGE}/people", headers=HTML, data={"csrf": token, "handle": handle.format(host=host)}
    )
    page = html.unescape(await resp.text())
    assert resp.status == status and words.format(host=host) in page
    assert "Cannot connect" not in page and "WebFinger" not in page and "Errno" not in page
    if len(handle) < 100:  # what was typed is kept in the box
        assert f'value="{handle.format(host=host)}"' in page
    assert await groups.members(services.db, climate.id) == []


async def test_a_private_address_is_refused_in_production(
    app_client: TestClient, services: Services, climate: LocalActor
) -> None:
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    saved = services.config, services.client.config
    services.config = services.client.config = replace(services.config, insecure_http=False)
    try:
        for address in ("169.254.169.254", "[::1]", "192.168.1.1"):
            resp = await app_client.post(
                f"{MANAGE}/people", headers=HTML, data={"csrf": token, "handle": f"@x@{address}"}
            )
            assert resp.status == 400, address
            assert "is not on a server we may contact" in html.unescape(await resp.text())
    finally:
        services.config, services.client.config = saved
    assert await groups.members(services.db, climate.id) == []


async def test_destructive_actions_ask_first(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia, pia = remote.add_actor("mia"), remote.add_actor("pia")
    sid = remote.add_actor("sid")
    hub_uri = climate.uri(services.config.base_url)
    await membership.set_member(services, climate, mia.id)
    for actor, activity in (
        (pia, {"id": f"{pia.id}/join/1", "type": "Join", "actor": pia.id, "object": hub_uri}),
        (sid, mention(sid, hub_uri, "<p>Hello</p>")),
    ):
        assert (await remote.post(f"{hub_uri}/inbox", activity, actor)).status == 202
    await drain(app_client)
    [held] = await groups.queued(services.db, climate.id)
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    asks = [
        ("member", {"actor": mia.id, "action": "remove", "reason": "Left the group"},
         "Remove this person from the hub?"),
        ("member", {"actor": pia.id, "action": "reject", "kind": "join"}, "Turn down this"),
        ("queue", {"item": str(held.id), "action": "reject"}, "Reject this post?"),
    ]  # fmt: skip
    for path, fields, question in asks:
        first = await app_client.post(f"{MANAGE}/{path}", headers=HTML,
                                      data={"csrf": token, **fields})  # fmt: skip
        page = await first.text()
        assert first.status == 200 and question in page and 'name="confirm" value="yes"' in page
    assert [(m.actor_uri, m.state) for m in await groups.members(services.db, climate.id)] == [
        (mia.id, "member"), (pia.id, "pending")]  # fmt: skip
    assert len(await groups.queued(services.db, climate.id)) == 1
    for path, fields, _ in asks:
        done = await app_client.post(f"{MANAGE}/{path}", allow_redirects=False,
                                     data={"csrf": token, "confirm": "yes", **fields})  # fmt: skip
        assert done.status == 303, path
    assert await groups.members(services.db, climate.id) == []
    assert await groups.queued(services.db, climate.id) == []
    page = await (await app_client.get(f"{MANAGE}?done=removed", headers=HTML)).text()
    assert "Removed from the hub." in page
    # Removing someone who is not a member says so; nothing else happens.
    gone = await app_client.post(f"{MANAGE}/member", headers=HTML, data={
        "csrf": token, "confirm": "yes", "actor": mia.id, "action": "remove",
        "reason": "Left"})  # fmt: skip
    assert gone.status == 404 and "is not a member of this hub" in await gone.text()


async def test_forged_and_foreign_posts_are_refused(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    mia = remote.add_actor("mia")
    mastodon = remote.add_actor("actor", actor_type="Application")
    await membership.set_member(services, climate, mia.id)
    housing = await require_hub(services.db, "housing")
    base = services.config.base_url
    flagged = flag(mastodon, 1, [housing.uri(base)], "About housing")
    assert (await remote.post(f"{base}/inbox", flagged, mastodon)).status == 202
    await drain(app_client)
    [housing_report] = await report_store.open_reports(services.db, housing.id)
    host = f"127.0.0.1:{remote.ports[0]}"
    posts_ = [
        ("people", {"handle": f"@mia@{host}"}),
        ("member", {"actor": mia.id, "action": "remove", "confirm": "yes"}),
        ("settings", {"name": "Taken over"}),
    ]
    # ben runs housing, not climate: refused, with his own valid token.
    assert await sign_in(app_client, "ben") == 303
    ben_token = csrf_of(await (await app_client.get("/hubs/housing/manage", headers=HTML)).text())
    for path, fields in posts_:
        resp = await app_client.post(f"{MANAGE}/{path}", data={"csrf": ben_token, **fields})
        assert resp.status == 403, path
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    for path, fields in posts_:  # no CSRF token: refused before anything is looked at
        resp = await app_client.post(f"{MANAGE}/{path}", data=fields)
        assert resp.status == 403, path
    assert [m.actor_uri for m in await groups.members(services.db, climate.id)] == [mia.id]
    assert (await require_hub(services.db, "climate")).name == "Climate"
    # Another hub's report cannot be resolved from this hub's page.
    other = await app_client.post(f"{MANAGE}/report", headers=HTML, data={
        "csrf": token, "report": str(housing_report.id), "resolution": "done"})  # fmt: skip
    assert other.status == 404
    assert len(await report_store.open_reports(services.db, housing.id)) == 1


def image(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


async def test_settings_keep_the_markdown_and_show_avatar_and_header(
    app_client: TestClient, services: Services, climate: LocalActor
) -> None:
    assert await sign_in(app_client, "ana") == 303
    token = await manage_token(app_client)
    markdown = (
        "**Fridays** at the #climate strike:\n\n- bring water\n- [map](https://example.org/map)"
    )
    data = FormData()
    for name, value in (("csrf", token), ("name", "Climate strike"), ("summary", markdown),
                        ("timezone", "Europe/Madrid"), ("languages", "es en"),
                        ("join_policy", "approval")):  # fmt: skip
        data.add_field(name, value)
    data.add_field("icon", image((200, 0, 0), (64, 64)), filename="a.png", content_type="image/png")
    data.add_field("header", image((0, 0, 200), (300, 100)), filename="h.png",
                   content_type="image/png")  # fmt: skip
    saved = await app_client.post(f"{MANAGE}/settings", data=data, allow_redirects=False)
    assert saved.status == 303 and saved.headers["Location"] == f"{MANAGE}?done=saved"
    page = await (await app_client.get(saved.headers["Location"], headers=HTML)).text()
    assert "Settings saved." in page
    assert f">{html.escape(markdown, quote=False)}</textarea>" in page  # what was written
    spanish = {**HTML, "Accept-Language": "es"}
    assert (
        "Ajustes guardados."
        in await (await app_client.get(saved.headers["Location"], headers=spanish)).text()
    )
    hub = await require_hub(services.db, "climate")
    assert hub.icon and hub.header and "<strong>Fridays</strong>" in hub.summary
    dashboard = await (await app_client.get("/hubs/climate", headers=HTML)).text()
    assert f'class="hub-header" src="/media/{hub.header}"' in dashboard
    assert f'class="hub-avatar" src="/media/{hub.icon}" alt="Avatar of Climate strike"' in dashboard
    actor = await (await app_client.get("/hubs/climate", headers=AP)).json(content_type=None)
    assert actor["icon"]["url"].endswith(f"/media/{hub.icon}")
    assert actor["image"]["url"].endswith(f"/media/{hub.header}")
    assert (await app_client.get(f"/media/{hub.header}")).status == 200
    directory = await (await app_client.get("/directory", headers=HTML)).text()
    assert f'src="{services.config.base_url}/media/{hub.icon}"' in directory
    # A mistake keeps what was typed, Markdown included.
    bad = await app_client.post(
        f"{MANAGE}/settings",
        headers=HTML,
        data={
            "csrf": token,
            "name": "Climate strike",
            "summary": "*edited*",
            "timezone": "Mars/Olympus",
        },
    )
    text = await bad.text()
    assert bad.status == 400 and ">*edited*</textarea>" in text and "unknown time zone" in text
    assert await (await app_client.get(f"{MANAGE}?done=saved", headers=HTML)).text() != ""
    too_long = await app_client.post(f"{MANAGE}/settings", headers=HTML, data={
        "csrf": token, "name": "Climate strike", "summary": "x" * 5001})  # fmt: skip
    assert too_long.status == 400
    # The page's note comes only from its own list: ?done= cannot write on the page.
    forged = await (await app_client.get(f"{MANAGE}?done=<b>pwned</b>", headers=HTML)).text()
    assert 'class="done"' not in forged and "<b>pwned" not in forged


async def test_the_cli_adds_by_handle_or_name_as_the_form_does(
    app_client: TestClient, services: Services, remote: RemoteServer, climate: LocalActor
) -> None:
    import asyncio

    from fedihub.cli import main

    mia = remote.add_actor("mia")
    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["hub", "member", *args, "--data", data_dir])

    assert await cli("add", "climate", f"@mia@127.0.0.1:{remote.ports[0]}") == 0
    assert await cli("add", "climate", "ben", "--role", "moderator") == 1  # who gives it?
    assert await cli("add", "climate", "ben", "--role", "moderator", "--as", "ana") == 0
    assert await cli("add", "climate", "nobody") == 1
    ben = f"{services.config.base_url}/users/ben"
    assert await membership.role_of(services, climate, ben) == "moderator"
    assert await cli("remove", "climate", mia.id) == 1  # who removes, and why, are logged
    removing = ("remove", "climate", mia.id, "--as", "ana", "--reason", "Left the group")
    assert await cli(*removing) == 0
    assert await cli(*removing) == 1  # not a member any more: said so
    assert [m.actor_uri for m in await groups.members(services.db, climate.id)] == [ben]
