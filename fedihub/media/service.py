"""Storing uploaded images under data/media by random names, and removing those nothing shows."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.media.images import reencode
from fedihub.services import Services

MAX_ALT = 1500  # Mastodon's limit for image descriptions
# How long a stored upload waits for the post or settings it was made for before it counts as
# unused: publishing takes seconds, so an hour only ever keeps abandoned uploads a little longer.
UNUSED_AFTER_S = 3600.0


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


async def _names_in_use(svc: Services) -> set[str]:
    used = set()
    for icon, header in await svc.db.fetchall("SELECT icon, header FROM local_actors"):
        used.update(n for n in (icon, header) if n)
    # Only live posts count: a deleted post's images go with it.
    rows = await svc.db.fetchall(
        "SELECT fields FROM posts WHERE deleted_at IS NULL AND fields LIKE '%\"attachments\"%'"
    )
    for (fields,) in rows:
        for attachment in json.loads(fields).get("attachments") or []:
            url = attachment.get("url") if isinstance(attachment, dict) else None
            if isinstance(url, str):
                used.add(url.rsplit("/", 1)[-1])
    return used


async def remove_unused(svc: Services, now: float) -> int:
    """Deletes images nothing shows any more (a replaced avatar or header, the images of deleted
    posts, uploads whose post was never published); returns how many. Rows go first, so a file
    is never served without its row, and a file already gone is no error."""
    in_use = await _names_in_use(svc)
    rows = await svc.db.fetchall(
        "SELECT name FROM media WHERE created_at < ?", (now - UNUSED_AFTER_S,)
    )
    unused = [name for (name,) in rows if name not in in_use]
    if not unused:
        return 0
    async with svc.db.transaction() as tx:
        await tx.executemany("DELETE FROM media WHERE name = ?", [(n,) for n in unused])
    for name in unused:
        await asyncio.to_thread((media_dir(svc) / name).unlink, missing_ok=True)
    return len(unused)
