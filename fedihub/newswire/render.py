"""The newswire's own Note for an item (a web submission), as followers and pages see it. Pure:
every field is text people typed, escaped here, so nothing in a submission becomes markup."""

from __future__ import annotations

from html import escape
from typing import Any

from fedihub.activitystreams import AS_CONTEXT, PUBLIC, JsonObject, iso
from fedihub.newswire.model import Item


def _tag_link(base_url: str, tag: str) -> str:
    href = escape(f"{base_url}/newswire?tag={tag}")
    return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>'


def item_html(item: Item, base_url: str) -> str:
    """Headline, summary, link, where and from whom, and tags: readable as it stands on
    Mastodon, which shows a Note's content and nothing else of it."""
    parts = [f"<p><strong>{escape(item.headline)}</strong></p>"]
    for paragraph in (p.strip() for p in item.summary.split("\n\n")):
        if paragraph:
            lines = "<br>".join(escape(line) for line in paragraph.split("\n"))
            parts.append(f"<p>{lines}</p>")
    if item.link:
        href = escape(item.link)
        parts.append(f'<p><a href="{href}" rel="nofollow noopener" target="_blank">{href}</a></p>')
    where = " · ".join(escape(x) for x in (item.hub_name, item.place) if x)
    if where:
        parts.append(f"<p>{where}</p>")
    if item.tags:
        parts.append("<p>" + " ".join(_tag_link(base_url, t) for t in item.tags) + "</p>")
    return "".join(parts)


def item_note(item: Item, newswire_uri: str, base_url: str) -> JsonObject:
    """The Note the newswire publishes for a web submission, at the item's own address."""
    content = item_html(item, base_url)
    published = item.published_at or item.submitted_at
    note: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": item.object_uri,
        "type": "Note",
        "attributedTo": newswire_uri,
        "name": item.headline,
        "content": content,
        "contentMap": {item.language: content},
        "url": item.object_uri,
        "published": iso(published),
        "to": [PUBLIC],
        "cc": [f"{newswire_uri}/followers"],
        "tag": [
            {"type": "Hashtag", "name": f"#{t}", "href": f"{base_url}/newswire?tag={t}"}
            for t in item.tags
        ],
    }
    if item.place:
        note["location"] = {"type": "Place", "name": item.place}
    if item.link:
        note["attachment"] = [{"type": "Link", "href": item.link, "mediaType": "text/html"}]
    return note


def tombstone(item: Item, now: float) -> JsonObject:
    return {"id": item.object_uri, "type": "Tombstone", "formerType": "Note", "deleted": iso(now)}
