"""Images nothing shows any more are removed, rows and files: a replaced avatar, the image of a
deleted post, an upload whose post never came; what is shown stays."""

from __future__ import annotations

import io
import time

from aiohttp.test_utils import TestClient
from PIL import Image

from fedihub.groups import store as groups
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import scheduler_key
from fedihub.media.service import UNUSED_AFTER_S, objects, store_upload
from fedihub.posts import service as posts
from fedihub.services import Services


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


async def test_unused_images_go_and_shown_ones_stay(
    app_client: TestClient, services: Services
) -> None:
    await create_hub(services.db, "relief", name="Relief")
    hub = await require_hub(services.db, "relief")
    base = services.config.base_url
    kinds = ("old avatar", "avatar", "kept post", "deleted post", "abandoned", "fresh")
    stored = {what: await store_upload(services, hub, jpeg(), what) for what in kinds}
    await groups.set_hub_settings(services.db, hub.id, icon=stored["avatar"].name)
    kept, gone = [
        await posts.publish(services, hub, None, "update", text,
                            attachments=[stored[what].as_attachment(base)])
        for text, what in (("Kitchen open.", "kept post"), ("Wrong address.", "deleted post"))
    ]  # fmt: skip
    await posts.delete(services, hub, gone.id)
    now = time.time() + UNUSED_AFTER_S + 1
    await services.db.execute(
        "UPDATE media SET created_at = ? WHERE name = ?", (now - 10, stored["fresh"].name)
    )  # just uploaded, its post still being written

    run = await app_client.app[scheduler_key].run_once(now)

    assert run.images_removed == 3
    left = {r[0] for r in await services.db.fetchall("SELECT name FROM media")}
    assert left == {stored[w].name for w in ("avatar", "kept post", "fresh")}
    kept_bytes = {s.name for s in stored.values() if await objects(services).exists(s.name)}
    assert kept_bytes == left  # the images' bytes went with their rows
    for what in ("old avatar", "deleted post", "abandoned"):
        resp = await app_client.get(f"/media/{stored[what].name}")
        assert resp.status == 404, what
    shown = await app_client.get(f"/media/{stored['kept post'].name}")
    assert shown.status == 200 and kept.fields["attachments"][0]["url"].endswith(
        stored["kept post"].name
    )
    # Checked hourly, not on every pass of the scheduler.
    await groups.set_hub_settings(services.db, hub.id, icon=None)  # the avatar is taken off
    scheduler = app_client.app[scheduler_key]
    assert (await scheduler.run_once(now + 60)).images_removed == 0
    # The avatar, and the fresh upload whose post never came.
    assert (await scheduler.run_once(now + 3600)).images_removed == 2
