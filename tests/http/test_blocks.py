"""Blocking and silencing servers and accounts, and subscribed block lists, on one real app
with a Mastodon stand-in on loopback: what each refuses at the inbox, what it holds for a
moderator, what it stops sending, and the public log of each change."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.actors.store import get_actor
from fedihub.cli import main
from fedihub.errors import BadRequest, FetchError, Forbidden
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key
from fedihub.moderation import log
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.blocking import lists, service
from fedihub.moderation.blocking import store as blocks
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.network import free_port
from tests.support.remote import RemoteServer


@pytest.fixture
async def hub(services: Services) -> LocalActor:
    await create_account(services.db, "root", "correct horse", is_admin=True)
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    found = await get_actor(services.db, "group", "climate")
    assert found is not None
    return found


async def admin(services: Services) -> Moderator:
    return await local_moderator(services, await require_account(services.db, "root"), None)


async def drain(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass
    while await app_client.app[delivery_worker_key].run_once():
        pass


def follow(actor_uri: str, hub_uri: str, n: int = 1) -> dict:
    return {"id": f"{actor_uri}/follows/{n}", "type": "Follow", "actor": actor_uri,
            "object": hub_uri}  # fmt: skip


def mention(author_uri: str, hub_uri: str, n: int) -> dict:
    note = {"id": f"{author_uri}/notes/{n}", "type": "Note", "attributedTo": author_uri,
            "content": "<p>Hello</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [hub_uri], "tag": [{"type": "Mention", "href": hub_uri}]}  # fmt: skip
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": author_uri, "object": note}


async def cli(services: Services, *args: str) -> int:
    return await asyncio.to_thread(main, [*args, "--data", str(services.config.data_dir)])


async def test_a_domain_block_refuses_its_activities_and_its_fetches_until_lifted(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    alice = remote.add_actor("alice", key="alice")
    host = f"127.0.0.1:{remote.ports[0]}"
    # Only an admin may block, and a reason is required (it is what the public log shows).
    assert await cli(services, "domain", "block", host, "--reason", "Spam", "--as", "ana") == 1
    assert await cli(services, "domain", "block", host, "--reason", " ", "--as", "root") == 1
    assert await cli(services, "domain", "block", host, "--reason", "Spam waves",
                     "--public-comment", "Spam", "--as", "root") == 0  # fmt: skip
    services.blocked.forget()  # the CLI is another process: this one rereads within seconds
    assert (await remote.post(f"{hub_uri}/inbox", follow(alice.id, hub_uri), alice)).status == 403
    with pytest.raises(FetchError):  # nor is anything fetched from it: objects, actors, keys
        await services.resolver.fetch_object(f"{remote.base_url()}/notes/1")
    with pytest.raises(FetchError):
        await services.resolver.key(f"{alice.id}#main-key")
    assert remote.fetched == []
    entries = await log.recent(services.db, None)
    assert [(e.action, e.target_uri, e.reason, e.by_label) for e in entries] == [
        ("block_domain", host, "Spam", "root")
    ]  # fmt: skip
    assert [b.reason for b in await blocks.host_blocks(services.db)] == ["Spam waves"]
    assert await cli(services, "domain", "unblock", host, "--as", "root") == 0
    services.blocked.forget()
    assert (await remote.post(f"{hub_uri}/inbox", follow(alice.id, hub_uri), alice)).status == 202
    assert (await log.recent(services.db, None))[0].action == "unblock_domain"


async def test_a_block_stops_deliveries_to_its_followers_and_gives_up_pending_ones(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    alice, bob = remote.add_actor("alice", key="alice"), remote.add_actor("bob", host_index=1)
    for n, who in enumerate((alice, bob)):
        assert (await remote.post(f"{hub_uri}/inbox", follow(who.id, hub_uri, n), who)).ok
    await drain(app_client)
    remote.received.clear()
    ana = await require_account(services.db, "ana")
    await posts.publish(services, hub, ana, "update", "Queued before the block.")
    await service.block_domain(services, await admin(services), f"127.0.0.1:{remote.ports[0]}",
                               "block", reason="Spam")  # fmt: skip
    states = await services.db.fetchall("SELECT host, state FROM deliveries ORDER BY host")
    assert {(r["host"].split(":")[1], r["state"]) for r in states} >= {
        (str(remote.ports[0]), "gave_up"), (str(remote.ports[1]), "pending")
    }  # fmt: skip
    await posts.publish(services, hub, ana, "update", "After the block.")
    await drain(app_client)
    got = {r.path for r in remote.received}
    assert all(str(remote.ports[0]) not in r.activity["id"] for r in remote.received)
    assert got and all(not p.startswith("/users/alice") for p in got)
    hosts = {r["host"] for r in await services.db.fetchall("SELECT host FROM deliveries")}
    assert sum(h.endswith(str(remote.ports[0])) for h in hosts) == 1  # only the given-up one
    # An account blocked on its own: its server gets nothing more of ours meant for it alone.
    count = "SELECT count(*) FROM deliveries WHERE host = ?"
    to_bob = await services.db.fetchval(count, (f"127.0.0.1:{remote.ports[1]}",))
    await service.block_actor(services, await admin(services), bob.id, "block", reason="Spam")
    await posts.publish(services, hub, ana, "update", "After the account's block.")
    assert await services.db.fetchval(count, (f"127.0.0.1:{remote.ports[1]}",)) == to_bob


async def test_an_actor_block_refuses_that_actor_only(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    alice, bob = remote.add_actor("alice", key="alice"), remote.add_actor("bob", key="bob")
    assert await cli(services, "actor", "block", alice.id, "--reason", "Threats",
                     "--as", "ana") == 1  # fmt: skip
    assert await cli(services, "actor", "block", alice.id, "--reason", "Threats",
                     "--as", "root") == 0  # fmt: skip
    services.blocked.forget()
    assert (await remote.post(f"{hub_uri}/inbox", follow(alice.id, hub_uri), alice)).status == 403
    assert (await remote.post(f"{hub_uri}/inbox", follow(bob.id, hub_uri), bob)).status == 202
    assert [e.action for e in await log.recent(services.db, None)] == ["block_actor"]
    await service.unblock_actor(services, await admin(services), alice.id)
    assert (await remote.post(f"{hub_uri}/inbox", follow(alice.id, hub_uri), alice)).status == 202


async def test_an_account_blocked_by_its_profile_address_is_blocked_by_its_id(
    services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    """People copy https://server/@name from their browser; activities carry the actor's id."""
    zed = remote.add_actor("zed")
    profile = f"{remote.base_url()}/@zed"
    remote.objects[profile] = zed.document()  # the server answers its profile page with the actor
    blocked = await service.block_actor(services, await admin(services), profile, "block",
                                        reason="Threats")  # fmt: skip
    assert blocked == zed.id and await services.blocked.refuses(zed.id)


async def test_a_silenced_servers_posts_into_an_open_hub_wait_and_its_follows_need_approval(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    hub_uri = hub.uri(services.config.base_url)
    mia, sid = remote.add_actor("mia"), remote.add_actor("sid", host_index=1)
    await membership.set_member(services, hub, mia.id)  # even a member's post waits
    await service.block_domain(services, await admin(services), f"127.0.0.1:{remote.ports[0]}",
                               "silence", reason="Unmoderated")  # fmt: skip
    await service.block_actor(services, await admin(services), sid.id, "silence",
                              reason="Brigading")  # fmt: skip
    for n, who in enumerate((mia, sid)):
        assert (await remote.post(f"{hub_uri}/inbox", mention(who.id, hub_uri, n), who)).ok
        assert (await remote.post(f"{hub_uri}/inbox", follow(who.id, hub_uri, n), who)).ok
    await drain(app_client)
    held = {(q.actor_uri, q.reason) for q in await groups.queued(services.db, hub.id)}
    reason = "from a silenced server or account"
    assert held == {(mia.id, reason), (sid.id, reason)}
    assert await services.db.fetchval("SELECT count(*) FROM reshares") == 0
    states = await services.db.fetchall("SELECT actor_uri, state FROM followers")
    assert {(r[0], r[1]) for r in states} == {(mia.id, "pending"), (sid.id, "pending")}
    assert [e.action for e in await log.recent(services.db, None)] == [
        "silence_actor", "silence_domain"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "stored"),
    [("EVIL.Example.", "evil.example"), ("https://Evil.example/users/x", "evil.example"),
     ("[2001:DB8:0::1]", "[2001:db8::1]"), ("[::ffff:192.0.2.7]:8443", "192.0.2.7:8443"),
     (" sub.evil.example ", "sub.evil.example"), ("Évil.Example", "xn--vil-9la.example")],
)  # fmt: skip
async def test_hosts_are_stored_in_one_spelling(
    services: Services, hub: LocalActor, given: str, stored: str
) -> None:
    assert await service.block_domain(services, await admin(services), given, "block",
                                      reason="Spam") == stored  # fmt: skip
    assert await services.blocked.covers(stored)


async def test_a_fan_out_s_followers_are_judged_as_one_by_one(
    services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    """`refused` (each host judged once, for fan-out) says what `refuses` says of each."""
    by = await admin(services)
    await service.block_domain(services, by, "evil.example", "block", reason="Spam")
    await service.block_domain(services, by, "loud.example", "silence", reason="Noise")
    await service.block_domain(services, by, "10.0.0.7:8443", "block", reason="Spam")
    zed = remote.add_actor("zed")
    await service.block_actor(services, by, zed.id, "block", reason="Threats")
    followers = [zed.id, remote.add_actor("amy").id, "https://evil.example/u/a",
                 "https://deep.sub.EVIL.example./u/b", "https://notevil.example/u/c",
                 "https://loud.example/u/d", "https://10.0.0.7:8443/u/e",
                 "https://10.0.0.7/u/f", "https://[::ffff:10.0.0.7]:8443/u/g"]  # fmt: skip
    one_by_one = {uri for uri in followers if await services.blocked.refuses(uri)}
    assert await services.blocked.refused(followers) == one_by_one
    assert one_by_one == {
        zed.id,
        "https://evil.example/u/a",
        "https://deep.sub.EVIL.example./u/b",
        "https://10.0.0.7:8443/u/e",
        "https://[::ffff:10.0.0.7]:8443/u/g",
    }


@pytest.mark.parametrize(
    "given", ["", "evil example", "a" * 300, "javascript:alert(1)", "evil..example", "*.evil",
              "evil.example/../x", "localhost", "LOCALHOST.", "@someone@elsewhere"],
)  # fmt: skip
async def test_nonsense_and_this_instance_itself_cannot_be_blocked(
    services: Services, hub: LocalActor, given: str
) -> None:
    with pytest.raises(BadRequest):
        await service.block_domain(services, await admin(services), given, "block", reason="x")
    assert await blocks.host_blocks(services.db) == []
    assert await log.recent(services.db, None) == []


async def test_non_admins_cannot_block_and_our_own_accounts_are_not_remote(
    services: Services, hub: LocalActor
) -> None:
    with pytest.raises(Forbidden):
        await local_moderator(services, await require_account(services.db, "ana"), None)
    with pytest.raises(BadRequest):
        ana = f"{services.config.base_url}/users/ana"
        await service.block_actor(services, await admin(services), ana, "block", reason="x")


# Block lists


class ListServer:
    """Serves block lists on loopback: path -> (status, body)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.files: dict[str, tuple[int, bytes]] = {}
        self.runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def _serve(self, request: web.Request) -> web.Response:
        status, body = self.files.get(request.match_info["path"], (404, b""))
        return web.Response(status=status, body=body, content_type="text/csv")

    async def __aenter__(self) -> ListServer:
        app = web.Application()
        app.router.add_get("/{path:.+}", self._serve)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def list_server() -> AsyncIterator[ListServer]:
    async with ListServer() as server:
        yield server


MASTODON_CSV = b"""#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,false,false,Spam,false
loud.example,silence,false,false,,false
meh.example,noop,true,false,,false
ev*l.example,suspend,false,false,,true
mine.example,suspend,false,false,,false
not a host,suspend,false,false,,false
odd.example,explode,false,false,,false
"""


async def test_a_subscribed_list_is_applied_refreshed_and_never_lifts_a_hand_block(
    services: Services, hub: LocalActor, list_server: ListServer
) -> None:
    root = await admin(services)
    url = list_server.url("blocklist.csv")
    list_server.files["blocklist.csv"] = (200, MASTODON_CSV)
    await service.block_domain(services, root, "mine.example", "silence", reason="by hand")
    assert await cli(services, "domain", "subscribe", url, "--as", "ana") == 1  # admins only
    counts = await lists.subscribe(services, root, url)
    assert counts == {"blocked": 1, "silenced": 1, "lifted": 0}
    found = {(b.host, b.severity, b.source) for b in await blocks.host_blocks(services.db)}
    assert found == {("spam.example", "block", url), ("loud.example", "silence", url),
                     ("mine.example", "silence", "")}  # fmt: skip
    (subscription,) = await blocks.subscriptions(services.db)
    assert (subscription.entries, subscription.skipped) == (3, 3)  # noop: neither
    assert await services.blocked.covers("sub.spam.example")
    assert await services.blocked.silenced("loud.example")

    # Not due yet: nothing fetched. Then the list changes: spam.example and mine.example leave.
    assert await lists.refresh_due(services, services.clock.now() + 60) == 0
    list_server.files["blocklist.csv"] = (200, b"loud.example\nnew.example\n# a comment\n")
    later = services.clock.now() + lists.REFRESH_EVERY_S + 1
    assert await lists.refresh_due(services, later) == 1
    found = {(b.host, b.severity, b.source) for b in await blocks.host_blocks(services.db)}
    assert found == {("loud.example", "block", url), ("new.example", "block", url),
                     ("mine.example", "silence", "")}  # fmt: skip
    entries = await log.recent(services.db, None)
    assert [e.action for e in entries] == ["refresh_blocklist", "refresh_blocklist",
                                           "subscribe_blocklist", "silence_domain"]  # fmt: skip
    # loud.example now blocked, new.example too; spam.example lifted (mine.example never its)
    assert entries[0].reason == "2 blocked, 0 silenced, 1 lifted (0 lines skipped)"
    assert entries[0].target_uri == url

    # A list that fails, grows huge or turns to garbage keeps its last good entries, backing off.
    for status, body in ((500, b""), (200, b"x" * (lists.MAX_LIST_BYTES + 1)),
                         (200, b"<html>not a list</html>\n\x00\n"),
                         (200, b"a.example\n" * (lists.MAX_LIST_LINES + 1))):  # fmt: skip
        list_server.files["blocklist.csv"] = (status, body)
        later += lists.REFRESH_EVERY_S + 1
        assert await lists.refresh_due(services, later) == 0
    (subscription,) = await blocks.subscriptions(services.db)
    assert subscription.failures == 4 and subscription.last_error
    assert subscription.next_fetch_at - later == lists.RETRY_FIRST_S * 2**3  # doubling
    assert len(await blocks.host_blocks(services.db)) == 3

    assert await lists.unsubscribe(services, root, url) == 2
    assert [b.host for b in await blocks.host_blocks(services.db)] == ["mine.example"]


async def test_a_server_an_admin_unblocks_stays_unblocked_through_the_lists_refreshes(
    services: Services, hub: LocalActor, list_server: ListServer
) -> None:
    root = await admin(services)
    url = list_server.url("blocklist.csv")
    list_server.files["blocklist.csv"] = (200, b"spam.example\nwrong.example\n")
    await lists.subscribe(services, root, url)
    await service.unblock_domain(services, root, "wrong.example", reason="a mistake on that list")
    later = services.clock.now()
    for _ in range(2):  # refreshed twice, the list still naming it
        later += lists.REFRESH_EVERY_S + 1
        await lists.refresh_due(services, later)
    assert [b.host for b in await blocks.host_blocks(services.db)] == ["spam.example"]
    # Blocked by hand again, it is a block like any other; unblocked, it stays so.
    await service.block_domain(services, root, "wrong.example", "block", reason="after all")
    assert await services.blocked.covers("wrong.example")
    await service.unblock_domain(services, root, "wrong.example")
    later += lists.REFRESH_EVERY_S + 1
    await lists.refresh_due(services, later)
    assert not await services.blocked.covers("wrong.example")


async def test_a_list_that_cannot_be_fetched_or_read_is_refused_at_subscription(
    services: Services, hub: LocalActor, list_server: ListServer
) -> None:
    root = await admin(services)
    list_server.files["garbage"] = (200, b"#domain,#severity\n<<<,suspend\n!!!,suspend\n")
    for url in (list_server.url("missing"), list_server.url("garbage"), "ftp://x.example/l"):
        with pytest.raises((FetchError, BadRequest)):
            await lists.subscribe(services, root, url)
    assert await blocks.subscriptions(services.db) == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/list.csv", "https://10.0.0.1/list.csv", "https://[::1]/l.csv",
            "https://[::ffff:10.0.0.1]/l.csv", "http://spam.example/l.csv"],
)  # fmt: skip
async def test_a_list_on_a_private_address_is_refused_in_production(
    services: Services, hub: LocalActor, url: str
) -> None:
    services.config = dataclasses.replace(services.config, insecure_http=False)
    with pytest.raises(FetchError):
        await lists.subscribe(services, await admin(services), url)
    assert await blocks.subscriptions(services.db) == []


# The admins' page


async def test_the_admins_page_blocks_from_a_report_keeps_what_was_typed_and_refuses_forgeries(
    app_client: TestClient, services: Services, hub: LocalActor
) -> None:
    from fedihub.moderation import conduct
    from fedihub.reports import store as reports
    from tests.support.web import HTML, csrf_of, sign_in

    await conduct.set_code(services, await admin(services), None, "1. Be kind.\n2. No spam.\n")
    async with services.db.transaction() as tx:
        await reports.save(tx, None, "https://m.example/flag/1", "https://m.example/actor",
                           ["https://spam.example/users/x"], "spam", 1.0)  # fmt: skip
    (report,) = await reports.open_reports(services.db, None)
    assert (await app_client.get("/admin/blocks", headers=HTML, allow_redirects=False)).status in (
        302, 303
    )  # fmt: skip
    assert await sign_in(app_client, "ana") == 303
    assert (await app_client.get("/admin/blocks", headers=HTML)).status == 403  # no admin
    assert await sign_in(app_client, "root") == 303
    page = await (
        await app_client.get(f"/admin/blocks?domain=spam.example&report={report.id}", headers=HTML)
    ).text()
    assert 'value="spam.example"' in page and f'name="report" value="{report.id}"' in page
    assert "Instance code v1 §2: No spam." in page
    token = csrf_of(page)

    async def post(path: str, **fields: str) -> tuple[int, str]:
        resp = await app_client.post(f"/admin/blocks/{path}", data=fields, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        return resp.status, await resp.text()

    form = {"domain": "spam.example", "severity": "silence", "reason": "Spam waves",
            "public_comment": "Spam", "clause": "instance:2", "report": str(report.id)}  # fmt: skip
    assert (await post("domain", **form))[0] == 403  # no CSRF token: refused
    ours = services.config.domain
    for wrong in ({"domain": "not a host"}, {"clause": ""}, {"severity": "nuke"},
                  {"report": "9" * 40}, {"reason": " "}, {"domain": ours}):  # fmt: skip
        status, again = await post("domain", csrf=token, **{**form, **wrong})
        assert status in (400, 404), wrong
        assert 'value="Spam waves"' in again or wrong == {"reason": " "}  # nothing typed lost
    assert await blocks.host_blocks(services.db) == []
    assert (await post("domain", csrf=token, **form))[0] == 303
    assert [(b.host, b.severity) for b in await blocks.host_blocks(services.db)] == [
        ("spam.example", "silence")
    ]  # fmt: skip
    assert await reports.open_reports(services.db, None) == []  # answered by the block
    (entry,) = [e for e in await log.recent(services.db, None) if e.action == "silence_domain"]
    assert (entry.clause, entry.reason, entry.report_id) == (
        "Instance code v1 §2: No spam.", "Spam", report.id
    )  # fmt: skip
    page = await (await app_client.get("/admin/blocks", headers=HTML)).text()
    assert "spam.example" in page and "Lift the block on spam.example" in page
    assert (await post("domain/unblock", csrf=token, domain="spam.example"))[0] == 303
    assert await blocks.host_blocks(services.db) == []
    assert '/admin/blocks"' in await (await app_client.get("/admin", headers=HTML)).text()


async def test_what_a_blocked_server_sent_earlier_leaves_the_hubs_dashboard(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: LocalActor
) -> None:
    alice = remote.add_actor("alice", key="alice")
    await services.db.execute(
        "INSERT INTO following VALUES (?, ?, 'https://x/f', 'accepted', 0)", (hub.id, alice.id)
    )
    note = mention(alice.id, "https://elsewhere.example/hubs/x", 1)
    note["object"]["content"] = "<p>Sent before the block</p>"
    assert (await remote.post(f"{services.config.base_url}/inbox", note, alice)).status == 202
    await drain(app_client)

    async def shown() -> bool:
        return "Sent before the block" in await (await app_client.get("/hubs/climate")).text()

    assert await shown()
    root = await admin(services)
    await service.block_domain(services, root, f"127.0.0.1:{remote.ports[0]}", "block",
                               reason="Spam")  # fmt: skip
    assert not await shown()
    await service.unblock_domain(services, root, f"127.0.0.1:{remote.ports[0]}")
    assert await shown()
    await service.block_actor(services, root, alice.id, "block", reason="Spam")
    assert not await shown()


async def test_the_scheduler_refreshes_due_lists_and_the_cli_lists_everything(
    services: Services, hub: LocalActor, list_server: ListServer
) -> None:
    import contextlib
    import io

    from fedihub.scheduler import Scheduler

    root = await admin(services)
    url = list_server.url("list.txt")
    list_server.files["list.txt"] = (200, b"spam.example\n")
    await lists.subscribe(services, root, url)
    await service.block_actor(services, root, "https://loud.example/users/x", "silence",
                              reason="Brigading")  # fmt: skip
    list_server.files["list.txt"] = (200, b"spam.example\nmore.example\n")
    scheduler = Scheduler(services)
    assert (await scheduler.run_once(services.clock.now() + 60)).blocklists == 0  # not due
    run = await scheduler.run_once(services.clock.now() + lists.REFRESH_EVERY_S + 1)
    assert run.blocklists == 1
    assert {b.host for b in await blocks.host_blocks(services.db)} == {
        "spam.example", "more.example"
    }  # fmt: skip
    out = io.StringIO()

    def listed() -> int:
        with contextlib.redirect_stdout(out):
            return main(["domain", "list", "--data", str(services.config.data_dir)])

    assert await asyncio.to_thread(listed) == 0
    lines = out.getvalue().splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["domain", "more.example", "block"], ["domain", "spam.example", "block"],
        ["actor", "https://loud.example/users/x", "silence"], ["list", url, "2 entries, 0 skipped"],
    ]  # fmt: skip
