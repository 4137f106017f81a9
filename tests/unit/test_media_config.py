"""The `media_store` and `s3_endpoint_url` settings: what each form means, and a clear refusal of
what is not one (a misread setting would put uploads where no other process looks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedihub.config import S3Location, load_config, write_config
from fedihub.errors import ConfigError


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    write_config(data, "localhost:8080", insecure_http=True)
    return data


def test_each_form_of_media_store(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_config(data).media_location == data / "media"
    shared = tmp_path / "nfs" / "media"
    shared.mkdir(parents=True)
    monkeypatch.setenv("FEDIHUB_MEDIA_STORE", str(shared))
    assert load_config(data).media_location == shared
    for value, bucket, prefix in (
        ("s3://fedihub-media", "fedihub-media", ""),
        ("s3://fedihub-media/", "fedihub-media", ""),
        ("s3://m.example.org/a//b/", "m.example.org", "a/b/"),
    ):
        monkeypatch.setenv("FEDIHUB_MEDIA_STORE", value)
        assert load_config(data).media_location == S3Location(bucket, prefix)
    monkeypatch.setenv("FEDIHUB_S3_ENDPOINT_URL", "http://minio:9000")
    assert load_config(data).s3_endpoint_url == "http://minio:9000"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("media", "must be an absolute directory path"),
        ("./shared/media", "must be an absolute directory path"),
        ("ftp://files.example/media", "unknown kind of store"),
        ("gs://bucket", "unknown kind of store"),
        ("file:/srv/media", "unknown kind of store"),
        ("s3://", "names no bucket"),
        ("s3:///media", "names no bucket"),
        ("s3://Bad_Bucket", "is not a valid bucket name"),
        ("s3://bucket/../other", "the prefix may not hold . or .."),
        ("/no/such/directory", "is not a directory"),
    ],
)
def test_a_media_store_that_is_not_one_is_refused(
    data: Path, monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    monkeypatch.setenv("FEDIHUB_MEDIA_STORE", value)
    with pytest.raises(ConfigError, match="media_store") as refused:
        load_config(data)
    assert says in refused.value.message


@pytest.mark.parametrize("url", ["minio:9000", "ftp://minio", "http://", "http://h?x=1"])
def test_an_endpoint_that_is_not_an_http_url_is_refused(
    data: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("FEDIHUB_S3_ENDPOINT_URL", url)
    with pytest.raises(ConfigError, match="expected http"):
        load_config(data)
