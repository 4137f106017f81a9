"""Composing activities, choosing inboxes, and classifying delivery answers."""

from __future__ import annotations

import json

import pytest

from fedihub.actors.store import RemoteActor
from fedihub.kinds import post_object
from fedihub.outbox import compose
from fedihub.outbox.deliveries import MAX_ATTEMPTS, backoff_s, classify, parse_retry_after
from fedihub.outbox.recipients import fan_out_targets, personal_target
from fedihub.posts.store import Post
from tests.support.fixtures import load

HUB = "https://fedihub.example/hubs/climate"


def test_accept_embeds_the_follow_as_mastodon_expects() -> None:
    follow = load("mastodon-follow")
    accept = compose.accept_follow("https://fedihub.example/activities/7f3c2b1a", HUB, follow)
    expected = load("fedihub-accept-of-follow")
    assert {k: accept[k] for k in expected} == expected
    assert accept["to"] == [follow["actor"]]


def test_undo_embeds_the_whole_follow() -> None:
    undo = compose.undo_follow(
        "https://h.example/a/2", HUB, "https://h.example/a/1", "https://m.example/u"
    )
    assert undo["object"] == {"id": "https://h.example/a/1", "type": "Follow", "actor": HUB,
                              "object": "https://m.example/u"}  # fmt: skip


@pytest.mark.parametrize(("title", "kind"), [("Minutes", "Article"), (None, "Note")])
def test_post_is_public_and_copied_to_followers(title: str | None, kind: str) -> None:
    post = Post(1, 1, None, "update", title, "x", "<p>x</p>", {}, None, None, "confirmed", None,
                0.0, None, None)  # fmt: skip
    obj = post_object(HUB, post)
    create = compose.create("https://fedihub.example/activities/1", HUB, obj)
    assert obj["type"] == kind and obj["attributedTo"] == HUB
    assert create["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert create["cc"] == [f"{HUB}/followers"]
    assert ("name" in obj) == (title is not None)
    assert obj["published"] == "1970-01-01T00:00:00Z"
    json.dumps(create)  # serialisable as it will be sent


def actor(uri: str, shared: str | None) -> RemoteActor:
    return RemoteActor(uri=uri, host="", type="Person", preferred_username=None,
                       inbox=f"{uri}/inbox", shared_inbox=shared, key_id=None,
                       public_key_pem=None, fetched_at=0)  # fmt: skip


def test_followers_on_one_server_collapse_onto_its_shared_inbox() -> None:
    followers = [
        actor("https://m.example/users/a", "https://m.example/inbox"),
        actor("https://m.example/users/b", "https://m.example/inbox"),
        actor("https://solo.example/u/c", None),
        actor("https://dead.example/u/d", "https://dead.example/inbox"),
    ]
    targets = fan_out_targets(followers, skip_hosts=frozenset({"dead.example"}))
    assert [t.inbox for t in targets] == [
        "https://m.example/inbox",
        "https://solo.example/u/c/inbox",
    ]
    assert [t.host for t in targets] == ["m.example", "solo.example"]


def test_follow_answers_go_to_the_personal_inbox() -> None:
    target = personal_target(actor("https://m.example/users/a", "https://m.example/inbox"))
    assert target.inbox == "https://m.example/users/a/inbox"


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_done(status: int) -> None:
    assert classify(status, None, None, 1, 1000.0, 0.0).state == "done"


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_other_4xx_fails_at_once(status: int) -> None:
    outcome = classify(status, None, None, 1, 1000.0, 0.0)
    assert outcome.state == "failed" and not outcome.host_failed


@pytest.mark.parametrize("status", [0, 401, 408, 500, 502])
def test_errors_back_off(status: int) -> None:
    outcome = classify(status, None, "timeout" if status == 0 else None, 3, 1000.0, 0.0)
    assert outcome.state == "pending"
    assert outcome.next_try_at == 1000.0 + backoff_s(3, 0.0) == 1000.0 + 81 + 15 + 0


def test_retry_after_is_honoured_for_429_and_503() -> None:
    assert classify(429, "120", None, 1, 1000.0, 0.0).next_try_at == 1120.0
    assert (
        classify(503, "Wed, 21 Oct 2015 07:28:00 GMT", None, 1, 1445412420.0, 0.0).next_try_at
        == 1445412480.0
    )
    assert not classify(429, "120", None, 1, 1000.0, 0.0).host_failed


def test_retry_after_is_capped_and_garbage_ignored() -> None:
    assert parse_retry_after("99999999", 0) == 24 * 3600
    assert parse_retry_after("soon", 0) is None


def test_gives_up_after_the_last_attempt_about_two_days_in() -> None:
    assert classify(500, None, None, MAX_ATTEMPTS, 0.0, 0.0).state == "gave_up"
    assert classify(500, None, None, MAX_ATTEMPTS - 1, 0.0, 0.0).state == "pending"
    without_jitter = sum(backoff_s(n, 0.0) for n in range(1, MAX_ATTEMPTS))
    most_jitter = sum(backoff_s(n, 0.999) for n in range(1, MAX_ATTEMPTS))
    assert without_jitter == 178_537  # sum of n⁴ + 15 for n = 1..15: 2.07 days
    assert most_jitter - without_jitter < 1_400


@pytest.mark.parametrize("value", ["³", "١٢٠", "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT"])
def test_hostile_retry_after_values_are_ignored(value: str) -> None:
    assert parse_retry_after(value, 0) is None
    assert classify(429, value, None, 1, 1000.0, 0.0).state == "pending"


def test_501_and_our_own_refusals_fail_at_once() -> None:
    assert classify(501, None, None, 1, 0.0, 0.0).state == "failed"
    refused = classify(0, None, "refusing to fetch", 1, 0.0, 0.0, permanent=True)
    assert refused.state == "failed" and not refused.host_failed
