"""What a page may run and where it may be shown: a Content-Security-Policy without inline
script, no framing, no sniffing; and the pages' own scripts, served from static files.

The headers are added where responses are made (`respond.html` for every page, the JSON
helpers), not by a hook on every response: that hook cost the inbox ~10 µs a request."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# Scripts only from our own /static files; the live tally's stream from ourselves; images are
# our uploads. Styles stay inline (one <style> per page keeps each page a single request):
# CSS cannot run script. Forms may lead elsewhere: "follow from your server" sends people on
# to their own server's follow page (Chromium applies form-action to redirects).
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
    "connect-src 'self'; form-action 'self' {forms}; frame-ancestors 'none'; base-uri 'none'"
)


@cache
def page_headers(insecure_http: bool) -> dict[str, str]:
    forms = "https: http:" if insecure_http else "https:"
    return {
        "Content-Security-Policy": _POLICY.format(forms=forms),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        **NOSNIFF,
    }


@cache
def _scripts() -> dict[str, bytes]:
    """The scripts shipped in fedihub/static, read once: only these names are ever served."""
    return {p.name: p.read_bytes() for p in STATIC_DIR.glob("*.js")}


routes = web.RouteTableDef()


@routes.get("/static/{name}")
async def static_script(request: web.Request) -> web.Response:
    body = _scripts().get(request.match_info["name"])
    if body is None:
        raise web.HTTPNotFound()  # a script's address, asked for by a browser, not a person
    return web.Response(
        body=body, content_type="text/javascript", charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600", **NOSNIFF},
    )  # fmt: skip
