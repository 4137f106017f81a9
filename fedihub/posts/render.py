"""The ActivityStreams shape every hub post shares, and the lines people read. Pure.

One place knows these shapes: the post's own URL, the Create/Update we federate and the web pages
all render from here. A post is an Article (with a title) or a Note; its kind (fedihub/kinds)
then gives it its own type and properties: an Event, a Question, minutes' decisions.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

from fedihub.activitystreams import PUBLIC, iso
from fedihub.content import html_text
from fedihub.posts.kind import PostKind, ReactionCounts
from fedihub.posts.store import Post
from fedihub.posts.tags import hashtag_objects
from fedihub.words import Words, words_for


def post_uri(hub_uri: str, post_id: int) -> str:
    return f"{hub_uri}/posts/{post_id}"


def list_html(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>" if items else ""


def link_html(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def post_object(
    hub_uri: str,
    post: Post,
    kind: PostKind,
    *,
    series: Post | None = None,
    loaded: object = None,
    by_group: bool = True,
    language: str | None = None,
    reactions: ReactionCounts | None = None,
    reader: Words | None = None,
) -> dict[str, Any]:
    """The object at the post's id. `series` is the call series of an occurrence; `loaded` what
    its kind loaded for it (kind.load: attendance, a tally); `by_group` is False for an account's
    own posts, whose audience is the hub they mention, if any. Text it generates ("Where: …",
    dates, option names) is in the post's language (its own, else `language`, the hub's), which
    `contentMap` names; a page passes its `reader`'s words instead."""
    language = post.fields.get("language") or language
    uri = post_uri(hub_uri, post.id)
    obj: dict[str, Any] = {
        "id": uri,
        "type": "Article" if post.title else "Note",
        "attributedTo": hub_uri,
        "audience": hub_uri,
        "to": [PUBLIC],
        "cc": [f"{hub_uri}/followers"],
        "content": post.content_html,
        "mediaType": "text/html",
        "url": uri,
        "published": iso(post.published_at),
        "sensitive": False,
        "tag": [],
    }
    if post.source_markdown:
        obj["source"] = {"content": post.source_markdown, "mediaType": "text/markdown"}
    if post.title:
        obj["name"] = post.title
    if post.updated_at is not None:
        obj["updated"] = iso(post.updated_at)
    kind.render(obj, post, hub_uri, series, loaded, reader or words_for(language))
    _tag_and_address(obj, post, hub_uri, by_group)
    if language:
        _languages(obj, language)
    images = post.fields.get("attachments") or []
    if images:  # Image attachments with their alt text, before any event Link
        obj["attachment"] = images + obj.get("attachment", [])
    if reactions is not None:  # Mastodon shows these totals for posts from other servers
        obj["likes"] = {"type": "Collection", "totalItems": reactions.likes}
        obj["shares"] = {"type": "Collection", "totalItems": reactions.shares}
    return obj


def _languages(obj: dict[str, Any], language: str) -> None:
    """contentMap (and nameMap, summaryMap): the post's text keyed by its language."""
    for field in ("content", "name", "summary"):
        if isinstance(obj.get(field), str):
            obj[f"{field}Map"] = {language: obj[field]}


def _tag_and_address(obj: dict[str, Any], post: Post, actor_uri: str, by_group: bool) -> None:
    """Hashtags and mentions as tags; mentioned actors copied in; and, for an account's post
    that mentions a hub, that hub as its audience (FEP-1b12)."""
    mentions = post.fields.get("mentions") or []
    parts = urlsplit(actor_uri)
    tags = hashtag_objects(obj["content"], f"{parts.scheme}://{parts.netloc}")
    tags += [{"type": "Mention", "href": m["href"], "name": m["name"]} for m in mentions]
    names = {t["name"] for t in obj["tag"]}
    obj["tag"] = obj["tag"] + [t for t in tags if t["name"] not in names]
    obj["cc"] = obj["cc"] + [m["href"] for m in mentions]
    if not by_group:
        groups = [m["href"] for m in mentions if m.get("actor_type") == "Group"]
        obj.pop("audience")
        if groups:
            obj["audience"] = groups[0]


def tombstone(hub_uri: str, post: Post, kind: PostKind, deleted_at: float) -> dict[str, Any]:
    return {
        "id": post_uri(hub_uri, post.id),
        "type": "Tombstone",
        "formerType": kind.former_type(post) or ("Article" if post.title else "Note"),
        "deleted": iso(deleted_at),
    }


TITLE_CHARS = 80


def fallback_title(html: str) -> str:
    text = " ".join(html_text(html).split())
    if len(text) <= TITLE_CHARS:
        return text or "Untitled"
    cut = text[:TITLE_CHARS]
    # Cut at a word boundary unless the text is one long word (a URL, or a script without spaces).
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def display_title(post: Post, kind: PostKind) -> str:
    """What a feed reader or calendar lists the post as; updates often have no title."""
    return post.title or kind.untitled(post) or fallback_title(post.content_html)
