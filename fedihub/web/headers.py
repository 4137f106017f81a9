"""Headers every response carries, so a page cannot be framed, sniffed or made to run script
that this server did not ship (a Content-Security-Policy without inline script)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Scripts only from our own /static files; the live tally's stream from ourselves; images are
# our uploads. Styles stay inline (one <style> per page keeps each page a single request):
# CSS cannot run script. Forms may lead elsewhere: "follow from your server" sends people on
# to their own server's follow page (Chromium applies form-action to redirects).
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
    "connect-src 'self'; form-action 'self' {forms}; frame-ancestors 'none'; base-uri 'none'"
)


def content_security_policy(insecure_http: bool) -> str:
    return _POLICY.format(forms="https: http:" if insecure_http else "https:")


def security_headers(
    insecure_http: bool,
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An `on_response_prepare` hook: headers for every response, the policy for HTML."""
    policy = content_security_policy(insecure_http)

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.content_type == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"

    return add
