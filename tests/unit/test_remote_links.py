"""A remote URL reaches a page only as http(s): the inbox refuses other schemes anywhere in an
activity, strict JSON only, and every link a template prints goes through one filter."""

from __future__ import annotations

import json
import re

import pytest

from fedihub.activitystreams import first_non_web_link, host_of, same_host, strict_json
from fedihub.errors import BadRequest
from fedihub.inbox.validate import parse_activity
from fedihub.web.respond import http_url, template_dir

HOSTILE = [
    "javascript:alert(1)",
    "javascript://127.0.0.1:22002/%0aalert(1)",
    "JaVaScRiPt:alert(1)",
    " https://x.example/",  # a browser strips the space; we refuse it rather than guess
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
]


def activity(**object_fields: object) -> dict:
    obj = {"id": "https://a.example/notes/1", "type": "Note", "content": "hi", **object_fields}
    return {"id": "https://a.example/creates/1", "type": "Create",
            "actor": "https://a.example/users/ana", "object": obj}  # fmt: skip


@pytest.mark.parametrize("url", HOSTILE)
@pytest.mark.parametrize(
    "place",
    [
        lambda u: activity(id=u),
        lambda u: activity(url=u),
        lambda u: activity(url=[{"type": "Link", "href": u}]),
        lambda u: activity(inReplyTo=u),
        lambda u: activity(attributedTo=u),
        lambda u: activity(tag=[{"type": "Mention", "href": u}]),
        lambda u: activity(attachment=[{"type": "Document", "url": u}]),
        lambda u: {**activity(), "object": u},
        lambda u: {**activity(), "type": "Flag", "object": ["https://a.example/x", u]},
        lambda u: {**activity(), "target": {"id": u}},
    ],
)
def test_a_non_web_link_anywhere_is_refused(url: str, place) -> None:  # type: ignore[no-untyped-def]
    document = place(url)
    assert first_non_web_link(document) is not None
    with pytest.raises(BadRequest, match="only http"):
        parse_activity(json.dumps(document).encode())


def test_web_links_and_public_addressing_pass() -> None:
    document = activity(
        url=[{"type": "Link", "href": "https://a.example/@ana/1"}],
        tag=[{"type": "Hashtag", "href": "http://a.example/tags/x", "name": "#x"}],
    )
    document["to"] = ["as:Public", "https://www.w3.org/ns/activitystreams#Public"]
    document["object"]["conversation"] = "tag:a.example,2026-11-30:objectId=1"
    assert first_non_web_link(document) is None
    assert parse_activity(json.dumps(document).encode()).id == document["id"]


def test_deep_nesting_is_walked_without_recursion() -> None:
    document: dict = activity()
    inner = document["object"]
    for _ in range(5000):
        inner["context_of"] = {"type": "Object"}
        inner = inner["context_of"]
    inner["url"] = "javascript:alert(1)"
    assert first_non_web_link(document) == "url"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    body = json.dumps(activity()).replace('"content": "hi"', f'"content": {constant}')
    with pytest.raises(BadRequest, match="not valid"):
        parse_activity(body.encode())


@pytest.mark.parametrize("url", [*HOSTILE, None, 42, "//evil.example/x"])
def test_the_filter_turns_anything_but_web_links_and_paths_into_a_dead_link(url: object) -> None:
    expected = "//evil.example/x" if url == "//evil.example/x" else "#"  # a path: http(s) still
    assert http_url(url) == expected


def test_web_links_and_paths_pass_the_filter() -> None:
    for url in ("https://a.example/x", "http://localhost:8080/", "/hubs/climate"):
        assert http_url(url) == url


def test_every_link_a_template_prints_goes_through_the_filter() -> None:
    """An href, src or action that begins with an expression must pass it through http_url;
    one that begins with a literal path or fragment cannot carry a scheme."""
    unfiltered = []
    for path in sorted(template_dir().glob("*.html")):
        text = path.read_text()
        for match in re.finditer(r'\b(href|src|action)="\{\{(.*?)\}\}', text):
            if "| http_url" not in match.group(2):
                unfiltered.append(f"{path.name}: {match.group(0)}")
    assert unfiltered == []


@pytest.mark.parametrize("text", ['{"votersCount": NaN}', "[Infinity]", '{"a": -Infinity}'])
def test_documents_fetched_from_other_servers_are_strict_json_too(text: str) -> None:
    """The client reads actors, objects and WebFinger answers with the same parser."""
    with pytest.raises(ValueError, match="is not JSON"):
        strict_json(text)
    assert strict_json('{"votersCount": 3}') == {"votersCount": 3}


@pytest.mark.parametrize(
    ("uri", "actor"),
    [
        ("https://a.example/x", "https://a.example/users/u"),
        ("https://A.example/x", "https://a.example/u"),
        ("https://a.example:443/x", "https://a.example/u"),
        ("https://a.example@evil.example/x", "https://a.example/u"),
        ("https://evil.example/x", "https://a.example@evil.example/u"),
        ("http://a.example/x", "https://a.example/u"),
        ("https://a.example.evil/x", "https://a.example/u"),
        ("https://a.example", "https://a.example/u"),
        ("https://a.example/x", "https://a.example"),
        ("https://[::1]:8/x", "https://[::1]:8/u"),
        ("https://[::1]:9/x", "https://[::1]:8/u"),
    ],
)
def test_the_quick_same_host_check_agrees_with_host_of(uri: str, actor: str) -> None:
    assert same_host(uri, actor) == (host_of(uri) == host_of(actor))


def test_a_peertube_video_with_its_magnet_link_is_accepted() -> None:
    """PeerTube lists a torrent's magnet beside each file of a video; refusing it would refuse
    every video. A magnet is no script, and pages print only http(s) links."""
    document = activity(
        type="Video",
        url=[
            {"type": "Link", "mediaType": "text/html", "href": "https://a.example/w/1"},
            {"type": "Link", "mediaType": "application/x-bittorrent;x-scheme-handler/magnet",
             "href": "magnet:?xs=https%3A%2F%2Fa.example%2F1.torrent&xt=urn:btih:00"},
        ],
    )  # fmt: skip
    assert parse_activity(json.dumps(document).encode()).id == document["id"]
    document["object"]["url"][1]["href"] = "javascript:alert(1)"
    with pytest.raises(BadRequest):
        parse_activity(json.dumps(document).encode())
    document["object"]["url"] = "magnet:?xt=urn:btih:00"  # a url itself is a web page's
    with pytest.raises(BadRequest):
        parse_activity(json.dumps(document).encode())
