"""The only outbound HTTP in fedihub: signed GET and POST, SSRF guard, timeouts, size caps.

A production instance talks HTTPS only and refuses private, loopback and link-local addresses;
the check happens in the resolver, so we connect to exactly the address we checked (no DNS
rebinding). A development instance (`insecure_http`, loopback domain) may also reach loopback
peers over plain HTTP. Signatures are built with bovine's helpers; the RSA work runs in a small
thread pool because `cryptography` releases the GIL while signing, which roughly doubles the
signatures per second on two cores compared with signing on the event loop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from cryptography.hazmat.primitives.asymmetric import rsa

from fedihub import __version__
from fedihub.activitystreams import (
    ACTIVITY_JSON,
    LD_JSON_AS,
    first_non_web_link,
    host_of,
    strict_json,
)
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.config import Config, is_loopback_host
from fedihub.errors import FetchError
from fedihub.signer import SigningFailed, SigningProcesses

if TYPE_CHECKING:
    from bovine.crypto.http_signature import HttpSignature
    from bovine.crypto.types import CryptographicSecret

# bovine is imported where a request is first signed, not here (see fedihub/signatures.py).

log = logging.getLogger(__name__)

MAX_FETCH_BYTES = 1_048_576
MAX_REDIRECTS = 3
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON_AS}"
# The signing processes start when this many deliveries are being signed on threads at once
# (a fan-out), in the background while the threads go on signing, and then stay: a server
# that only answers now and then, a command, or a short test never starts them (each costs
# ~28 MB and ~0.2 s to start).
SIGNING_PROCESSES_FROM = 16


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291), still routed by some
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT (RFC 2765): ::ffff:0:a.b.c.d


def address_allowed(address: str, allow_loopback: bool) -> bool:
    """Whether a request may go to `address`: a public one, or loopback on a development
    instance. An IPv6 address that carries an IPv4 address (NAT64, 6to4, Teredo, mapped,
    compatible) reaches that IPv4 address, so it is judged by it: 64:ff9b::7f00:1 is 127.0.0.1
    to a NAT64 gateway, and Python's `is_global` calls it public."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL_USE:
            # Where the IPv4 address sits depends on the prefix length each network picks
            # (RFC 6052: /48 to /96), so nothing here can say which address it reaches; and
            # IANA lists the prefix as not globally reachable.
            return False
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(_ip_allowed(v4, allow_loopback) for v4 in embedded)
    return _ip_allowed(ip, allow_loopback)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to, if it is one of the forms that carry them."""
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return (ip.ipv4_mapped,)
    if ip.teredo is not None:  # 2001::/32: (server, client), the client's bits un-inverted
        return ip.teredo
    if ip.sixtofour is not None:  # 2002:aabb:ccdd::/48
        return (ip.sixtofour,)
    if ip in NAT64 or ip in IPV4_TRANSLATED or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        # (IPv4-compatible: not :: or ::1, which are IPv6's own.)
        return (ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF),)
    return ()


def _ip_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global


class GuardedResolver(AbstractResolver):
    """Resolves names, then drops every address a server on the public internet must not reach."""

    def __init__(self, allow_loopback: bool) -> None:
        # The system resolver (getaddrinfo: /etc/hosts, nsswitch), never c-ares: aiohttp picks
        # c-ares whenever aiodns happens to be installed, and it ignores the hosts file.
        self._inner = ThreadedResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if address_allowed(r["host"], self._allow_loopback)]
        if not allowed:
            raise OSError(f"refusing to connect to {host}: not a public address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, insecure_http: bool, allow_plain_http: bool = False) -> None:
    """Raises FetchError unless we may send a request to `url`. Names are checked when resolved
    (GuardedResolver); IP literals never reach a resolver, so they are checked here.
    `allow_plain_http` lets http through (websites' feeds), never to private addresses."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as e:
        raise FetchError("refusing to fetch %(url)r: malformed URL", url=url) from e
    allowed_scheme = parts.scheme == "https" or (
        parts.scheme == "http" and (allow_plain_http or (insecure_http and is_loopback_host(host)))
    )
    if not allowed_scheme or not host:
        raise FetchError("refusing to fetch %(url)r: only https URLs are allowed", url=url)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: the resolver checks every address it resolves to
    if not address_allowed(host, allow_loopback=insecure_http):
        raise FetchError("refusing to fetch %(url)r: not a public address", url=url)


def _host_and_target(url: str, method: str) -> tuple[str, str, str]:
    """bovine's build_signature arguments: host, method, and path with its query string."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return parts.netloc, method, target


def is_activity_json(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == ACTIVITY_JSON:
        return True
    return media == "application/ld+json" and "activitystreams" in params


@dataclass(frozen=True)
class FeedResponse:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    url: str


SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
FEED_ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class PostResult:
    status: int  # 0: no HTTP answer
    retry_after: str | None
    error: str | None = None
    permanent: bool = False  # we refused to send it at all: retrying cannot help


class HttpClient:
    def __init__(
        self, config: Config, session: aiohttp.ClientSession, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.config = config
        self.session = session
        self.clock = clock  # what the signed Date header says
        self.user_agent = f"fedihub/{__version__} (+{config.base_url}/)"
        self._signing_pool = ThreadPoolExecutor(
            max_workers=config.signing_threads, thread_name_prefix="sign"
        )
        # Deliveries are signed in child processes (fedihub/signer.py), on every core, once a
        # burst has needed them (SIGNING_PROCESSES_FROM).
        self._signing_processes = (
            SigningProcesses(config.signing_processes) if config.signing_processes > 0 else None
        )
        self._signing_on_threads = 0  # signatures under way on the threads, for the burst test
        # A fan-out posts one body to every inbox: its digest is computed once.
        self._last_digest: tuple[bytes, str] = (b"", "")

    @classmethod
    def create(cls, config: Config, clock: Clock = SYSTEM_CLOCK) -> HttpClient:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_loopback=config.insecure_http),
            limit=config.delivery_concurrency + 16,
            limit_per_host=0,
            ttl_dns_cache=300,
        )
        # sock_connect, not connect: waiting for a free pooled connection is not the host's fault.
        timeout = aiohttp.ClientTimeout(total=config.fetch_timeout_s, sock_connect=5, sock_read=10)
        return cls(config, aiohttp.ClientSession(connector=connector, timeout=timeout), clock)

    async def close(self) -> None:
        await self.session.close()
        self._signing_pool.shutdown(wait=False)
        if self._signing_processes is not None:
            await self._signing_processes.close()

    async def _sign(self, secret: CryptographicSecret, helper: HttpSignature) -> str:
        loop = asyncio.get_running_loop()
        signature: str = await loop.run_in_executor(
            self._signing_pool, helper.sign_for_http_draft, secret
        )
        return signature

    def _signing_helper(self, url: str, method: str, *fields: tuple[str, str]) -> HttpSignature:
        """bovine's helper over (request-target), host, date and `fields`, in that order."""
        from bovine.crypto.http_signature import build_signature

        # bovine leaves build_signature and with_field unannotated; with_field adds in place.
        helper: HttpSignature = build_signature(*_host_and_target(url, method))  # type: ignore[no-untyped-call]
        for name, value in (("date", formatdate(self.clock.now(), usegmt=True)), *fields):
            helper.with_field(name, value)  # type: ignore[no-untyped-call]
        return helper

    async def _signed_headers(
        self, secret: CryptographicSecret, helper: HttpSignature
    ) -> dict[str, str]:
        signature = await self._sign(secret, helper)
        headers: dict[str, str] = helper.headers
        return {**headers, "signature": signature, "user-agent": self.user_agent}

    async def signed_headers_for_get(self, secret: CryptographicSecret, url: str) -> dict[str, str]:
        return await self._signed_headers(
            secret, self._signing_helper(url, "get", ("accept", ACCEPT))
        )

    async def signed_headers_for_post(
        self, secret: CryptographicSecret, url: str, body: bytes
    ) -> dict[str, str]:
        """As Mastodon expects: (request-target) host date digest content-type."""
        from bovine.crypto.helper import content_digest_sha256

        helper = self._signing_helper(
            url,
            "post",
            ("digest", content_digest_sha256(body, prefix="SHA-256")),
            ("content-type", ACTIVITY_JSON),
        )
        return await self._signed_headers(secret, helper)

    async def _signed_post_headers(
        self, secret: CryptographicSecret, url: str, body: bytes
    ) -> dict[str, str]:
        """`signed_headers_for_post`, signed in a signing process when there are some."""
        signers = self._signing_processes
        if (
            signers is None
            or not isinstance(secret.private_key, rsa.RSAPrivateKey)
            or not signers.started
        ):
            if signers is not None and self._signing_on_threads >= SIGNING_PROCESSES_FROM:
                signers.start_soon()  # a burst: the threads sign until the processes are up
            self._signing_on_threads += 1
            try:
                return await self.signed_headers_for_post(secret, url, body)
            finally:
                self._signing_on_threads -= 1
        from bovine.crypto.helper import content_digest_sha256

        last_body, digest = self._last_digest
        if body is not last_body:
            digest = content_digest_sha256(body, prefix="SHA-256")
            self._last_digest = (body, digest)
        helper = self._signing_helper(
            url, "post", ("digest", digest), ("content-type", ACTIVITY_JSON)
        )
        message: str = helper.build_message()  # type: ignore[no-untyped-call]
        try:
            signed = await signers.sign(secret.private_key, message.encode())
        except OSError:  # a child could not be started again: this one on a thread
            return await self.signed_headers_for_post(secret, url, body)
        # As bovine's sign_for_http_draft writes it.
        names = " ".join(name for name, _ in helper.fields)
        signature = (
            f'keyId="{secret.key_id}",algorithm="rsa-sha256",headers="{names}",signature="{signed}"'
        )
        headers: dict[str, str] = helper.headers
        return {**headers, "signature": signature, "user-agent": self.user_agent}

    async def fetch_json(self, url: str, secret: CryptographicSecret) -> dict[str, Any]:
        """Signed GET of an ActivityPub document; its `id` must be the URL it was served from."""
        document, final_url = await self._get_document(url, secret)
        if document.get("id") != final_url:
            # CVE-2024-23832: trust a document only at its own id.
            claimed = document.get("id")
            if not isinstance(claimed, str) or host_of(claimed) != host_of(final_url):
                raise FetchError(
                    "%(url)s: document id %(claimed)r does not match its URL",
                    url=url,
                    claimed=claimed,
                )
            document, final_url = await self._get_document(claimed, secret)
            if document.get("id") != final_url:
                raise FetchError("%(url)s: document id does not match its URL", url=url)
        if (field := first_non_web_link(document)) is not None:
            # Pages link to what we fetch and workers fetch its links: never a javascript: URL.
            raise FetchError("%(url)s: %(field)s is not an http(s) link", url=url, field=field)
        return document

    async def _get_document(
        self, url: str, secret: CryptographicSecret
    ) -> tuple[dict[str, Any], str]:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, self.config.insecure_http)
            headers = await self.signed_headers_for_get(secret, url)
            try:
                async with self.session.get(url, headers=headers, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        url = str(resp.url.join(yarl.URL(resp.headers["location"])))
                        continue
                    if resp.status == 410:
                        raise FetchError("%(url)s: gone (410)", url=url)
                    if resp.status != 200:
                        raise FetchError("%(url)s: HTTP %(status)s", url=url, status=resp.status)
                    if not is_activity_json(resp.headers.get("content-type", "")):
                        raise FetchError("%(url)s: not an ActivityPub document", url=url)
                    body = await read_capped(resp, MAX_FETCH_BYTES)
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as e:
                raise FetchError(
                    "%(url)s: %(error)s: %(reason)s", url=url, error=type(e).__name__, reason=str(e)
                ) from e
            try:
                document = strict_json(body)
            except (ValueError, RecursionError) as e:
                raise FetchError("%(url)s: invalid JSON", url=url) from e
            if not isinstance(document, dict):
                raise FetchError("%(url)s: not a JSON object", url=url)
            return document, url
        raise FetchError("%(url)s: too many redirects", url=url)

    async def post_signed(self, url: str, body: bytes, secret: CryptographicSecret) -> PostResult:
        try:
            check_url(url, self.config.insecure_http)
        except FetchError as e:
            return PostResult(status=0, retry_after=None, error=e.message, permanent=True)
        try:
            headers = await self._signed_post_headers(secret, url, body)
        except SigningFailed as e:
            return PostResult(status=0, retry_after=None, error=f"SigningFailed: {e}")
        try:
            async with self.session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                await resp.content.read(65_536)  # drain a little so the connection can be reused
                return PostResult(status=resp.status, retry_after=resp.headers.get("retry-after"))
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            return PostResult(status=0, retry_after=None, error=f"{type(e).__name__}: {e}")

    async def get_feed(
        self, url: str, etag: str | None, last_modified: str | None, limit: int
    ) -> FeedResponse:
        """A website's RSS or Atom feed, politely: a conditional GET (ETag, Last-Modified),
        redirects followed and checked, the body capped (a feed that never ends is cut off)."""
        headers = {"user-agent": self.user_agent, "accept": FEED_ACCEPT}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, self.config.insecure_http, allow_plain_http=True)
            try:
                async with self.session.get(url, headers=headers, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        url = str(resp.url.join(yarl.URL(resp.headers["location"])))
                        continue
                    body = await read_capped(resp, limit) if resp.status == 200 else b""
                    return FeedResponse(resp.status, body, resp.headers.get("etag"),
                                        resp.headers.get("last-modified"), url)  # fmt: skip
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as e:
                raise FetchError(
                    "%(url)s: %(error)s: %(reason)s", url=url, error=type(e).__name__, reason=str(e)
                ) from e
        raise FetchError("%(url)s: too many redirects", url=url)

    async def webfinger(self, username: str, domain: str) -> str:
        """The actor id that `acct:username@domain` names."""
        for link in await self._webfinger_links(username, domain):
            href = link.get("href")
            if (
                link.get("rel") == "self"
                and is_activity_json(str(link.get("type", "")))
                and isinstance(href, str)
                and self._web_url(href)
            ):
                return href
        raise FetchError(
            "@%(username)s@%(domain)s: WebFinger names no ActivityPub actor",
            username=username,
            domain=domain,
        )

    async def subscribe_template(self, username: str, domain: str) -> str:
        """Where `username@domain`'s server lets them follow someone (a `{uri}` template)."""
        for link in await self._webfinger_links(username, domain):
            template = link.get("template")
            if link.get("rel") != SUBSCRIBE_REL or not isinstance(template, str):
                continue
            # Never send a visitor to a javascript: (or any non-web) address.
            if self._web_url(template):
                return template
        raise FetchError(
            "@%(username)s@%(domain)s: that server offers no remote follow",
            username=username,
            domain=domain,
        )

    def _web_url(self, url: str) -> bool:
        """An https URL with a host (http too on a development instance): what WebFinger may
        send us to, or send a visitor to."""
        try:
            parts = urlsplit(url)
        except ValueError:  # "https://[::1/" and the like
            return False
        schemes = ("https", "http") if self.config.insecure_http else ("https",)
        return parts.scheme in schemes and bool(parts.netloc) and url.startswith(parts.scheme)

    async def _webfinger_links(self, username: str, domain: str) -> list[dict[str, Any]]:
        scheme = (
            "http"
            if self.config.insecure_http and is_loopback_host(domain.split(":")[0])
            else "https"
        )
        url = f"{scheme}://{domain}/.well-known/webfinger"
        check_url(url, self.config.insecure_http)
        params = {"resource": f"acct:{username}@{domain}"}
        try:
            async with self.session.get(
                url,
                params=params,
                headers={"accept": "application/jrd+json", "user-agent": self.user_agent},
                allow_redirects=False,
            ) as resp:
                if resp.status != 200:
                    raise FetchError(
                        "@%(username)s@%(domain)s: WebFinger answered HTTP %(status)s",
                        username=username,
                        domain=domain,
                        status=resp.status,
                    )
                data = strict_json(await read_capped(resp, 65_536))
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, RecursionError) as e:
            raise FetchError(
                "@%(username)s@%(domain)s: WebFinger failed: %(reason)s",
                username=username,
                domain=domain,
                reason=str(e),
            ) from e
        links = data.get("links", []) if isinstance(data, dict) else []
        return [link for link in links if isinstance(link, dict)] if isinstance(links, list) else []


async def read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(65_536):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                "%(url)s: response larger than %(limit)s bytes", url=str(resp.url), limit=limit
            )
        chunks.append(chunk)
    return b"".join(chunks)
