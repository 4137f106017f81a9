"""Storing uploaded images and serving them: written under data/media by random names, with
types and headers that can never pass for an ActivityPub document or a page."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, NotFound
from fedihub.keys import services_key
from fedihub.media.images import reencode
from fedihub.services import Services

MAX_ALT = 1500  # Mastodon's limit for image descriptions


@dataclass(frozen=True)
class Media:
    name: str
    content_type: str
    width: int
    height: int
    alt: str

    def url(self, base_url: str) -> str:
        return f"{base_url}/media/{self.name}"

    def as_attachment(self, base_url: str) -> dict:
        """An `Image` attachment as Mastodon reads it; `name` is the alt text."""
        return {"type": "Image", "mediaType": self.content_type, "url": self.url(base_url),
                "name": self.alt, "width": self.width, "height": self.height}  # fmt: skip


def media_dir(svc: Services) -> Path:
    return svc.config.data_dir / "media"


async def store_upload(svc: Services, owner: LocalActor, upload: bytes, alt: str) -> Media:
    """Checks, re-encodes (in a thread: Pillow is CPU work) and stores an image."""
    alt = " ".join(alt.split())
    if not alt:
        raise BadRequest("describe the image (its alt text) for people who cannot see it")
    if len(alt) > MAX_ALT:
        raise BadRequest("the image description may be at most %(max)s characters", max=MAX_ALT)
    encoded = await asyncio.to_thread(reencode, upload)
    name = f"{secrets.token_urlsafe(18)}.{encoded.extension}"
    path = media_dir(svc) / name
    await asyncio.to_thread(path.write_bytes, encoded.data)
    await svc.db.execute(
        "INSERT INTO media (name, owner_id, content_type, width, height, size, alt, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (name, owner.id, encoded.content_type, encoded.width, encoded.height,
         len(encoded.data), alt, time.time()),
    )  # fmt: skip
    return Media(name, encoded.content_type, encoded.width, encoded.height, alt)


routes = web.RouteTableDef()


@routes.get(r"/media/{name:[A-Za-z0-9_-]{24}\.(?:jpg|png)}")
async def serve(request: web.Request) -> web.StreamResponse:
    svc = request.app[services_key]
    name = request.match_info["name"]
    content_type = await svc.db.fetchval("SELECT content_type FROM media WHERE name = ?", (name,))
    path = media_dir(svc) / name
    if content_type is None or not path.is_file():
        raise NotFound("no such image")
    return web.FileResponse(path, headers={
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=31536000, immutable",  # names are never reused
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })  # fmt: skip
