"""The deployment examples let through what the app accepts: an upload the app allows must not
be refused by the proxy in front of it."""

from __future__ import annotations

import re
from pathlib import Path

from fedihub.media.images import MAX_UPLOAD_BYTES

DEPLOY = Path(__file__).parents[2] / "deploy"
# What the app itself allows on a request (fedihub/app.py: client_max_size): an image and the
# rest of the form it comes in.
FORM_OVERHEAD = 65_536


def nginx_bytes(size: str) -> int:
    """nginx sizes: bytes, or k/m/g suffixes that mean KiB, MiB, GiB."""
    match = re.fullmatch(r"(\d+)([kmg]?)", size, flags=re.I)
    assert match, size
    number, unit = match.groups()
    return int(number) * 1024 ** " kmg".index(unit.lower() or " ")


def caddy_bytes(size: str) -> int:
    """Caddy's (go-humanize) sizes: KB, MB are powers of 1000; KiB, MiB powers of 1024."""
    match = re.fullmatch(r"(\d+)\s*([KMG]i?)?B?", size, flags=re.I)
    assert match, size
    number, unit = match.groups()
    if not unit:
        return int(number)
    base = 1024 if unit.lower().endswith("i") else 1000
    return int(number) * base ** ("kmg".index(unit[0].lower()) + 1)


def test_nginx_lets_a_full_size_upload_through() -> None:
    config = (DEPLOY / "nginx.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\S+?)\s*;", config, flags=re.M)
    assert sizes, "deploy/nginx.conf sets no client_max_body_size (nginx's default is 1 MB)"
    assert all(nginx_bytes(size) >= MAX_UPLOAD_BYTES + FORM_OVERHEAD for size in sizes), sizes


def test_caddy_lets_a_full_size_upload_through() -> None:
    config = (DEPLOY / "Caddyfile").read_text()
    sizes = re.findall(r"^\s*max_size\s+(\S+)\s*$", config, flags=re.M)
    assert all(caddy_bytes(size) >= MAX_UPLOAD_BYTES + FORM_OVERHEAD for size in sizes), sizes


def test_the_size_readers_know_their_units() -> None:
    assert nginx_bytes("2m") == 2 * 1024 * 1024 and nginx_bytes("512") == 512
    assert nginx_bytes("9M") == 9 * 1024 * 1024 and nginx_bytes("1g") == 1024**3
    assert caddy_bytes("2MB") == 2_000_000 and caddy_bytes("9MiB") == 9 * 1024 * 1024
