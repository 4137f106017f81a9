"""Serving stored images, with types and headers that can never pass for an ActivityPub
document or a page. From a directory or an object store alike: the bytes pass through us, so
the headers are ours whatever keeps them, and pages, attachments and other servers' fetches use
the one address, /media/NAME."""

from __future__ import annotations

from aiohttp import web

from fedihub.errors import NotFound
from fedihub.keys import services_key
from fedihub.media import store as media
from fedihub.media.service import objects

routes = web.RouteTableDef()


@routes.get(r"/media/{name:[A-Za-z0-9_-]{24}\.(?:jpg|png)}")
async def serve(request: web.Request) -> web.StreamResponse:
    svc = request.app[services_key]
    name = request.match_info["name"]
    content_type = await media.content_type(svc.db, name)
    if content_type is None:
        raise NotFound("no such image")
    # A name is never reused for other bytes, so it is the image's version: a cache that has it
    # asks again (If-None-Match) without the store being read.
    etag = f'"{name.partition(".")[0]}"'
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=31536000, immutable",  # names are never reused
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    stored = await objects(svc).open(name)  # 503 when the store cannot be reached
    if stored is None:  # its row is there but its bytes are not (removed, or a partial copy)
        raise NotFound("no such image")
    try:
        response = web.StreamResponse(headers=headers)
        response.content_length = stored.size
        await response.prepare(request)
        if request.method != "HEAD":
            async for chunk in stored.chunks():
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        await stored.close()
