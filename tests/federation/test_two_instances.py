"""Two real fedihub processes on loopback ports, each with its own data directory, talking
signed HTTP: an account on B finds hub@A by WebFinger, follows it, gets the Accept, receives
a hub post, unfollows; and a hub that approves its followers by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.postgres import suite_backend

pytestmark = pytest.mark.federation


async def following_state(b: FedihubInstance, account: str, target: str) -> str | None:
    rows = b.query(
        "SELECT f.state FROM following f JOIN local_actors a ON a.id = f.local_actor_id"
        " WHERE a.username = ? AND f.actor_uri = ?",
        (account, target),
    )
    return rows[0][0] if rows else None


def followers(a: FedihubInstance, hub: str, state: str = "accepted") -> list[str]:
    return [r[0] for r in a.query(
        "SELECT f.actor_uri FROM followers f JOIN local_actors a ON a.id = f.local_actor_id"
        " WHERE a.username = ? AND f.state = ? ORDER BY f.actor_uri", (hub, state))]  # fmt: skip


async def test_follow_post_unfollow_between_two_instances(
    new_instance,
    password_file: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    await a.acli("account", "create", "--data", a.data, "org", "--password-file", password_file)
    await a.acli(
        "hub", "create", "--data", a.data, "climate", "--name", "Climate", "--organizer", "org"
    )
    await b.acli("account", "create", "--data", b.data, "alice", "--password-file", password_file)
    await a.start()
    await b.start()
    hub = f"{a.base_url}/hubs/climate"
    alice = f"{b.base_url}/users/alice"

    out = (await b.acli("follow", "--data", b.data, "--as", "alice", f"@climate@{a.domain}")).stdout
    assert hub in out

    async def accepted() -> bool:
        return await following_state(b, "alice", hub) == "accepted"

    await eventually(accepted, what="B to receive A's Accept")
    assert (await a.acli("followers", "--data", a.data, "climate")).stdout.split() == [alice]

    post = tmp_path / "update.md"
    post.write_text("# Port shutdown\n\nWest coast locals: calls every **Monday**.\n")
    post_uri = (
        await a.acli("post", "--data", a.data, "climate", "--as", "org", post)
    ).stdout.strip()

    async def received() -> bool:
        return bool(b.query("SELECT 1 FROM received_objects WHERE uri = ?", (post_uri,)))

    await eventually(received, what="B to receive the hub's post")
    (document,) = b.query("SELECT document FROM received_objects WHERE uri = ?", (post_uri,))[0]
    assert "calls every <strong>Monday</strong>" in document and '"type": "Article"' in document

    # B stored it only after verifying A's signature; A saw B accept the delivery (recorded a
    # moment after B answered, so waited for).
    async def create_delivered() -> bool:
        return a.query(
            "SELECT state, last_status FROM deliveries d JOIN outbox_activities a"
            " ON a.id = d.activity_id WHERE a.type = 'Create'"
        ) == [("done", 202)]

    await eventually(create_delivered, what="A to record B's 202 for the Create")

    await b.acli("unfollow", "--data", b.data, "--as", "alice", hub)

    async def gone() -> bool:
        return followers(a, "climate") == []

    await eventually(gone, what="A to drop the follower after Undo")
    assert (await a.acli("followers", "--data", a.data, "climate")).stdout.strip() == ""
    assert await following_state(b, "alice", hub) is None


async def test_hub_that_approves_followers(
    new_instance,
    password_file: Path,  # type: ignore[no-untyped-def]
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    await a.acli(
        "hub", "create", "--data", a.data, "council", "--name", "Council", "--approve-followers"
    )
    for name in ("alice", "bob"):
        await b.acli("account", "create", "--data", b.data, name, "--password-file", password_file)
    await a.start()
    await b.start()
    hub = f"{a.base_url}/hubs/council"

    for name in ("alice", "bob"):
        await b.acli("follow", "--data", b.data, "--as", name, f"@council@{a.domain}")

    async def both_pending() -> bool:
        return len(followers(a, "council", "pending")) == 2

    await eventually(both_pending, what="A to hold both requests")
    listed = (await a.acli("follow-requests", "--data", a.data, "list", "council")).stdout.split()
    assert listed == [f"{b.base_url}/users/alice", f"{b.base_url}/users/bob"]
    assert await following_state(b, "alice", hub) == "pending"
    assert (await a.acli("followers", "--data", a.data, "council")).stdout.strip() == ""

    await a.acli(
        "follow-requests", "--data", a.data, "approve", "council", f"{b.base_url}/users/alice"
    )
    await a.acli(
        "follow-requests", "--data", a.data, "reject", "council", f"{b.base_url}/users/bob"
    )

    async def answered() -> bool:
        return (await following_state(b, "alice", hub) == "accepted"
                and await following_state(b, "bob", hub) == "rejected")  # fmt: skip

    await eventually(answered, what="B to receive the Accept and the Reject")
    assert (await a.acli("followers", "--data", a.data, "council")).stdout.split() == [
        f"{b.base_url}/users/alice"
    ]
    bad = await a.acli(
        "follow-requests",
        "--data",
        a.data,
        "approve",
        "council",
        "https://x.example/u",
        check=False,
    )
    assert bad.returncode == 1 and "no pending follow request" in bad.stderr


@pytest.mark.skipif(
    suite_backend() == "postgresql",
    reason="on PostgreSQL several servers share one instance by design (test_cluster.py)",
)
async def test_a_second_server_on_the_same_data_directory_refuses_to_start(
    new_instance,  # type: ignore[no-untyped-def]
) -> None:
    a: FedihubInstance = new_instance("a")
    await a.start()
    second = await a.acli("serve", "--data", a.data, "--port", "1", check=False)
    assert second.returncode == 1
    assert "another `fedihub serve` is already using" in second.stderr
