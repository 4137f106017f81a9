"""Shape and origin rules for incoming activities."""

from __future__ import annotations

import json

import pytest

from fedihub.errors import BadRequest, OriginError
from fedihub.inbox.validate import check_origins, foreign_author, is_self_delete, parse_activity
from tests.support.fixtures import load

OWN = "fedihub.example"


def incoming(document: dict):
    return parse_activity(json.dumps(document).encode())


@pytest.mark.parametrize(
    "name",
    ["mastodon-follow", "mastodon-undo-follow", "mastodon-create-note-mentioning-group",
     "mastodon-like", "mastodon-announce", "mastodon-delete-note", "mastodon-delete-actor",
     "mastodon-poll-vote", "lemmy-announce-create-page", "lemmy-announce-page-for-microblogs",
     "mobilizon-join", "mastodon-flag-from-instance-actor"],
)  # fmt: skip
def test_real_server_shapes_pass(name: str) -> None:
    check_origins(incoming(load(name)), OWN)


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'"x"', b"\xff\xfe", b'{"type":"Follow","actor":"https://a.example/u"}',
     b'{"id":"https://a.example/1","actor":"https://a.example/u"}',
     b'{"id":"https://a.example/1","type":"Follow"}',
     b'{"id":"javascript:alert(1)","type":"Follow","actor":"https://a.example/u"}',
     b'{"id":"https://a.example/1","type":"Follow","actor":{"name":"no id"}}'],
)  # fmt: skip
def test_malformed_activities_are_bad_requests(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_activity(body)


def test_nul_is_refused_but_a_backslash_before_u0000_is_text() -> None:
    follow = load("mastodon-follow")
    with pytest.raises(BadRequest, match="U\\+0000"):
        incoming({**follow, "content": ["ok", {"x": "a\x00"}]})
    assert incoming({**follow, "content": "C:\\u0000"}).document["content"] == "C:\\u0000"


def test_activity_id_on_another_host_is_refused() -> None:
    follow = load("mastodon-follow")
    follow["id"] = "https://evil.example/follow/1"
    with pytest.raises(OriginError, match="activity id"):
        check_origins(incoming(follow), OWN)


def test_create_of_an_object_on_another_host_is_refused() -> None:
    create = load("mastodon-create-note-mentioning-group")
    create["object"]["id"] = "https://victim.example/notes/1"
    with pytest.raises(OriginError, match="another host"):
        check_origins(incoming(create), OWN)


def test_create_attributed_to_someone_else_is_flagged_for_the_precheck() -> None:
    create = load("mastodon-create-note-mentioning-group")
    assert foreign_author(incoming(create)) is None
    create["object"]["attributedTo"] = "https://mastodon.example/users/bob"
    check_origins(incoming(create), OWN)  # same host: whether bob is a group needs a look-up
    assert foreign_author(incoming(create)) == "https://mastodon.example/users/bob"


def test_delete_of_a_foreign_object_is_refused() -> None:
    delete = load("mastodon-delete-note")
    delete["object"]["id"] = "https://fedihub.example/hubs/climate/posts/42"
    with pytest.raises(OriginError):
        check_origins(incoming(delete), OWN)


def test_nothing_claiming_our_own_host_is_accepted_from_outside() -> None:
    follow = load("mastodon-follow", **{"mastodon.example": OWN})
    with pytest.raises(OriginError, match="this instance"):
        check_origins(incoming(follow), OWN)


def test_host_comparison_normalises_case_port_and_trailing_dot() -> None:
    follow = load("mastodon-follow")
    follow["id"] = "https://MASTODON.example.:443/c2a9"
    check_origins(incoming(follow), OWN)


def test_self_delete_is_recognised() -> None:
    assert is_self_delete(incoming(load("mastodon-delete-actor")))
    assert not is_self_delete(incoming(load("mastodon-delete-note")))


@pytest.mark.parametrize(
    "body",
    [b'\xef\xbb\xbf{"id":"https://a.example/1","type":"Follow","actor":"https://a.example/u"}',
     '{"id":"https://a.example/1","type":"Follow","actor":"https://a.example/u"}'.encode("utf-16"),
     b'{"a":' + b"[" * 100_000],
)  # fmt: skip
def test_bom_utf16_and_deep_nesting_are_bad_requests(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_activity(body)


def test_json_ld_type_lists_do_not_crash() -> None:
    update = load("mastodon-create-note-mentioning-group")
    update["type"] = "Update"
    update["object"] = {"id": update["actor"], "type": ["Person", "as:Person"]}
    check_origins(incoming(update), OWN)


def test_host_normalisation_cannot_dodge_a_block() -> None:
    from fedihub.activitystreams import host_of

    assert host_of("https://evil.example\u3002/u") == "evil.example"
    assert host_of("https://EVIL.example./u") == "evil.example"
    assert host_of("https://[") == ""
