"""The inbox end to end within one instance: a Mastodon-shaped remote follows, gets its Accept;
and every hostile request is refused with a clear 4xx and nothing stored (a Delete of an actor
we never knew is the one exception: 202 and dropped, as Mastodon does)."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import time
from dataclasses import replace
from email.utils import formatdate

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fedihub.app import create_app
from fedihub.config import Config
from fedihub.hubs.service import create_hub
from fedihub.keys import delivery_worker_key, inbox_worker_key, services_key
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer


async def stored(services: Services) -> int:
    return int(await services.db.fetchval("SELECT count(*) FROM inbox_items"))


@pytest.fixture
async def hub(services: Services) -> str:
    await create_hub(services.db, "climate", name="Climate")
    return f"{services.config.base_url}/hubs/climate"


def follow_from(remote: RemoteServer, hub: str, name: str = "alice", key: str = "alice") -> tuple:
    alice = remote.add_actor(name, key=key)
    follow = load(
        "mastodon-follow",
        **{
            "https://mastodon.example/users/alice": alice.id,
            "https://mastodon.example": remote.base_url(),
            "https://fedihub.example/hubs/climate": hub,
        },
    )
    return alice, follow


async def following_hub(app_client: TestClient, remote: RemoteServer, hub: str) -> tuple:
    """alice (on the remote) follows the hub, and the inbox worker has handled it."""
    alice, follow = follow_from(remote, hub)
    assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    return alice, follow


async def test_follow_is_stored_processed_and_accepted(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    resp = await remote.post(f"{hub}/inbox", follow, alice)
    assert resp.status == 202
    assert await stored(services) == 1

    assert await app_client.app[inbox_worker_key].run_once() == 1
    assert await app_client.app[delivery_worker_key].run_once() == 1

    accepts = remote.received_by(f"/users/{alice.username}/inbox")
    assert len(accepts) == 1 and accepts[0].signer == hub
    accept = accepts[0].activity
    assert accept["type"] == "Accept" and accept["actor"] == hub
    assert accept["object"] == {
        "id": follow["id"],
        "type": "Follow",
        "actor": alice.id,
        "object": hub,
    }
    assert await services.db.fetchval("SELECT state FROM followers") == "accepted"


async def test_duplicate_delivery_is_accepted_once(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    for _ in range(3):
        assert (await remote.post(f"{hub}/inbox", follow, alice)).status == 202
    assert await stored(services) == 1


async def test_undo_removes_the_follower(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = await following_hub(app_client, remote, hub)
    assert await services.db.fetchval("SELECT state FROM followers") == "accepted"
    undo = load("mastodon-undo-follow")
    undo["id"] = f"{alice.id}#follows/1/undo"
    undo["actor"] = alice.id
    undo["object"] = {k: follow[k] for k in ("id", "type", "actor", "object")}
    assert (await remote.post(f"{services.config.base_url}/inbox", undo, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    assert await services.db.fetchval("SELECT count(*) FROM followers") == 0


async def test_hub_that_approves_followers_holds_the_request(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    await create_hub(services.db, "private", name="Private", approve_followers=True)
    hub = f"{services.config.base_url}/hubs/private"
    await following_hub(app_client, remote, hub)
    await app_client.app[delivery_worker_key].run_once()
    assert await services.db.fetchval("SELECT state FROM followers") == "pending"
    assert remote.received == []


# Hostile requests: each refused with a clear 4xx, nothing stored.


async def refused(resp_status: int, services: Services, expected: int) -> None:
    assert resp_status == expected
    assert await stored(services) == 0


async def test_oversized_body_is_413(app_client: TestClient, services: Services, hub: str) -> None:
    body = b'{"pad":"' + b"x" * (services.config.max_inbox_body_bytes + 10) + b'"}'
    resp = await app_client.post("/inbox", data=io.BytesIO(body))
    await refused(resp.status, services, 413)


async def test_chunked_oversized_body_is_413(
    app_client: TestClient, services: Services, hub: str
) -> None:
    async def chunks():
        for _ in range(40):
            yield b"x" * 65536

    resp = await app_client.post("/inbox", data=chunks())
    await refused(resp.status, services, 413)


async def test_compressed_body_that_inflates_past_the_cap_is_413(instance_config: Config) -> None:
    """Small on the wire and already whole when the handler starts (sent in one write with its
    headers, inflated by aiohttp in one go), but past the cap once inflated: the cap is on what
    we would store, not on what was sent."""
    config = replace(instance_config, max_inbox_body_bytes=8_192)
    body = b'{"pad":"' + b"x" * 20_000 + b'"}'
    compressed = gzip.compress(body)
    assert len(compressed) < config.max_inbox_body_bytes // 10
    server = TestServer(create_app(config, run_workers=False), host="127.0.0.1")
    async with TestClient(server) as client:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(
            b"POST /inbox HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(compressed), compressed)
        )
        status_line = await reader.readline()
        writer.close()
        await refused(int(status_line.split()[1]), client.app[services_key], 413)


@pytest.mark.parametrize("body", [b"{not json", b"[1,2]", b'{"type":"Follow"}'])
async def test_malformed_json_is_400(
    app_client: TestClient, services: Services, body: bytes
) -> None:
    resp = await app_client.post("/inbox", data=body)
    await refused(resp.status, services, 400)
    assert "error" in await resp.json()


async def test_unsigned_post_is_401(app_client: TestClient, services: Services, hub: str) -> None:
    follow = load("mastodon-follow")
    resp = await app_client.post("/inbox", json=follow)
    await refused(resp.status, services, 401)


async def test_forged_signature_is_401(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    forger = remote.add_actor("forger", key="mallory")
    alice.secret.private_key = forger.secret.private_key  # signs with the wrong key for alice's id
    resp = await remote.post(f"{hub}/inbox", follow, alice)
    await refused(resp.status, services, 401)


async def test_activity_signed_by_someone_else_is_401(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    _, follow = follow_from(remote, hub)  # actor: alice
    mallory = remote.add_actor("mallory", key="mallory")
    resp = await remote.post(f"{hub}/inbox", follow, mallory)  # validly signed by mallory
    await refused(resp.status, services, 401)


async def test_replayed_old_date_is_401(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    resp = await remote.post(
        f"{hub}/inbox", follow, alice, date=formatdate(time.time() - 7200, usegmt=True)
    )
    await refused(resp.status, services, 401)


async def test_activity_id_on_another_host_is_403(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    follow["id"] = f"{remote.base_url(1)}/follows/1"  # the remote's other host
    resp = await remote.post(f"{hub}/inbox", follow, alice)
    await refused(resp.status, services, 403)


async def test_create_of_someone_elses_note_is_403(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice = remote.add_actor("alice", key="alice")
    create = load(
        "mastodon-create-note-mentioning-group",
        **{
            "https://mastodon.example/users/alice": alice.id,
            "https://mastodon.example": remote.base_url(),
        },
    )
    create["object"]["id"] = f"{remote.base_url(1)}/notes/1"
    resp = await remote.post(f"{services.config.base_url}/inbox", create, alice)
    await refused(resp.status, services, 403)


async def test_blocked_host_is_403(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, follow = follow_from(remote, hub)
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES (?, 0)",
        (f"127.0.0.1:{remote.ports[0]}",),
    )
    resp = await remote.post(f"{hub}/inbox", follow, alice)
    await refused(resp.status, services, 403)


async def test_delete_of_an_unknown_actor_is_dropped_without_fetching(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    remote.add_actor("alice", key="alice")  # fetchable, so a fetch would be seen
    delete = load("mastodon-delete-actor", **{"https://mastodon.example": remote.base_url()})
    resp = await app_client.post("/inbox", json=delete)  # unsigned, and the key is gone anyway
    # Answered 202 as Mastodon does (nothing to do), with nothing stored and nothing fetched.
    await refused(resp.status, services, 202)
    assert remote.fetched == []


async def test_inbox_of_unknown_actor_is_404(app_client: TestClient, services: Services) -> None:
    resp = await app_client.post("/hubs/nobody/inbox", json=load("mastodon-follow"))
    await refused(resp.status, services, 404)


async def test_script_in_received_content_is_stripped_before_storing(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice = remote.add_actor("alice", key="alice")
    await services.db.execute(
        "INSERT INTO following VALUES (1, ?, 'https://x/f', 'accepted', 0)", (alice.id,)
    )
    create = load(
        "mastodon-create-note-mentioning-group",
        **{
            "https://mastodon.example/users/alice": alice.id,
            "https://mastodon.example": remote.base_url(),
        },
    )
    create["object"]["content"] = '<p>hi<script>alert(1)</script><a href="javascript:x">y</a></p>'
    assert (await remote.post(f"{services.config.base_url}/inbox", create, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    document = await services.db.fetchval("SELECT document FROM received_objects")
    assert "script" not in document and "javascript" not in document and "hi" in document


async def test_key_on_a_private_address_is_never_fetched(
    app_client: TestClient, services: Services, hub: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedihub.signatures")
    from bovine.crypto.types import CryptographicSecret

    from tests.support.remote import sign_cavage_post, static_key

    follow = load("mastodon-follow", **{"https://fedihub.example/hubs/climate": hub})
    follow["actor"] = "https://10.0.0.5:6443/users/a"
    follow["id"] = "https://10.0.0.5:6443/follows/1"
    body = json.dumps(follow).encode()
    secret = CryptographicSecret.from_pem("https://10.0.0.5:6443/users/a#k", static_key("alice")[1])
    url = f"{services.config.base_url}/inbox"
    resp = await app_client.post("/inbox", data=body, headers=sign_cavage_post(secret, url, body))
    assert resp.status == 401 and (await resp.json())["error"] == "cannot get the signing key"
    assert await stored(services) == 0
    # Refused by the guard before any connection, not merely failed to connect:
    assert "not a public address" in caplog.text


@pytest.mark.parametrize(
    "actor",
    ["https://evil.example/u", "https://Social.EVIL.example./u", "https://evil.example\u3002/u"],
)
async def test_a_blocked_domain_its_subdomains_and_disguises_are_403(
    app_client: TestClient, services: Services, actor: str
) -> None:
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES ('evil.example', 0)"
    )
    follow = {"id": actor + "#f", "type": "Follow", "actor": actor, "object": "https://x.example/h"}
    resp = await app_client.post("/inbox", json=follow)  # refused before any signature work
    await refused(resp.status, services, 403)


async def test_a_block_on_an_address_does_not_spread_to_other_addresses(services: Services) -> None:
    await services.db.execute("INSERT INTO blocked_hosts (host, created_at) VALUES ('0.1', 0)")
    assert not await services.blocked.covers("127.0.0.1:8080")  # addresses have no parents


@pytest.mark.parametrize(
    ("block", "host", "covered"),
    [("[2001:db8::1]", "[2001:db8::1]:8443", True), ("[2001:db8::1]", "[2001:db8::1]", True),
     ("[2001:db8::1]", "[2001:db8:0:0::1]:8443", True), ("2001:db8::1", "[2001:db8::1]:80", True),
     ("[2001:DB8::1]", "[2001:db8::1]:8443", True), ("[2001:db8::1]", "[2001:db8::2]:8443", False),
     ("[2001:db8::1]:8443", "[2001:db8::1]:8443", True),
     ("[2001:db8::1]:8443", "[2001:db8::1]:9000", False),
     ("192.0.2.7", "192.0.2.7:8443", True), ("192.0.2.7", "[::ffff:192.0.2.7]:8443", True),
     ("192.0.2.7:8443", "192.0.2.7:9000", False), ("evil.example", "evil.example:8443", True),
     ("evil.example", "sub.evil.example:8443", True),
     ("evil.example", "notevil.example:8443", False), ("0.7", "192.0.2.7:8443", False)],
)  # fmt: skip
async def test_a_block_covers_every_port_of_its_host(
    services: Services, block: str, host: str, covered: bool
) -> None:
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES (?, 0)", (block,)
    )
    assert await services.blocked.covers(host) is covered


async def test_an_actor_on_a_blocked_ipv6_address_is_403_on_any_port(
    app_client: TestClient, services: Services
) -> None:
    await services.db.execute(
        "INSERT INTO blocked_hosts (host, created_at) VALUES ('[2001:db8::1]', 0)"
    )
    actor = "https://[2001:db8::1]:8443/users/a"
    follow = {"id": actor + "#f", "type": "Follow", "actor": actor, "object": "https://x.example/h"}
    resp = await app_client.post("/inbox", json=follow)  # refused before any signature work
    await refused(resp.status, services, 403)


async def follow_alice_and_send(services: Services, remote: RemoteServer, activity: dict) -> None:
    alice = remote.add_actor("alice", key="alice")
    await services.db.execute(
        "INSERT INTO following VALUES (1, ?, 'https://x/f', 'accepted', 0) ON CONFLICT DO NOTHING",
        (alice.id,),
    )
    assert (await remote.post(f"{services.config.base_url}/inbox", activity, alice)).status == 202


async def test_boost_is_kept_as_a_reference_only(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    announce = load(
        "lemmy-announce-create-page",
        **{
            "https://lemmy.example/c/labor": f"{remote.base_url()}/users/alice",
            "https://lemmy.example": remote.base_url(),
        },
    )
    announce["object"]["object"]["content"] = "<p>forged<script>x</script></p>"
    await follow_alice_and_send(services, remote, announce)
    await app_client.app[inbox_worker_key].run_once()
    document = json.loads(await services.db.fetchval("SELECT document FROM received_objects"))
    assert document["object"] == announce["object"]["id"] and "forged" not in json.dumps(document)


async def test_delete_before_create_leaves_a_tombstone(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    subs = {
        "https://mastodon.example/users/alice": f"{remote.base_url()}/users/alice",
        "https://mastodon.example": remote.base_url(),
    }
    await follow_alice_and_send(services, remote, load("mastodon-delete-note", **subs))
    await follow_alice_and_send(
        services, remote, load("mastodon-create-note-mentioning-group", **subs)
    )
    await app_client.app[inbox_worker_key].run_once()
    row = await services.db.fetchone("SELECT type, deleted_at FROM received_objects")
    assert row is not None and row["type"] == "Tombstone" and row["deleted_at"] is not None


async def test_a_burst_from_an_unknown_sender_fetches_its_key_once(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice = remote.add_actor("alice", key="alice")
    likes = [
        {"id": f"{alice.id}#likes/{i}", "type": "Like", "actor": alice.id, "object": hub}
        for i in range(20)
    ]
    responses = await asyncio.gather(*(remote.post(f"{hub}/inbox", like, alice) for like in likes))
    assert [r.status for r in responses] == [202] * 20
    assert remote.fetched == [alice.id]  # one fetch of alice's actor document, not twenty


async def test_a_deleted_account_is_forgotten_with_its_follows(
    app_client: TestClient, services: Services, remote: RemoteServer, hub: str
) -> None:
    alice, _ = await following_hub(app_client, remote, hub)
    assert await services.db.fetchval("SELECT count(*) FROM followers") == 1
    delete = load("mastodon-delete-actor", **{"https://mastodon.example/users/alice": alice.id})
    assert (await remote.post(f"{services.config.base_url}/inbox", delete, alice)).status == 202
    await app_client.app[inbox_worker_key].run_once()
    assert await services.db.fetchval("SELECT count(*) FROM followers") == 0
    assert await services.db.fetchval("SELECT count(*) FROM remote_actors") == 0
