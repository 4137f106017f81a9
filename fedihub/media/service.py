"""Storing uploaded images by random names (in the store `media_store` names), and removing
those nothing shows."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest
from fedihub.media import store
from fedihub.media.images import reencode
from fedihub.media.objects import MediaStore, StoreUnavailable, media_store
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

    def as_attachment(self, base_url: str) -> dict[str, Any]:
        """An `Image` attachment as Mastodon reads it; `name` is the alt text."""
        return {"type": "Image", "mediaType": self.content_type, "url": self.url(base_url),
                "name": self.alt, "width": self.width, "height": self.height}  # fmt: skip


def objects(svc: Services) -> MediaStore:
    """Where this instance keeps the images' bytes (fedihub/media/objects.py)."""
    return media_store(svc.config, svc.media_threads)


async def store_upload(svc: Services, owner: LocalActor, upload: bytes, alt: str) -> Media:
    """Checks, re-encodes (in a thread: Pillow is CPU work) and stores an image."""
    alt = " ".join(alt.split())
    if not alt:
        raise BadRequest("describe the image (its alt text) for people who cannot see it")
    if len(alt) > MAX_ALT:
        raise BadRequest("the image description may be at most %(max)s characters", max=MAX_ALT)
    encoded = await asyncio.to_thread(reencode, upload)
    name = f"{secrets.token_urlsafe(18)}.{encoded.extension}"
    await objects(svc).put(name, encoded.data, encoded.content_type)  # before its row: never
    # a row whose image is still on its way
    await store.insert_media(svc.db, name, owner.id, content_type=encoded.content_type,
                             width=encoded.width, height=encoded.height, size=len(encoded.data),
                             alt=alt, created_at=svc.clock.now())  # fmt: skip
    return Media(name, encoded.content_type, encoded.width, encoded.height, alt)


async def remove_unused(svc: Services, now: float) -> int:
    """Deletes images nothing shows any more (a replaced avatar or header, the images of deleted
    posts, uploads whose post was never published); returns how many. The stored bytes go
    first and their rows after: a store that cannot be reached keeps the rows, so the next check
    tries again (nothing shows these images, so none is missed meanwhile), and an image already
    gone is no error."""
    in_use = await store.names_in_use(svc.db)
    old = await store.names_older_than(svc.db, now - UNUSED_AFTER_S)
    unused = [name for name in old if name not in in_use]
    if not unused:
        return 0
    try:
        await objects(svc).delete(unused)
    except StoreUnavailable:  # said in the log by the store; tried again at the next check
        return 0
    await store.delete_media(svc.db, unused)
    return len(unused)


async def stored_upload(svc: Services, owner: LocalActor, name: str, alt: str) -> Media | None:
    """An image `owner` uploaded already (a compose form shown again carries it by its name),
    with the description given now; None if it is not theirs or no longer kept."""
    row = await store.find_media(svc.db, name, owner.id)
    if row is None:
        return None
    alt = " ".join(alt.split())
    if not alt:
        raise BadRequest("describe the image (its alt text) for people who cannot see it")
    if len(alt) > MAX_ALT:
        raise BadRequest("the image description may be at most %(max)s characters", max=MAX_ALT)
    return Media(str(row["name"]), str(row["content_type"]), int(str(row["width"])),
                 int(str(row["height"])), alt)  # fmt: skip
