"""Uploads kept in the store `media_store` names, each test run against both: a directory every
process sees, and an S3-compatible bucket (moto's server, a process of its own on a loopback
port). Uploaded through the real form, fetched back over real HTTP, removed when unused, seen by
a second app on the same store; and what goes wrong: hostile names, bytes gone from the store,
a store that cannot be reached."""

from __future__ import annotations

import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from fedihub.accounts.service import create_account, require_account
from fedihub.app import create_app
from fedihub.config import Config
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import scheduler_key, services_key
from fedihub.media import store as media_rows
from fedihub.media.objects import StoreUnavailable
from fedihub.media.service import UNUSED_AFTER_S, objects, remove_unused, store_upload
from fedihub.posts import service as posts
from fedihub.services import Services
from tests.support.network import free_port
from tests.support.objectstore import MotoServer, moto_fixture  # noqa: F401 - `moto`
from tests.support.web import AP, HTML, form_token, sign_in


@dataclass
class Shared:
    """The store under test, and a look into it behind fedihub's back."""

    kind: str
    setting: str
    directory: Path | None = None
    moto: MotoServer | None = None
    bucket: str = ""
    prefix: str = ""

    def names(self) -> set[str]:
        if self.directory:
            return {p.name for p in self.directory.iterdir()}  # temporary files included
        assert self.moto
        return {k.removeprefix(self.prefix) for k in self.moto.keys(self.bucket)}

    def go_down(self) -> None:
        if self.directory:
            self.directory.rename(self.directory.with_name("unmounted"))
        else:
            assert self.moto
            self.moto.stop()

    def come_back(self, objects: dict[str, bytes]) -> None:
        """Back on the same path or port; an object store restarted (moto keeps nothing) gets
        its bucket and `objects` again."""
        if self.directory:
            self.directory.with_name("unmounted").rename(self.directory)
            return
        assert self.moto
        self.moto.start()
        client = self.moto.client()
        client.create_bucket(Bucket=self.bucket)
        for name, data in objects.items():
            client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def remove(self, name: str) -> None:
        if self.directory:
            (self.directory / name).unlink()
        else:
            assert self.moto
            self.moto.client().delete_object(Bucket=self.bucket, Key=self.prefix + name)


@pytest.fixture(params=["directory", "s3"])
def shared(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Shared:
    """Sets the instance's media_store (and for S3 its endpoint and AWS_* credentials) through
    the environment, as an operator would, before the instance's configuration is read."""
    if request.param == "directory":
        directory = tmp_path / "shared-media"  # outside the data directory, as on NFS
        directory.mkdir()
        chosen = Shared("directory", str(directory), directory=directory)
    else:
        moto: MotoServer = request.getfixturevalue("moto")
        bucket = moto.new_bucket()
        chosen = Shared("s3", f"s3://{bucket}/uploads", moto=moto, bucket=bucket,
                        prefix="uploads/")  # fmt: skip
        monkeypatch.setenv("FEDIHUB_S3_ENDPOINT_URL", moto.url)
        for name, value in moto.environment.items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("FEDIHUB_MEDIA_STORE", chosen.setting)
    return chosen


@pytest.fixture
def instance_config(shared: Shared, instance_config: Config) -> Config:
    """The suite's instance, its media in the store under test."""
    assert instance_config.media_store == shared.setting
    return instance_config


def jpeg(colour: tuple[int, int, int] = (10, 120, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def organiser(services: Services) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)


async def post_with_image(client: TestClient, picture: bytes, alt: str) -> tuple[str, str]:
    """Publishes an update with an image through the compose form; its page and image URLs."""
    data = FormData()
    token = await form_token(client, "/hubs/climate/compose")
    for name, value in (("csrf", token), ("kind", "update"), ("text", "The banner."),
                        ("alt", alt)):  # fmt: skip
        data.add_field(name, value)
    data.add_field("image", picture, filename="b.jpg", content_type="image/jpeg")
    posted = await client.post("/hubs/climate/compose", data=data, allow_redirects=False)
    assert posted.status == 303, await posted.text()
    page = posted.headers["Location"]
    note = await (await client.get(page, headers=AP)).json(content_type=None)
    (attachment,) = note["attachment"]
    assert attachment["name"] == alt
    return page, attachment["url"]


async def test_an_upload_is_served_from_the_store_and_removed_when_unused(
    app_client: TestClient, services: Services, shared: Shared, organiser: None
) -> None:
    assert await sign_in(app_client, "ana") == 303
    page, url = await post_with_image(app_client, jpeg(), "A green banner")
    name = url.rsplit("/", 1)[-1]
    assert shared.names() == {name}  # in the shared store, not in the data directory
    assert not any((services.config.data_dir / "media").iterdir())

    served = await app_client.get(f"/media/{name}")
    body = await served.read()
    assert served.status == 200 and served.content_type == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert int(served.headers["Content-Length"]) == len(body)
    assert body == await objects(services).read(name)
    assert Image.open(io.BytesIO(body)).size == (30, 20)
    etag = served.headers["ETag"]
    again = await app_client.get(f"/media/{name}", headers={"If-None-Match": etag})
    assert again.status == 304 and not await again.read()
    head = await app_client.head(f"/media/{name}")
    assert head.status == 200 and head.headers["Content-Length"] == str(len(body))

    hub = await require_hub(services.db, "climate")
    await posts.delete(services, hub, int(page.rsplit("/", 1)[-1]))
    run = await app_client.app[scheduler_key].run_once(time.time() + UNUSED_AFTER_S + 1)
    assert run.images_removed == 1
    assert shared.names() == set()
    assert (await app_client.get(f"/media/{name}")).status == 404


async def test_two_apps_on_one_store_see_each_others_uploads(
    app_client: TestClient, services: Services, instance_config: Config, shared: Shared,
    organiser: None,
) -> None:  # fmt: skip
    """Two servers of one instance (as two processes or machines run them), each with its own
    clients and threads, on one database and one store."""
    other_app = create_app(instance_config, run_workers=False)
    async with TestClient(TestServer(other_app, host="127.0.0.1", port=free_port())) as other:
        assert await sign_in(app_client, "ana") == 303
        _, url = await post_with_image(app_client, jpeg(), "Uploaded through the first")
        path = url.removeprefix(services.config.base_url)
        from_other = await other.get(path)
        assert from_other.status == 200
        assert await from_other.read() == await objects(services).read(path.rsplit("/", 1)[-1])

        hub = await require_hub(services.db, "climate")
        second = await store_upload(other.app[services_key], hub, jpeg((200, 0, 0)), "Second")
        from_first = await app_client.get(f"/media/{second.name}")
        assert from_first.status == 200
        assert Image.open(io.BytesIO(await from_first.read())).getpixel((5, 5))[0] > 150


async def test_hostile_names_and_bytes_missing_from_the_store_are_404(
    app_client: TestClient, services: Services, shared: Shared, organiser: None
) -> None:
    hub = await require_hub(services.db, "climate")
    stored = await store_upload(services, hub, jpeg(), "Kept")
    (services.config.data_dir / "secret.jpg").write_bytes(b"not for visitors")
    for path in ("/media/../config.toml", "/media/..%2Fconfig.toml", "/media/%2E%2E/secret.jpg",
                 "/media/..%2F..%2Fdata%2Fsecret.jpg", f"/media/{stored.name}%00.jpg",
                 f"/media/.{stored.name}", "/media/" + "A" * 24 + ".jpg"):  # fmt: skip
        resp = await app_client.get(path)
        assert resp.status == (400 if "%00" in path else 404), path  # NUL: refused at the edge
        assert b"not for visitors" not in await resp.read()
    # Its row is there but its bytes are gone (removed by hand, or a copy that missed it).
    shared.remove(stored.name)
    missing = await app_client.get(f"/media/{stored.name}", headers=HTML)
    assert missing.status == 404 and "no such image" in (await missing.text()).lower()


async def test_a_store_out_of_reach_is_a_503_said_once_in_the_log(
    app_client: TestClient, services: Services, shared: Shared, organiser: None,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    hub = await require_hub(services.db, "climate")
    stored = await store_upload(services, hub, jpeg(), "Before the outage")
    kept = await objects(services).read(stored.name)
    assert kept
    caplog.set_level(logging.INFO, logger="fedihub.media.objects")
    shared.go_down()  # the file system unmounted; the object store's process stopped

    for _ in range(3):
        down = await app_client.get(f"/media/{stored.name}", headers=HTML)
        assert down.status == 503
        assert "cannot be reached" in await down.text()
    json_answer = await app_client.get(f"/media/{stored.name}")
    assert json_answer.status == 503 and "error" in await json_answer.json()
    assert await sign_in(app_client, "ana") == 303
    data = FormData()
    token = await form_token(app_client, "/hubs/climate/compose")
    for field, value in (("csrf", token), ("kind", "update"), ("text", "Lost?"), ("alt", "x")):
        data.add_field(field, value)
    data.add_field("image", jpeg(), filename="b.jpg", content_type="image/jpeg")
    upload = await app_client.post("/hubs/climate/compose", data=data, headers=HTML)
    assert upload.status == 503 and "cannot be reached" in await upload.text()
    assert await services.db.fetchval("SELECT count(*) FROM media") == 1  # no row without bytes
    with pytest.raises(StoreUnavailable):
        await store_upload(services, hub, jpeg(), "During the outage")
    # Unused images are kept, rows and all, until the store can delete their bytes.
    assert await remove_unused(services, time.time() + UNUSED_AFTER_S + 1) == 0
    assert await media_rows.names_older_than(services.db, time.time() + 2 * UNUSED_AFTER_S)

    spanish = await app_client.get(
        f"/media/{stored.name}", headers={**HTML, "Accept-Language": "es"}
    )
    assert "no se puede llegar" in await spanish.text()
    said = [r for r in caplog.records if r.name == "fedihub.media.objects"]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "cannot be reached" in said[0].getMessage()

    shared.come_back({stored.name: kept})
    assert (await app_client.get(f"/media/{stored.name}")).status == 200
    assert "answers again" in caplog.records[-1].getMessage()
    assert await remove_unused(services, time.time() + UNUSED_AFTER_S + 1) == 1
    assert shared.names() == set()


async def test_media_copy_moves_a_directory_into_a_bucket_and_copying_again_adds_nothing(
    tmp_path: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance that kept its images in DATA/media copies them into a bucket with `fedihub
    media copy`, then switches media_store and serves them from there."""
    from fedihub.cli import main
    from fedihub.instance import init_instance
    from fedihub.kinds import registry
    from fedihub.services import services_for

    data = tmp_path / "data"
    await init_instance(data, f"localhost:{free_port()}", insecure_http=True)
    async with services_for(data, registry()) as svc:
        await create_hub(svc.db, "relief", name="Relief")
        hub = await require_hub(svc.db, "relief")
        names = [(await store_upload(svc, hub, jpeg((n, 0, 0)), f"image {n}")).name
                 for n in (10, 20, 30)]  # fmt: skip
    (data / "media" / names[2]).unlink()  # one lost before the move
    bucket = moto.new_bucket()
    for name, value in moto.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FEDIHUB_S3_ENDPOINT_URL", moto.url)

    copy = ["media", "copy", "--data", str(data), "--to", f"s3://{bucket}/m"]
    assert await _run_cli(main, copy) == (0, "2 copied, 0 already there, 1 missing")
    assert moto.keys(bucket) == {f"m/{names[0]}", f"m/{names[1]}"}
    assert await _run_cli(main, copy) == (0, "0 copied, 2 already there, 1 missing")
    bad = ["media", "copy", "--data", str(data), "--to", "s3://"]
    assert (await _run_cli(main, bad))[0] == 1

    monkeypatch.setenv("FEDIHUB_MEDIA_STORE", f"s3://{bucket}/m")
    async with services_for(data, registry()) as svc:
        assert await objects(svc).read(names[0]) == (data / "media" / names[0]).read_bytes()


async def _run_cli(main: object, argv: list[str]) -> tuple[int, str]:
    """`fedihub ARGV` in a thread (it runs an event loop of its own): its exit code and the
    start of what it printed."""
    import asyncio
    import contextlib

    out = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            return int(main(argv))  # type: ignore[operator]

    code = await asyncio.to_thread(run)
    return code, out.getvalue().partition(" from ")[0]


async def test_moto_is_a_separate_process_on_loopback(moto: MotoServer) -> None:
    """The stand-in is reached over real HTTP, as fedihub reaches a real object store."""
    assert moto.process and moto.process.poll() is None
    async with aiohttp.ClientSession() as session, session.get(moto.url) as resp:
        assert resp.status < 500


async def test_a_directory_write_is_whole_or_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process reading the directory never finds half an image under its name: bytes go
    to a temporary file (a name never served) and are renamed into place once on disk."""
    import os

    from fedihub.media.objects import DirectoryStore

    store = DirectoryStore(tmp_path, ThreadPoolExecutor(1))
    name = "A" * 24 + ".jpg"
    seen_while_writing: list[str] = []

    def disk_full(fd: int) -> None:
        seen_while_writing.extend(os.listdir(tmp_path))
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", disk_full)
        with pytest.raises(StoreUnavailable):
            await store.put(name, jpeg(), "image/jpeg")
    assert len(seen_while_writing) == 1 and seen_while_writing[0].startswith(f".{name}.")
    assert os.listdir(tmp_path) == []  # neither the name nor the temporary file is left
    assert await store.open(name) is None
    await store.put(name, jpeg(), "image/jpeg")
    assert os.listdir(tmp_path) == [name]
    assert await store.read(name) == jpeg()
