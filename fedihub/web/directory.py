"""A directory across the federation: this instance's hubs and the groups it has met elsewhere
(followed, re-shared, mentioned), searchable by name and by hashtag, as HTML and as JSON, so
people find related initiatives on other instances."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from aiohttp import web

from fedihub.actors import store as actors
from fedihub.content import html_text, sanitize_html
from fedihub.keys import services_key
from fedihub.posts import store as posts
from fedihub.posts.tags import hashtags
from fedihub.services import Services
from fedihub.web.page_cache import shared
from fedihub.web.respond import html

routes = web.RouteTableDef()
MAX_REMOTE = 500
MAX_QUERY = 100


@dataclass(frozen=True)
class Listing:
    name: str
    handle: str
    url: str
    summary: str  # plain text
    tags: list[str]
    local: bool
    avatar: str | None = None  # our hubs' only: pages take images from this server alone


def matches(listing: Listing, query: str) -> bool:
    """'#tag' finds hubs that use the hashtag; other words search names and descriptions."""
    query = query.strip().lower()
    if not query:
        return True
    if query.startswith("#"):
        return query[1:] in listing.tags
    haystack = f"{listing.name} {listing.handle} {listing.summary}".lower()
    return all(word in haystack for word in query.split())


async def _local(svc: Services) -> list[Listing]:
    found = []
    for hub in await actors.list_actors(svc.db, "group"):
        recent = await posts.latest_posts(svc.db, hub.id, 30)
        tags = hashtags(hub.summary) + [t for p in recent for t in hashtags(p.content_html)]
        found.append(Listing(
            name=hub.name, handle=f"@{hub.username}@{svc.config.domain}",
            url=hub.uri(svc.config.base_url), summary=html_text(hub.summary),
            tags=sorted(set(tags)), local=True,
            avatar=f"{svc.config.base_url}/media/{hub.icon}" if hub.icon else None,
        ))  # fmt: skip
    return found


async def _remote(svc: Services) -> list[Listing]:
    """Groups met elsewhere (followed, re-shared, posting for their members), with the hashtags
    of what we have seen them post. A group that merely signed a request to us is not listed."""
    found = []
    for group in await actors.groups_met(svc.db, MAX_REMOTE):
        document = group.document
        summary = html_text(sanitize_html(str(document.get("summary") or "")))
        tags = hashtags(summary)
        for seen in group.recent:
            content = seen.get("content")
            tags += hashtags(content) if isinstance(content, str) else []
        url = document.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            url = group.uri  # a javascript: link never reaches a page
        found.append(Listing(
            name=str(document.get("name") or group.preferred_username or group.uri)[:200],
            handle=f"@{group.preferred_username}@{group.host}", url=url, summary=summary[:500],
            tags=sorted(set(tags)), local=False,
        ))  # fmt: skip
    return found


async def directory_listings(svc: Services, query: str) -> list[Listing]:
    return [x for x in await _local(svc) + await _remote(svc) if matches(x, query[:MAX_QUERY])]


@routes.get("/directory")
@shared
async def directory(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    query = request.query.get("q", "")
    listings = await directory_listings(svc, query)
    if (
        "application/json" in request.headers.get("Accept", "")
        or request.query.get("format") == "json"
    ):
        return web.json_response({"query": query, "hubs": [asdict(x) for x in listings]})
    return html(request, "directory.html", query=query, listings=listings)
