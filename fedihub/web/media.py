"""Serving stored images, with types and headers that can never pass for an ActivityPub
document or a page."""

from __future__ import annotations

from aiohttp import web

from fedihub.errors import NotFound
from fedihub.keys import services_key
from fedihub.media import store as media
from fedihub.media.service import media_dir

routes = web.RouteTableDef()


@routes.get(r"/media/{name:[A-Za-z0-9_-]{24}\.(?:jpg|png)}")
async def serve(request: web.Request) -> web.StreamResponse:
    svc = request.app[services_key]
    name = request.match_info["name"]
    content_type = await media.content_type(svc.db, name)
    path = media_dir(svc) / name
    if content_type is None or not path.is_file():
        raise NotFound("no such image")
    return web.FileResponse(path, headers={
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=31536000, immutable",  # names are never reused
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })  # fmt: skip
