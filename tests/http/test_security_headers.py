"""Every page says what it may run and where it may be shown: a Content-Security-Policy with
no inline script, no framing, no sniffing; the pages' scripts are our own static files."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from fedihub.hubs.service import create_hub
from fedihub.services import Services


def script_sources(policy: str) -> str:
    return next(d for d in policy.split(";") if d.strip().startswith("script-src"))


async def test_pages_carry_a_strict_policy_and_no_inline_script(
    app_client: TestClient, services: Services
) -> None:
    await create_hub(services.db, "climate", name="Climate")
    for path in ("/", "/hubs/climate", "/directory", "/signin", "/about", "/no-such-page"):
        resp = await app_client.get(path, headers={"Accept": "text/html"})
        body = await resp.text()
        if resp.content_type != "text/html":
            continue  # aiohttp's own plain-text 404
        policy = resp.headers["Content-Security-Policy"]
        assert script_sources(policy).split() == ["script-src", "'self'"], path
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body) == [], path
        assert re.search(r"\son[a-z]+=", body) is None, path  # no inline event handlers


async def test_the_pages_scripts_are_served_from_static_files(app_client: TestClient) -> None:
    for name in ("local-time.js", "live-tally.js"):
        resp = await app_client.get(f"/static/{name}")
        assert resp.status == 200
        assert resp.content_type in ("application/javascript", "text/javascript")
        assert "max-age" in resp.headers["Cache-Control"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert (await app_client.get("/static/../fedihub/app.py")).status in (403, 404)


async def test_documents_for_servers_are_not_sniffed(
    app_client: TestClient, services: Services
) -> None:
    await create_hub(services.db, "climate", name="Climate")
    resp = await app_client.get(
        "/hubs/climate", headers={"Accept": "application/activity+json"}
    )
    assert resp.status == 200
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in resp.headers
