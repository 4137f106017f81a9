"""What anyone may fetch (a hub's dashboard, a post's page, feeds, ActivityPub documents) is
rendered once and served from memory until a write changes content, so a post boosted across
the fediverse (every server fetches it and builds its own link preview) costs one render, not
thousands. Every answer also gets an ETag for conditional requests (304) and, where it is worth
it, gzip.

Which handlers: those marked `@shared`, whose answer depends only on the address, the reader's
language and whether ActivityPub JSON is asked for. Which requests: GET and HEAD without a
session cookie (a signed-in organiser sees their own buttons and is never served a shared
copy); only a 200 that sets no cookie is kept.

When an entry is dropped: when the database's `content_version` has moved since it was rendered
(fedihub/changes.py: any commit that wrote a table some page shows, in this process or, once
its notice arrives, in another), and at the latest `MAX_AGE_S` after it was rendered, because
pages also change with the time alone (an event moves from "coming" to "past"). The cache holds
at most `page_cache_bytes` (config), dropping the least recently used first.

A stampede on one address renders it once: requests arriving while it renders wait for that
render (`_rendering`) instead of each starting their own."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, TypeVar

from aiohttp import web
from multidict import CIMultiDict

from fedihub.activitystreams import wants_activity_json
from fedihub.web.auth import COOKIE as SESSION_COOKIE
from fedihub.web.i18n import language_of

MAX_AGE_S = 60.0
# Longer addresses (made-up queries) are answered but not kept.
MAX_KEPT_ADDRESS = 512
# What an entry costs beyond the bytes it holds (the objects around them), roughly.
ENTRY_OVERHEAD = 400
# Smaller answers go as they are: gzip's header and the CPU are not worth it.
COMPRESS_FROM_BYTES = 1024
_COMPRESSIBLE = (
    "text/", "application/activity+json", "application/ld+json", "application/json",
    "application/atom+xml", "application/rss+xml", "application/xml", "application/jrd+json",
    "application/xrd+xml",
)  # fmt: skip
# Set per answer by aiohttp, or by this module for the copy it sends.
# Compressed copies of answers not kept whole (by ETag), so a calendar fetched again is not
# compressed again: whatever their number, at most this much memory.
SQUEEZED_BYTES = 4 * 1_048_576
SQUEEZED_ENTRIES = 256
_NOT_KEPT = frozenset({"content-length", "content-encoding", "date", "server", "etag"})
_SHARED = "_fedihub_shared"

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[web.StreamResponse]])
Key = tuple[str, str]


def shared(handler: Handler) -> Handler:
    """Marks a GET handler whose answer is the same for every visitor without a session."""
    setattr(handler, _SHARED, True)
    return handler


@dataclass(frozen=True, slots=True)
class Entry:
    version: int  # the database's content_version when the render began
    rendered_at: float  # monotonic
    last_modified: datetime | None
    etag: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes | None  # None: not worth compressing

    size: int  # what it holds in memory: body, compressed body, headers, address


class PageCache:
    def __init__(self, max_bytes: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self._monotonic = monotonic
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._rendering: dict[tuple[Key, int], asyncio.Future[Entry | None]] = {}
        self._squeezed: OrderedDict[str, bytes | None] = OrderedDict()
        self._second = datetime.min.replace(tzinfo=UTC)
        self._rendered_this_second: set[Key] = set()
        self._squeezed_bytes = 0
        self.hits = 0  # counted for /metrics-style checks and the tests
        self.renders = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Key, version: int) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.version != version or self._monotonic() - entry.rendered_at > MAX_AGE_S:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry) -> None:
        if entry.size > self.max_bytes // 4 or len(key[0]) > MAX_KEPT_ADDRESS:
            return  # one huge page must not empty the cache, nor made-up addresses fill it
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        self._bytes -= self._entries.pop(key).size

    def squeezed(self, etag: str, body: bytes, content_type: str) -> bytes | None:
        """`body` gzipped (None: not worth it), remembered under `etag` (with the address, as
        the middleware passes it) for the next time."""
        if etag in self._squeezed:
            self._squeezed.move_to_end(etag)
            return self._squeezed[etag]
        smaller = _compressed(body, content_type)
        self._squeezed[etag] = smaller
        self._squeezed_bytes += len(smaller or b"")
        while self._squeezed_bytes > SQUEEZED_BYTES or len(self._squeezed) > SQUEEZED_ENTRIES:
            self._squeezed_bytes -= len(self._squeezed.popitem(last=False)[1] or b"")
        return smaller

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    async def fetch(
        self, key: Key, version: int, render: Callable[[], Awaitable[web.StreamResponse]]
    ) -> Entry | web.StreamResponse:
        """The entry for `key` at `version`, rendering it if need be: only the first request
        renders, the others arriving meanwhile wait for its entry. What cannot be kept (an
        error, a redirect) is returned as the response to the request that rendered it."""
        if (entry := self.get(key, version)) is not None:
            self.hits += 1
            return entry
        under_way = self._rendering.get((key, version))
        if under_way is not None:
            entry = await asyncio.shield(under_way)
            if entry is not None:
                return entry
            return await render()  # the first render was not kept: render this one alike
        waiting: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self._rendering[(key, version)] = waiting
        entry = None
        self.renders += 1
        try:
            response = await render()
            entry = self._entry_of(key, response, version)
            if entry is not None:
                self.put(key, entry)
                return entry
            return response
        finally:
            del self._rendering[(key, version)]
            waiting.set_result(entry)

    def _entry_of(self, key: Key, response: web.StreamResponse, version: int) -> Entry | None:
        if (
            not isinstance(response, web.Response)
            or response.status != 200
            or not isinstance(response.body, bytes)
            or "Set-Cookie" in response.headers
            or "Content-Encoding" in response.headers
        ):
            return None
        body = response.body
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_KEPT]
        if "Cache-Control" not in response.headers:
            # Anyone may keep a copy, but asks us again (a 304 when nothing changed).
            headers.append(("Cache-Control", "public, no-cache"))
        gzipped = _compressed(body, response.headers.get("Content-Type", ""))
        if gzipped is not None:
            headers = _vary_on_encoding(headers)
        size = (
            len(body) + len(gzipped or b"") + sum(len(k) + len(v) for k, v in headers)
            + len(key[0]) + len(key[1]) + ENTRY_OVERHEAD
        )  # fmt: skip
        return Entry(
            version=version, rendered_at=self._monotonic(), last_modified=self._modified(key),
            etag=etag_of(body), headers=tuple(headers), body=body, gzipped=gzipped, size=size,
        )  # fmt: skip

    def _modified(self, key: Key) -> datetime | None:
        """The Last-Modified of a new render: now, to the second; but none for a page rendered
        twice within one second, since its content may have changed in between while the date
        could not (If-Modified-Since would then answer 304 for a changed page; the ETag
        still validates it)."""
        now = datetime.now(UTC).replace(microsecond=0)
        if now != self._second:
            self._second, self._rendered_this_second = now, set()
        if key in self._rendered_this_second:
            return None
        self._rendered_this_second.add(key)
        return now


def etag_of(body: bytes) -> str:
    # Weak: the same validator names the plain and the gzipped copy.
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def _compressed(body: bytes, content_type: str) -> bytes | None:
    if len(body) < COMPRESS_FROM_BYTES or not content_type.startswith(_COMPRESSIBLE):
        return None
    smaller = gzip.compress(body, compresslevel=6, mtime=0)
    return smaller if len(smaller) < len(body) * 0.9 else None


def _vary_on_encoding(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    varies = [v for k, v in headers if k.lower() == "vary"]
    rest = [(k, v) for k, v in headers if k.lower() != "vary"]
    names = [n.strip() for v in varies for n in v.split(",") if n.strip()]
    if "accept-encoding" not in (n.lower() for n in names):
        names.append("Accept-Encoding")
    return [*rest, ("Vary", ", ".join(names))]


def _accepts_gzip(request: web.Request) -> bool:
    accepted = request.headers.get("Accept-Encoding", "").lower()
    if "gzip" not in accepted:
        return False
    for part in accepted.split(","):  # "gzip;q=0" refuses it
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return True


def _not_modified(request: web.Request, etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is current (RFC 9110 13.1.2, 13.1.3: If-None-Match, when
    sent, decides alone; the comparison is weak)."""
    if (matches := request.headers.get("If-None-Match")) is not None:
        if matches.strip() == "*":
            return True
        ours = etag.removeprefix("W/")
        return any(tag.strip().removeprefix("W/") == ours for tag in matches.split(","))
    since = request.headers.get("If-Modified-Since")
    if since is None or last_modified is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # not a date: answer in full
    if when.tzinfo is None:
        return False
    return last_modified <= when


def _answer(request: web.Request, entry: Entry) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict(entry.headers)
    headers["ETag"] = entry.etag
    if entry.last_modified is not None:
        headers["Last-Modified"] = format_datetime(entry.last_modified, usegmt=True)
    if _not_modified(request, entry.etag, entry.last_modified):
        return _not_modified_response(headers)
    if entry.gzipped is not None and _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=entry.gzipped, headers=headers)
    return web.Response(body=entry.body, headers=headers)


def _not_modified_response(headers: CIMultiDict[str]) -> web.Response:
    kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return web.Response(status=304, headers=kept)


def _variant(request: web.Request) -> str:
    """What, besides the address, a shared handler's answer depends on. ActivityPub documents
    are the same for everyone; a handler may answer other JSON for an Accept naming it, each its
    own way, so such an Accept is kept whole; anything else is a page in the reader's language."""
    accept = request.headers.get("Accept", "")
    if wants_activity_json(accept):
        return "activity"
    language = language_of(request)
    if "json" in accept.lower():
        return f"{language} {accept[:200]}"
    return language


def _finish(
    request: web.Request, response: web.StreamResponse, cache: PageCache
) -> web.StreamResponse:
    """An answer not taken from the cache still gets its ETag, its 304 and its gzip (the same
    body compressed again is taken from `cache.squeezed`: calendars and an organiser's own
    pages come back alike many times)."""
    if (
        request.method not in ("GET", "HEAD")
        or not isinstance(response, web.Response)
        or response.status != 200
        or not isinstance(response.body, bytes)
        or "Content-Encoding" in response.headers
    ):
        return response
    body = response.body
    # A handler's own validator names its body (a calendar's: the data it was made from), as
    # HTTP has it; hashing 180 KB again on every request cost a calendar 13 % of its rate.
    tag = response.headers.get("ETag") or etag_of(body)
    response.headers["ETag"] = tag
    if _not_modified(request, tag, None):
        headers: CIMultiDict[str] = CIMultiDict(response.headers)
        return _not_modified_response(headers)
    # Validators are the resource's own: the same tag at another address is another body.
    remembered_as = f"{request.path_qs} {tag}"
    if _accepts_gzip(request) and (
        smaller := cache.squeezed(remembered_as, body, response.content_type)
    ):
        response.body = smaller
        response.headers["Content-Encoding"] = "gzip"
        for name, value in _vary_on_encoding([("Vary", response.headers.get("Vary", ""))]):
            response.headers[name] = value
    return response


def middleware(cache_of: Callable[[web.Request], tuple[PageCache, int]]) -> Any:
    """The outermost middleware: a hit answers before any other runs. `cache_of` gives the
    app's cache and the database's content_version."""

    @web.middleware
    async def page_cache(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            response: web.StreamResponse = await handler(request)
            return response
        cache, version = cache_of(request)
        if (
            not cache.enabled
            or not getattr(request.match_info.handler, _SHARED, False)
            or SESSION_COOKIE in request.cookies
        ):
            return _finish(request, await handler(request), cache)
        found = await cache.fetch((request.path_qs, _variant(request)), version,
                                  lambda: handler(request))  # fmt: skip
        if isinstance(found, Entry):
            return _answer(request, found)
        return _finish(request, found, cache)

    return page_cache
