"""Property tests for what other servers send to the inbox: any body is an Incoming or a
BadRequest; host normalisation never fails and ignores case, trailing dots and default ports;
an activity speaking for another host is an OriginError; a link that is not http(s), anywhere in
the activity, is refused, and so are NaN and Infinity (not JSON)."""

from __future__ import annotations

import contextlib
import copy
import json
import string
from typing import Any

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from fedihub.activitystreams import host_of, id_of
from fedihub.errors import BadRequest, OriginError
from fedihub.inbox.validate import (
    Incoming,
    check_origins,
    foreign_author,
    is_self_delete,
    parse_activity,
    vote_in,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OWN = "fedihub.example"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["https://a.example/u", "javascript:alert(1)", "Create", "Note"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def often(strategy: st.SearchStrategy, otherwise: st.SearchStrategy) -> st.SearchStrategy:
    """`strategy` five times in six, so most activities get past their first check."""
    return st.sampled_from([True] * 5 + [False]).flatmap(
        lambda pick: strategy if pick else otherwise
    )


HOSTS = ["a.example", "A.EXAMPLE.", "b.example", "fedihub.example", "a.example:8443"]
activity_like = st.fixed_dictionaries(
    {
        "id": often(st.sampled_from(HOSTS).map(lambda h: f"https://{h}/activities/1"), json_values),
        "type": often(
            st.sampled_from(["Create", "Update", "Delete", "Follow", "Like"]), json_values
        ),
        "actor": often(
            st.sampled_from(HOSTS).map(lambda h: f"https://{h}/u")
            | st.sampled_from(HOSTS).map(lambda h: {"id": f"https://{h}/u", "type": "Person"}),
            json_values,
        ),
    },
    optional={
        "object": often(
            st.fixed_dictionaries(
                {"id": st.sampled_from(HOSTS).map(lambda h: f"https://{h}/notes/1")},
                optional={
                    "type": st.sampled_from(["Note", "Person", "Group"]) | json_values,
                    "attributedTo": st.sampled_from(HOSTS).map(lambda h: f"https://{h}/u")
                    | json_values,
                    "name": json_values,
                    "content": json_values,
                    "inReplyTo": json_values,
                },
            )
            | st.sampled_from(HOSTS).map(lambda h: f"https://{h}/u"),
            json_values,
        ),
    },
)


def parses_or_bad_request(body: bytes) -> Incoming | None:
    try:
        incoming = parse_activity(body)
    except BadRequest:
        return None
    assert isinstance(incoming, Incoming)
    assert incoming.id.startswith(("https://", "http://")) and incoming.type
    assert incoming.actor.startswith(("https://", "http://"))
    assert json.loads(incoming.raw) == incoming.document  # what is stored reads back the same
    # What the inbox asks of any parsed activity answers, or refuses with a FedihubError.
    with contextlib.suppress(BadRequest, OriginError):
        check_origins(incoming, OWN)
    author = foreign_author(incoming)
    assert author is None or isinstance(author, str)
    assert isinstance(is_self_delete(incoming), bool)
    assert vote_in(incoming.document) is None or incoming.document.get("type") == "Note"
    return incoming


@SETTINGS
@given(st.binary(max_size=200))
@example(b"[" * 100_000)
@example(b'{"a":' * 50_000)
@example(b"\xef\xbb\xbf{}")
@example(b'{"id": "https://a.example/1", "type": "Follow", "actor": "https://a.example/u"}\x00')
@example(b"1e999999")
def test_any_bytes_are_an_activity_or_a_bad_request(body: bytes) -> None:
    parses_or_bad_request(body)


@SETTINGS
@given(json_values | activity_like)
def test_any_json_is_an_activity_or_a_bad_request(document: Any) -> None:
    parses_or_bad_request(json.dumps(document).encode())


# Hosts and their spellings.

labels = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
hostnames = st.lists(labels, min_size=1, max_size=3).map(".".join).map(lambda h: h + ".example")


@st.composite
def host_spellings(draw: st.DrawFn, host: str, scheme: str) -> str:
    """The same host as another server might write it: case, a trailing dot, the default port."""
    spelled = "".join(c.upper() if draw(st.booleans()) else c for c in host)
    if draw(st.booleans()):
        spelled += "."
    if draw(st.booleans()):
        spelled += ":443" if scheme == "https" else ":80"
    return spelled


@SETTINGS
@given(st.text())
@example("https://[::1")
@example("https://x.example:99999/")
@example("https://\u3002\u3002/")
@example("https://xn--/")
@example("https://" + "a" * 300 + ".example/")
@example("http://例え。テスト。/")
def test_host_of_never_raises_and_is_normalised(uri: str) -> None:
    host = host_of(uri)
    assert isinstance(host, str)
    assert not any(c in string.ascii_uppercase for c in host)
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    assert not name.endswith(".")


@SETTINGS
@given(st.sampled_from(["https", "http"]), hostnames, st.data())
def test_host_of_ignores_case_trailing_dots_and_default_ports(
    scheme: str, host: str, data: st.DataObject
) -> None:
    spelled = data.draw(host_spellings(host, scheme))
    path = data.draw(st.sampled_from(["", "/", "/users/a", "/a?b=c#d"]))
    assert host_of(f"{scheme}://{spelled}{path}") == host_of(f"{scheme}://{host}/") == host


@SETTINGS
@given(st.sampled_from(["https", "http"]), hostnames, st.integers(1, 65535))
def test_host_of_keeps_other_ports(scheme: str, host: str, port: int) -> None:
    assume((scheme, port) not in {("https", 443), ("http", 80)})
    assert host_of(f"{scheme}://{host.upper()}.:{port}/x") == f"{host}:{port}"


@SETTINGS
@given(json_values)
def test_id_of_is_the_link_or_the_objects_id(value: Any) -> None:
    ident = id_of(value)
    if isinstance(value, str):
        assert ident == value
    elif isinstance(value, dict) and isinstance(value.get("id"), str):
        assert ident == value["id"]
    else:
        assert ident is None


# Origins: an activity may speak only for its own host.


@st.composite
def two_hosts(draw: st.DrawFn) -> tuple[str, str]:
    home, other = draw(hostnames), draw(hostnames)
    assume(host_of(f"https://{home}/") != host_of(f"https://{other}/"))
    return home, other


def create(home: str, data: st.DataObject, obj: Any, kind: str = "Create") -> Incoming:
    actor_host = data.draw(host_spellings(home, "https"))
    id_host = data.draw(host_spellings(home, "https"))
    document = {
        "id": f"https://{id_host}/activities/1",
        "type": kind,
        "actor": f"https://{actor_host}/users/alice",
        "object": obj,
    }
    return parse_activity(json.dumps(document).encode())


@SETTINGS
@given(two_hosts(), st.sampled_from(["Create", "Update", "Delete"]), st.data())
def test_an_object_on_the_senders_host_is_accepted(
    hosts: tuple[str, str], kind: str, data: st.DataObject
) -> None:
    home, _ = hosts
    spelled = data.draw(host_spellings(home, "https"))
    obj = {
        "id": f"https://{spelled}/notes/1",
        "type": "Note",
        "attributedTo": f"https://{data.draw(host_spellings(home, 'https'))}/users/alice",
    }
    check_origins(create(home, data, data.draw(st.sampled_from([obj, obj["id"]])), kind), OWN)


@SETTINGS
@given(
    two_hosts(),
    st.sampled_from(["Create", "Update", "Delete"]),
    st.sampled_from(["id", "attributedTo", "actor"]),
    st.booleans(),
    st.data(),
)
def test_an_object_claimed_for_another_host_is_an_origin_error(
    hosts: tuple[str, str], kind: str, where: str, as_object: bool, data: st.DataObject
) -> None:
    home, other = hosts
    obj: dict[str, Any] = {"id": f"https://{home}/notes/1", "type": "Note"}
    foreign = f"https://{data.draw(host_spellings(other, 'https'))}/users/mallory"
    obj[where] = {"id": foreign, "type": "Person"} if as_object and where != "id" else foreign
    incoming = create(
        home, data, obj if where != "id" or data.draw(st.booleans()) else foreign, kind
    )
    try:
        check_origins(incoming, OWN)
    except OriginError:
        return
    raise AssertionError(f"{kind} with {where} on {other} passed as {home}'s")


@SETTINGS
@given(two_hosts(), st.data())
def test_an_activity_id_on_another_host_is_an_origin_error(
    hosts: tuple[str, str], data: st.DataObject
) -> None:
    home, other = hosts
    document = {
        "id": f"https://{data.draw(host_spellings(other, 'https'))}/activities/1",
        "type": data.draw(st.sampled_from(["Follow", "Like", "Create", "Announce"])),
        "actor": f"https://{home}/users/alice",
        "object": f"https://{home}/notes/1",
    }
    try:
        check_origins(parse_activity(json.dumps(document).encode()), OWN)
    except OriginError:
        return
    raise AssertionError("an activity id on another host was accepted")


@SETTINGS
@given(hostnames, st.data())
def test_an_activity_claiming_our_own_actors_is_an_origin_error(
    host: str, data: st.DataObject
) -> None:
    ours = data.draw(host_spellings(OWN, "https"))
    document = {
        "id": f"https://{ours}/activities/1",
        "type": "Follow",
        "actor": f"https://{ours}/users/alice",
        "object": f"https://{host}/users/bob",
    }
    try:
        check_origins(parse_activity(json.dumps(document).encode()), OWN)
    except OriginError:
        return
    raise AssertionError("an activity claiming our own actor was accepted")


# Links that are not http(s), at any depth, and NaN/Infinity: refused by parse_activity's walk over
# the whole activity (activitystreams.first_non_web_link) and its parse_constant. Without those
# (inbox/validate.py before the hardening change) the next properties fail.

LINK_KEYS = [
    "id",
    "actor",
    "object",
    "target",
    "inReplyTo",
    "url",
    "href",
    "attributedTo",
    "audience",
]
CONTAINERS = ["object", "attachment", "tag", "location", "icon", "image", "preview", "replies"]


def activity(home: str = "a.example") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"https://{home}/activities/1",
        "type": "Create",
        "actor": f"https://{home}/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"https://{home}/notes/1",
            "type": "Note",
            "attributedTo": f"https://{home}/users/alice",
            "content": "<p>hi</p>",
            "inReplyTo": "https://b.example/notes/9",
            "url": f"https://{home}/@alice/1",
            "tag": [{"type": "Mention", "href": "https://b.example/users/bob", "name": "@bob"}],
            "attachment": [{"type": "Document", "url": f"https://{home}/media/1.png"}],
        },
    }


@st.composite
def bad_links(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["javascript", "data", "vbscript", "file"]))
    scheme = "".join(c.upper() if draw(st.booleans()) else c for c in scheme)
    lead = draw(st.sampled_from(["", "", " ", "\t", "\x00"]))
    payload = draw(
        st.sampled_from(["alert(1)", "text/html,<script>alert(1)</script>", "///etc/passwd"])
    )
    return f"{lead}{scheme}:{payload}"


good_links = st.sampled_from(
    ["https://a.example/x", "http://a.example/y", "https://b.example/notes/2?x=1#y"]
)


@st.composite
def planted(draw: st.DrawFn, link: st.SearchStrategy[str]) -> dict[str, Any]:
    """The activity with `link` at a random one of LINK_KEYS, at a random depth and shape."""
    document = activity()
    node = document
    for _ in range(draw(st.integers(0, 4))):
        child: dict[str, Any] = {"type": draw(st.sampled_from(["Object", "Link", "Image"]))}
        container = draw(st.sampled_from(CONTAINERS))
        existing = node.get(container)
        if isinstance(existing, list):
            existing.append(child)
        else:
            node[container] = [child] if draw(st.booleans()) else child
        node = child
    key = draw(st.sampled_from(LINK_KEYS))
    value = draw(link)
    shape = draw(st.sampled_from(["string", "list"]))
    node[key] = value if shape == "string" else ["https://a.example/ok", value]
    # The top-level id and actor stay usable, so only the planted link can be the reason.
    if node is document and key in ("id", "actor") and shape == "list":
        node[key] = value
    return document


@SETTINGS
@given(planted(bad_links()))
@example(
    {**activity(), "object": {**activity()["object"], "tag": [{"href": "javascript:alert(1)"}]}}
)
@example({**activity(), "target": "data:text/html,x"})
@example({**activity(), "object": {"id": "https://a.example/n", "url": ["JaVaScRiPt:x"]}})
def test_a_link_that_is_not_http_is_refused_at_any_depth(document: dict[str, Any]) -> None:
    try:
        parse_activity(json.dumps(document).encode())
    except BadRequest:
        return
    raise AssertionError(f"a non-http(s) link was accepted: {json.dumps(document)}")


@SETTINGS
@given(planted(good_links))
def test_the_same_activity_with_web_links_parses(document: dict[str, Any]) -> None:
    incoming = parse_activity(json.dumps(document).encode())
    assert incoming.document == document


@st.composite
def with_a_constant(draw: st.DrawFn) -> str:
    """An otherwise good activity with NaN or ±Infinity put in place of some value."""
    document = copy.deepcopy(activity())
    node: Any = document
    while True:
        keys = [
            k
            for k, v in node.items()
            if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
        ]
        if not keys or draw(st.booleans()):
            break
        node = node[draw(st.sampled_from(keys))]
        if isinstance(node, list):
            node = node[0]
    node[draw(st.sampled_from(["sensitive", "width", "votersCount", "content"]))] = draw(
        st.sampled_from([float("nan"), float("inf"), float("-inf")])
    )
    return json.dumps(document)  # Python writes NaN, Infinity and -Infinity


@SETTINGS
@given(with_a_constant())
@example('{"id": "https://a.example/1", "type": "Like", "actor": "https://a.example/u", "n": NaN}')
def test_nan_and_infinity_are_refused(body: str) -> None:
    try:
        parse_activity(body.encode())
    except BadRequest:
        return
    raise AssertionError(f"NaN or Infinity was accepted: {body}")


def test_the_planted_activities_are_real_ones() -> None:
    """The control: with nothing planted, the activity parses and passes the origin checks."""
    incoming = parse_activity(json.dumps(activity()).encode())
    check_origins(incoming, OWN)
    assert incoming.type == "Create" and incoming.actor == "https://a.example/users/alice"
