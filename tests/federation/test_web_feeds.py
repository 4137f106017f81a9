"""A hub publishing its groups' websites: a local HTTP server serves an Atom feed; a real
`fedihub serve` polls it with conditional GETs and publishes each entry once, across a restart.
Feeds that are garbage or never end are contained."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.instances import FedihubInstance
from tests.support.network import eventually, free_port

pytestmark = pytest.mark.federation


def atom(entries: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f"<entry><id>urn:site:{n}</id><title>{title}</title>"
        f"<link href='https://tenants.example/{n}'/><updated>{day}T10:00:00Z</updated>"
        f"<summary>About {title}.</summary></entry>"
        for n, title, day in entries
    )
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            "<title>Tenants union</title><id>urn:site</id><updated>2026-11-20T10:00:00Z</updated>"
            f"{items}</feed>")  # fmt: skip


class Site:
    """The group's own website: its feed, an ETag, and a record of every request."""

    def __init__(self) -> None:
        self.port = free_port()
        self.entries = [("1", "Rent strike", "2026-11-01"), ("2", "Court date", "2026-11-02")]
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)

    @property
    def etag(self) -> str:
        return f'"v{len(self.entries)}"'

    async def feed(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, request.headers.get("If-None-Match")))
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304)
        return web.Response(text=atom(self.entries), content_type="application/atom+xml",
                            headers={"ETag": self.etag})  # fmt: skip

    async def garbage(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\xffnot a feed at all", content_type="text/html")

    async def endless(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
        await response.prepare(request)
        chunk = b"<entry>" + b"x" * 65_000 + b"</entry>"
        try:
            for _ in range(100):  # 6.5 MB, well past the cap; bounded so the test ends
                await response.write(chunk)
        except ConnectionResetError:
            pass
        return response


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    app = web.Application()
    app.router.add_get("/feed.xml", site.feed)
    app.router.add_get("/garbage.xml", site.garbage)
    app.router.add_get("/endless.xml", site.endless)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", site.port).start()
    yield site
    await runner.cleanup()


def published(a: FedihubInstance) -> list[str]:
    return [r[0] for r in a.query("SELECT title FROM posts ORDER BY id")]


async def test_entries_arrive_once_each_across_restarts(
    new_instance,  # type: ignore[no-untyped-def]
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FEDIHUB_SCHEDULER_INTERVAL_S", "0.2")
    monkeypatch.setenv("FEDIHUB_FEED_INTERVAL_S", "0.5")
    a: FedihubInstance = new_instance("a")
    await a.acli("hub", "create", "--data", a.data, "tenants", "--name", "Tenants")
    base = f"http://127.0.0.1:{site.port}"
    for path in ("/feed.xml", "/garbage.xml", "/endless.xml"):
        await a.acli("hub", "feed", "--data", a.data, "add", "tenants", base + path)
    await a.start()

    async def two_posts() -> bool:
        return published(a) == ["Rent strike", "Court date"]  # oldest first

    await eventually(two_posts, what="the feed's two entries to become posts")

    async def conditional() -> bool:
        return ("/feed.xml", site.etag) in site.requests

    await eventually(conditional, what="a conditional GET with the ETag")
    await a.stop()
    site.entries.insert(0, ("3", "We won", "2026-11-03"))
    await a.start()

    async def third() -> bool:
        return published(a) == ["Rent strike", "Court date", "We won"]

    await eventually(third, what="the new entry, and only it, after the restart")
    assert a.query("SELECT count(*) FROM feed_items")[0][0] == 3
    post = a.query("SELECT content_html FROM posts WHERE title = 'We won'")[0][0]
    assert 'href="https://tenants.example/3"' in post and "About We won." in post

    async def contained() -> bool:
        rows = dict(a.query("SELECT url, last_error FROM feed_sources WHERE failures > 0"))
        return len(rows) == 2

    await eventually(contained, what="the garbage and endless feeds to be marked failing")
    errors = dict(a.query("SELECT url, last_error FROM feed_sources"))
    assert "not an RSS or Atom feed" in errors[base + "/garbage.xml"]
    assert "larger than" in errors[base + "/endless.xml"]
    listed = (await a.acli("hub", "feed", "--data", a.data, "list", "tenants")).stdout
    assert "Tenants union\tok" in listed and "failing" in listed


async def test_a_feed_url_must_be_http(new_instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a: FedihubInstance = new_instance("a")
    await a.acli("hub", "create", "--data", a.data, "tenants", "--name", "Tenants")
    for bad in ("file:///etc/passwd", "ftp://x.example/feed", "http://10.0.0.1/feed"):
        result = await a.acli("hub", "feed", "--data", a.data, "add", "tenants", bad, check=False)
        assert result.returncode == 1 and "refusing to fetch" in result.stderr
