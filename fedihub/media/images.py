"""Turning an uploaded file into an image we can serve. Pure (bytes in, bytes out; Pillow).

Every upload is decoded and written anew: what we serve is pixels we produced, never the bytes
someone sent, so no EXIF (camera, GPS position) or smuggled payload survives. Orientation from
EXIF is applied first, so photos stay upright without it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from fedihub.errors import BadRequest, PayloadTooLarge

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decompression bombs are refused before they are decoded
MAX_SIDE = 2048
ACCEPTED = {"JPEG", "PNG", "GIF", "WEBP"}


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def reencode(upload: bytes) -> Encoded:
    if len(upload) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            "an image may be at most %(mb)s MB", mb=MAX_UPLOAD_BYTES // 1024 // 1024
        )
    # Pillow (2 MB) loads with the first upload, not with every process that serves pages.
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow only warns of a bomb; here it is refused
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(upload))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
        raise BadRequest("the image has too many pixels (40 megapixels at most)") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise BadRequest("that file is not an image we can read") from e
    try:
        with probe:
            if probe.format not in ACCEPTED:
                raise BadRequest("upload a JPEG, PNG, GIF or WebP image")
            if probe.width * probe.height > MAX_PIXELS:
                raise BadRequest("the image has too many pixels (40 megapixels at most)")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as e:
        raise BadRequest("that file is not an image we can read") from e
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    keeps_transparency = image.mode in ("RGBA", "LA") or (
        image.mode == "P" and "transparency" in image.info
    )
    out = io.BytesIO()
    if keeps_transparency:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        return Encoded(out.getvalue(), "image/png", "png", image.width, image.height)
    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return Encoded(out.getvalue(), "image/jpeg", "jpg", image.width, image.height)
