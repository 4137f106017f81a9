"""Domains, configuration files, and the rules for where we may send requests."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fedihub.client import GuardedResolver, address_allowed, check_url, is_activity_json
from fedihub.config import load_config, validate_domain, write_config
from fedihub.errors import ConfigError, FetchError
from fedihub.transfer import switch_to


@pytest.mark.parametrize("domain", ["hub.example.org", "HUB.example.org.", "example.org:8443"])
def test_valid_domains(domain: str) -> None:
    assert validate_domain(domain, insecure_http=False) == domain.lower().rstrip(".")


@pytest.mark.parametrize("domain", ["", "a b", "https://x.org", "x.org/path", "x..org", "x.org:0",
                                    "x.org:99999", "user@x.org"])  # fmt: skip
def test_bad_domains_are_refused(domain: str) -> None:
    with pytest.raises(ConfigError):
        validate_domain(domain, insecure_http=False)


@pytest.mark.parametrize("domain", ["localhost:8080", "127.0.0.1:9000", "[::1]:8080"])
def test_insecure_http_allowed_only_on_loopback(domain: str) -> None:
    assert validate_domain(domain, insecure_http=True)


def test_insecure_http_refused_for_a_public_domain() -> None:
    with pytest.raises(ConfigError, match="insecure-http"):
        validate_domain("hub.example.org", insecure_http=True)


def test_config_round_trip_and_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, "localhost:8080", True)
    monkeypatch.setenv("FEDIHUB_DELIVERY_PER_HOST", "3")
    config = load_config(tmp_path)
    assert config.base_url == "http://localhost:8080" and config.delivery_per_host == 3


def test_config_holding_the_database_password_is_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    url = "postgresql://fedihub:SECRET@db/fedihub"
    old_umask = os.umask(0o022)
    try:
        write_config(tmp_path, "hub.example.org", False, url)  # `init --database`
        assert stat.S_IMODE((tmp_path / "config.toml").stat().st_mode) == 0o600
        write_config(tmp_path, "hub.example.org", False)
        (tmp_path / "config.toml").chmod(0o644)  # an older SQLite instance's, before migrate-db
        switch_to(tmp_path, url)
        assert stat.S_IMODE((tmp_path / "config.toml").stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
    assert load_config(tmp_path).database == url
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary file left


def test_unknown_setting_and_missing_dir_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a fedihub data directory"):
        load_config(tmp_path)
    (tmp_path / "config.toml").write_text('domain = "x.org"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_config(tmp_path)
    (tmp_path / "config.toml").write_text("domain = \n")
    with pytest.raises(ConfigError):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("address", "loopback_ok", "allowed"),
    [("93.184.216.34", False, True), ("127.0.0.1", False, False), ("127.0.0.1", True, True),
     ("10.0.0.1", True, False), ("192.168.1.1", False, False), ("169.254.169.254", False, False),
     ("::1", False, False), ("fd00::1", False, False), ("0.0.0.0", False, False)],
)  # fmt: skip
def test_private_addresses_are_never_targets(
    address: str, loopback_ok: bool, allowed: bool
) -> None:
    assert address_allowed(address, loopback_ok) is allowed


async def test_resolver_refuses_a_name_that_points_inside() -> None:
    resolver = GuardedResolver(allow_loopback=False)
    try:
        with pytest.raises(OSError, match="not a public address"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


@pytest.mark.parametrize(
    ("url", "insecure", "ok"),
    [("https://m.example/u", False, True), ("http://m.example/u", False, False),
     ("http://127.0.0.1:8000/u", True, True), ("http://m.example/u", True, False),
     ("ftp://m.example/u", True, False), ("file:///etc/passwd", True, False)],
)  # fmt: skip
def test_only_https_or_loopback_http_in_dev(url: str, insecure: bool, ok: bool) -> None:
    if ok:
        check_url(url, insecure)
    else:
        with pytest.raises(FetchError):
            check_url(url, insecure)


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [("application/activity+json", True), ("application/activity+json; charset=utf-8", True),
     ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
     ("application/ld+json", False), ("application/json", False), ("text/html", False)],
)  # fmt: skip
def test_only_activitypub_content_types_are_accepted(content_type: str, ok: bool) -> None:
    assert is_activity_json(content_type) is ok


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.5:6443/x", "https://169.254.169.254/latest", "https://[::1]/x",
     "https://192.168.1.1/", "https://[fd00::1]/x", "https://0.0.0.0/", "https://[/x",
     "https://host.example:99999/"],
)  # fmt: skip
def test_ip_literals_inside_and_malformed_urls_are_refused(url: str) -> None:
    # IP literals never reach the resolver, so check_url is the guard for them.
    with pytest.raises(FetchError):
        check_url(url, insecure_http=False)
    if "::1" not in url:  # a development instance may reach loopback, never other private ranges
        with pytest.raises(FetchError):
            check_url(url, insecure_http=True)
    check_url("https://93.184.216.34/users/a", insecure_http=False)


# IPv6 addresses that carry an IPv4 address reach that IPv4 address (through a NAT64 gateway, a
# 6to4 or Teredo relay, or the host's own dual stack), so they are judged by it.
EMBEDDING_LOOPBACK = [
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "::ffff:127.0.0.1",
    "::127.0.0.1",
    "::ffff:0:7f00:1",
]  # the last: SIIT (IPv4-translated)
EMBEDDING_PRIVATE = [
    "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::c0a8:101", "2002:c0a8:101::",
    "2002:a00:1::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::10.0.0.1", "::ffff:0:a00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: client 192.0.2.45 (inverted bits)
    "2001:0:a00:1::f7f7:f7f7",  # Teredo: server 10.0.0.1, client 8.8.8.8
    "64:ff9b:1::808:808",  # local-use NAT64: where the IPv4 address sits is the network's choice
]  # fmt: skip
EMBEDDING_PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8",
                    "2001:0:808:808::f7f7:f7f7"]  # fmt: skip


@pytest.mark.parametrize("address", EMBEDDING_LOOPBACK + EMBEDDING_PRIVATE)
def test_ipv6_that_embeds_an_inside_ipv4_is_refused(address: str) -> None:
    assert address_allowed(address, allow_loopback=False) is False
    # A development instance may reach loopback however it is written, nothing else inside.
    assert address_allowed(address, allow_loopback=True) is (address in EMBEDDING_LOOPBACK)
    with pytest.raises(FetchError, match="not a public address"):
        check_url(f"https://[{address}]:8443/x", insecure_http=False)
    if address not in EMBEDDING_LOOPBACK:
        with pytest.raises(FetchError, match="not a public address"):
            check_url(f"https://[{address}]/x", insecure_http=True)


@pytest.mark.parametrize("address", EMBEDDING_PUBLIC)
def test_ipv6_that_embeds_a_public_ipv4_is_allowed(address: str) -> None:
    assert address_allowed(address, allow_loopback=False)
    check_url(f"https://[{address}]:8443/x", insecure_http=False)


def test_ipv6_loopback_and_unspecified_are_not_read_as_ipv4_compatible() -> None:
    assert address_allowed("::1", allow_loopback=True) and not address_allowed("::1", False)
    assert not address_allowed("::", allow_loopback=True)


def test_a_per_address_limit_counts_a_sliding_window_and_stays_bounded() -> None:
    from fedihub.web import throttle

    now = [0.0]
    limit = throttle.PerAddressLimit(3, 60.0, clock=lambda: now[0])
    assert [limit.allow("192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("192.0.2.2")  # addresses are counted apart
    now[0] = 59.0
    assert not limit.allow("192.0.2.1")
    now[0] = 60.5  # the first three uses have left the window
    assert [limit.allow("192.0.2.1") for _ in range(4)] == [True, True, True, False]
    # One host's /64 is one client, however many of its addresses it uses.
    assert [limit.allow(f"2001:db8::{n:x}") for n in range(4)] == [True, True, True, False]
    assert limit.allow("2001:db8:0:1::1")  # the next /64 is someone else
    # Endless addresses: memory stays bounded, the least recently seen are forgotten first.
    for n in range(throttle.MAX_ADDRESSES + 500):
        limit.allow(f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}::1")
    assert len(limit._uses) == throttle.MAX_ADDRESSES
    assert "2001:db8::/64" not in limit._uses
