"""Property tests: whatever JRD another server answers a WebFinger query with, HttpClient.webfinger
gives an http(s) actor id and subscribe_template an http(s) follow page (https, or http on a
loopback development instance), or a FetchError: never another exception, never javascript:.

A real aiohttp server on 127.0.0.1 (a random port) serves each generated answer; the client is
the one fedihub uses, configured as an insecure_http development instance may be."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedihub.client import SUBSCRIBE_REL, HttpClient
from fedihub.config import Config
from fedihub.errors import FetchError
from tests.support.properties import scheme_of

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
AS_TYPE = "application/activity+json"
LD_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class JrdServer:
    """One event loop for the whole module: a loopback server answering with `answer`, and the
    client under test."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.answer: tuple[int, bytes, str] = (200, b"{}", "application/jrd+json")
        self.loop.run_until_complete(self._start(data_dir))

    async def _start(self, data_dir: Path) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.domain = f"127.0.0.1:{port}"
        config = Config(data_dir=data_dir, domain="localhost:1", insecure_http=True)
        self.client = HttpClient.create(config)

    async def _webfinger(self, request: web.Request) -> web.Response:
        status, body, content_type = self.answer
        return web.Response(status=status, body=body, headers={"content-type": content_type})

    def ask(self, call: str, answer: tuple[int, bytes, str]) -> str:
        self.answer = answer
        method = getattr(self.client, call)
        return self.loop.run_until_complete(method("alice", self.domain))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JrdServer]:
    running = JrdServer(tmp_path_factory.mktemp("webfinger"))
    try:
        yield running
    finally:
        running.close()


# What a server might answer.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
URLS = [
    "https://m.example/users/alice",
    "http://127.0.0.1:1/users/alice",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "/users/alice",
    "//evil.example/x",
    "https://[::1",
    "https://[",
    "",
    "acct:alice@m.example",
]
TEMPLATES = [
    "https://m.example/authorize_interaction?uri={uri}",
    "http://127.0.0.1:1/authorize_interaction?uri={uri}",
    "javascript:alert('{uri}')",
    "JAVASCRIPT:alert('{uri}')",
    "\tjavascript:alert('{uri}')",
    "data:text/html,{uri}",
    "//m.example/{uri}",
    "https://[::1/{uri}",
    "https://[/{uri}",
    "{uri}",
    "",
]


def often(strategy: st.SearchStrategy, otherwise: st.SearchStrategy) -> st.SearchStrategy:
    """`strategy` five times in six: most links should look like links."""
    return st.sampled_from([True] * 5 + [False]).flatmap(
        lambda pick: strategy if pick else otherwise
    )


RELS = ["self", SUBSCRIBE_REL, "http://webfinger.net/rel/profile-page"]


@st.composite
def link(draw: st.DrawFn) -> Any:
    if not draw(often(st.just(True), st.just(False))):
        return draw(json_values)  # a list, a number… where a link object belongs
    present = {
        "rel": often(st.sampled_from(RELS), json_values),
        "type": often(st.sampled_from([AS_TYPE, LD_TYPE, "text/html"]), json_values),
        "href": often(st.sampled_from(URLS), json_values),
        "template": often(st.sampled_from(TEMPLATES), json_values),
    }
    return {
        key: draw(value)
        for key, value in present.items()
        if draw(often(st.just(True), st.just(False)))
    }


plausible_links = st.fixed_dictionaries(
    {
        "rel": st.just("self"),
        "type": st.sampled_from([AS_TYPE, LD_TYPE]),
        "href": st.sampled_from(URLS),
    }
) | st.fixed_dictionaries({"rel": st.just(SUBSCRIBE_REL), "template": st.sampled_from(TEMPLATES)})
jrds = st.fixed_dictionaries(
    {"links": often(st.lists(plausible_links | link(), max_size=4), json_values)},
    optional={"subject": st.just("acct:alice@m.example") | json_values, "aliases": json_values},
)


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, bytes, str]:
    shape = draw(st.sampled_from(["jrd", "jrd", "jrd", "json", "bytes", "deep", "huge"]))
    if shape == "jrd":
        body = json.dumps(draw(jrds)).encode()
    elif shape == "json":
        body = json.dumps(draw(json_values)).encode()
    elif shape == "bytes":
        body = draw(st.binary(max_size=100))
    elif shape == "deep":
        depth = draw(st.sampled_from([1_000, 20_000, 30_000]))
        opener = draw(st.sampled_from(["[", '{"links":[', '{"a":']))
        closer = {"[": "]", '{"links":[': "]}", '{"a":': "}"}[opener]
        body = (opener * depth + "1" + closer * depth).encode()[:65_000]
    else:
        body = b'{"links": [' + b'{"rel": "self"},' * 5_000 + b"{}]}"  # past the 64 KiB cap
    status = draw(st.sampled_from([200, 200, 200, 200, 404, 500, 302, 204]))
    content_type = draw(st.sampled_from(["application/jrd+json", "application/json", "text/html"]))
    return status, body, content_type


def jrd_answer(links: list[Any]) -> tuple[int, bytes, str]:
    return (
        200,
        json.dumps({"subject": "acct:alice@m.example", "links": links}).encode(),
        "application/jrd+json",
    )


def result_or_fetch_error(
    server: JrdServer, call: str, answer: tuple[int, bytes, str]
) -> str | None:
    try:
        result = server.ask(call, answer)
    except FetchError:
        return None
    assert isinstance(result, str)
    return result


@SETTINGS
@given(answers())
def test_webfinger_answers_an_actor_id_or_a_fetch_error(
    server: JrdServer, answer: tuple[int, bytes, str]
) -> None:
    result_or_fetch_error(server, "webfinger", answer)


@SETTINGS
@given(answers())
@example(jrd_answer([{"rel": SUBSCRIBE_REL, "template": "https://[::1/{uri}"}]))
def test_subscribe_template_answers_a_template_or_a_fetch_error(
    server: JrdServer, answer: tuple[int, bytes, str]
) -> None:
    result_or_fetch_error(server, "subscribe_template", answer)


@SETTINGS
@given(answers())
@example(jrd_answer([{"rel": "self", "type": AS_TYPE, "href": "javascript:alert(1)"}]))
def test_webfinger_never_names_a_non_web_actor(
    server: JrdServer, answer: tuple[int, bytes, str]
) -> None:
    result = result_or_fetch_error(server, "webfinger", answer)
    if result is not None:
        assert scheme_of(result) in ("https", "http") and result.strip().startswith(
            ("https://", "http://")
        ), result


@SETTINGS
@given(answers())
@example(jrd_answer([{"rel": SUBSCRIBE_REL, "template": "javascript:alert('{uri}')"}]))
def test_subscribe_template_never_sends_a_visitor_off_the_web(
    server: JrdServer, answer: tuple[int, bytes, str]
) -> None:
    try:
        result = result_or_fetch_error(server, "subscribe_template", answer)
    except ValueError:
        return  # the malformed-URL crash is test_subscribe_template_answers_…'s to report
    if result is not None:
        # https, or http on this insecure_http development instance: never javascript: or data:.
        assert scheme_of(result) in ("https", "http"), result


class _Production(HttpClient):
    """The client of a production (https-only) instance, given the links a JRD held, no I/O."""

    def __init__(self, data_dir: Path, links: list[dict[str, Any]]) -> None:
        super().__init__(Config(data_dir=data_dir, domain="hub.example"), session=None)  # type: ignore[arg-type]
        self.links = links

    async def _webfinger_links(self, username: str, domain: str) -> list[dict[str, Any]]:
        return self.links


@settings(max_examples=100, deadline=None)
@given(st.lists(link().filter(lambda x: isinstance(x, dict)), max_size=4))
def test_in_production_a_follow_page_is_https_only(
    tmp_path_factory: pytest.TempPathFactory, links: list[dict[str, Any]]
) -> None:
    client = _Production(tmp_path_factory.getbasetemp(), links)
    try:
        template = asyncio.run(client.subscribe_template("alice", "m.example"))
    except FetchError:
        return
    except ValueError:
        return  # the malformed-URL crash is test_subscribe_template_answers_…'s to report
    finally:
        client._signing_pool.shutdown()
    assert scheme_of(template) == "https", template


def test_a_well_formed_jrd_is_read(server: JrdServer) -> None:
    """The control: the server and client really talk, and good answers come through."""
    links = [
        {"rel": "http://webfinger.net/rel/profile-page", "href": "https://m.example/@alice"},
        {"rel": "self", "type": AS_TYPE, "href": "https://m.example/users/alice"},
        {"rel": SUBSCRIBE_REL, "template": "https://m.example/authorize_interaction?uri={uri}"},
    ]
    assert server.ask("webfinger", jrd_answer(links)) == "https://m.example/users/alice"
    template = server.ask("subscribe_template", jrd_answer(links))
    assert template == "https://m.example/authorize_interaction?uri={uri}"
    with pytest.raises(FetchError):
        server.ask("webfinger", (404, b"", "text/html"))
