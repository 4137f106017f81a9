"""Two `fedihub serve` processes of one PostgreSQL-backed instance, each on a port of its own,
with their media in one shared store (a directory outside the data directory, or a bucket of an
S3 stand-in, moto, run as a third process): an image uploaded through either is served by both."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import FormData
from PIL import Image

from tests.support.instances import FedihubInstance
from tests.support.objectstore import MotoServer, moto_fixture  # noqa: F401 - `moto`
from tests.support.postgres import PostgresCluster
from tests.support.web import AP, form_token, sign_in

pytestmark = pytest.mark.federation


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(params=["directory", "s3"])
def shared_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The media_store setting, given to every fedihub process through its environment."""
    if request.param == "directory":
        directory = tmp_path / "nfs-media"
        directory.mkdir()
        setting = str(directory)
    else:
        moto: MotoServer = request.getfixturevalue("moto")
        setting = f"s3://{moto.new_bucket()}"
        monkeypatch.setenv("FEDIHUB_S3_ENDPOINT_URL", moto.url)
        for name, value in moto.environment.items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("FEDIHUB_MEDIA_STORE", setting)
    return setting


@pytest.fixture
async def two_processes(
    tmp_path: Path, postgres_cluster: PostgresCluster, password_file: Path, shared_store: str
) -> AsyncIterator[list[FedihubInstance]]:
    first = FedihubInstance(tmp_path, "a", cluster=postgres_cluster)
    made = [first, first.another_process("a2")]
    try:
        first.init()
        first.cli("account", "create", "--data", first.data, "org", "--password-file",
                  password_file)  # fmt: skip
        first.cli("hub", "create", "--data", first.data, "relief", "--name", "Relief",
                  "--organizer", "org")  # fmt: skip
        for process in made:
            await process.start()
        yield made
    finally:
        for process in reversed(made):
            await process.stop()
        first.drop_database()


async def upload_through(process: FedihubInstance, picture: bytes, password: str) -> str:
    """Signs in and posts an update with `picture` on `process`; the image's path."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from 127.0.0.1
    async with aiohttp.ClientSession(base_url=process.listening_url, cookie_jar=jar) as browser:
        assert await sign_in(browser, "org", password) == 303  # type: ignore[arg-type]
        token = await form_token(browser, "/hubs/relief/compose")  # type: ignore[arg-type]
        data = FormData()
        for name, value in (("csrf", token), ("kind", "update"), ("text", "Sandbags here."),
                            ("alt", "Sandbags by the door")):  # fmt: skip
            data.add_field(name, value)
        data.add_field("image", picture, filename="p.jpg", content_type="image/jpeg")
        async with browser.post("/hubs/relief/compose", data=data, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            page = r.headers["Location"].removeprefix(process.base_url)
        async with browser.get(page, headers=AP) as r:
            note = await r.json(content_type=None)
    url: str = note["attachment"][0]["url"]
    return url.removeprefix(process.base_url)


async def test_each_process_serves_what_the_other_stored(
    two_processes: list[FedihubInstance], password_file: Path, shared_store: str
) -> None:
    first, second = two_processes
    password = "organise-together"  # what the password_file fixture holds
    sent = {first: jpeg((200, 0, 0)), second: jpeg((0, 0, 200))}
    paths = {p: await upload_through(p, picture, password) for p, picture in sent.items()}
    async with aiohttp.ClientSession() as session:
        for uploaded_on, path in paths.items():
            for process in two_processes:
                async with session.get(process.listening_url + path) as resp:
                    assert resp.status == 200, (uploaded_on.name, process.name, resp.status)
                    assert resp.headers["Content-Type"] == "image/jpeg"
                    pixel = (
                        Image.open(io.BytesIO(await resp.read())).convert("RGB").getpixel((5, 5))
                    )
                    red_sent = uploaded_on is first
                    assert isinstance(pixel, tuple) and (pixel[0] > 150) == red_sent
    assert not any((first.data / "media").iterdir())  # all of it in the shared store
