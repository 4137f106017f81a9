"""Uploaded images are re-encoded from their pixels: metadata gone, orientation kept, bombs and
non-images refused. Pure (Pillow, no I/O)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fedihub.errors import BadRequest, PayloadTooLarge
from fedihub.media.images import MAX_SIDE, MAX_UPLOAD_BYTES, reencode


def jpeg_with_exif(width: int = 40, height: int = 20, orientation: int = 6) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° on display
    exif[0x010F] = "Camera maker that tells where you live"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_metadata_is_removed_and_orientation_applied() -> None:
    original = jpeg_with_exif()
    assert b"Camera maker" in original
    encoded = reencode(original)
    assert b"Camera maker" not in encoded.data and b"Exif" not in encoded.data
    assert (encoded.content_type, encoded.width, encoded.height) == ("image/jpeg", 20, 40)
    with Image.open(io.BytesIO(encoded.data)) as reread:
        assert reread.getexif().get(0x0112) is None


def test_transparency_stays_png_and_big_images_shrink() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (5000, 100), (0, 0, 0, 0)).save(out, "PNG")
    encoded = reencode(out.getvalue())
    assert encoded.content_type == "image/png" and encoded.width == MAX_SIDE


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"<svg onload=alert(1)>", BadRequest, "not an image"),
        (b"GIF89a" + b"\x00" * 10, BadRequest, "not an image"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), PayloadTooLarge, "at most 8 MB"),
    ],
)
def test_what_is_not_a_readable_image_is_refused(
    data: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        reencode(data)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels, a few KB on disk
    assert len(out.getvalue()) < 100_000
    with pytest.raises(BadRequest, match="too many pixels"):
        reencode(out.getvalue())
