"""A straw poll on A voted in from an account on B, which sends its vote as Mastodon does
(Create{Note{name, inReplyTo}} to the hub's own inbox): tallies update on both sides, a
repeated vote changes nothing, and the final result reaches B when the facilitator closes it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.instances import FedihubInstance, follow_and_wait
from tests.support.network import eventually

pytestmark = [pytest.mark.federation, pytest.mark.usefixtures("counts_at_once")]


def question_on(b: FedihubInstance, uri: str) -> dict | None:
    rows = b.query("SELECT document FROM received_objects WHERE uri = ?", (uri,))
    return json.loads(rows[0][0]) if rows else None


async def test_a_vote_from_another_instance_updates_both_sides(
    new_instance,  # type: ignore[no-untyped-def]
    password_file: Path,
    tmp_path: Path,
) -> None:
    a: FedihubInstance = new_instance("a")
    b: FedihubInstance = new_instance("b")
    await a.acli("account", "create", "--data", a.data, "org", "--password-file", password_file)
    await a.acli("hub", "create", "--data", a.data, "climate", "--name", "Climate",
                 "--organizer", "org")  # fmt: skip
    await b.acli("account", "create", "--data", b.data, "alice", "--password-file", password_file)
    await b.acli("hub", "create", "--data", b.data, "coalition", "--name", "Coalition")
    await a.start()
    await b.start()
    await follow_and_wait(b, "coalition", f"@climate@{a.domain}")
    closes = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 86_400))
    poll_file = tmp_path / "poll.md"
    poll_file.write_text(f"---\ncloses: {closes}\n---\nShall we march on Saturday?\n")
    poll = (await a.acli("post", "--data", a.data, "climate", "--as", "org", "--kind", "poll",
                         poll_file)).stdout.strip()  # fmt: skip

    async def b_has_the_poll() -> bool:
        return question_on(b, poll) is not None

    await eventually(b_has_the_poll, what="the poll to reach B")

    out = await b.acli("vote", "--data", b.data, "--as", "alice", poll, "Agree")
    assert f"{a.base_url}/hubs/climate" in out.stdout
    alice = f"{b.base_url}/users/alice"

    async def counted_on_a() -> bool:
        return a.query("SELECT actor_uri, choice FROM poll_votes") == [(alice, 0)]

    await eventually(counted_on_a, what="A to count alice's vote")

    async def tally_on_b() -> bool:
        doc = question_on(b, poll)
        return doc is not None and doc.get("votersCount") == 1

    await eventually(tally_on_b, what="the Update{Question} with the new tally to reach B")
    doc = question_on(b, poll)
    assert doc is not None and [o["replies"]["totalItems"] for o in doc["oneOf"]] == [1, 0, 0]

    # A second vote from alice (another option) is accepted on the wire and changes nothing.
    await b.acli("vote", "--data", b.data, "--as", "alice", poll, "Disagree")

    async def second_vote_handled() -> bool:
        rows = a.query("SELECT state FROM inbox_items WHERE actor_uri = ? AND type = 'Create'",
                       (alice,))  # fmt: skip
        return len(rows) == 2 and all(state == "done" for (state,) in rows)

    await eventually(second_vote_handled, what="A to handle the repeated vote")
    assert a.query("SELECT actor_uri, choice FROM poll_votes") == [(alice, 0)]
    bad = await b.acli("vote", "--data", b.data, "--as", "alice", poll, "Maybe", check=False)
    assert bad.returncode == 1 and "'Maybe' is not an option" in bad.stderr

    await a.acli("close", "--data", a.data, "climate", poll.rsplit("/", 1)[1], "--as", "org")

    async def closed_on_b() -> bool:
        doc = question_on(b, poll)
        return doc is not None and "closed" in doc

    await eventually(closed_on_b, what="the final result to reach B")
    final = question_on(b, poll)
    assert final is not None and final["votersCount"] == 1 and final["closed"] == final["endTime"]
    tally = await a.acli("tally", "--data", a.data, "climate", poll.rsplit("/", 1)[1])
    assert "Agree 1 · Disagree 0 · I have questions 0 (1 voter; final)" in tally.stdout
