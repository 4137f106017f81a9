"""@name@host mentions and #hashtags in what people write: found, linked in the HTML, tagged for
the fediverse. Pure. A mention of a hub is how a post is addressed to it (FEP-1b12): the hub's
server then re-shares it. Resolving handles to actors is mentions.py's (WebFinger)."""

from __future__ import annotations

import functools
import re
from html import escape
from typing import Any
from urllib.parse import quote

from fedihub.content import CACHED_HTML_CHARS, html_text
from fedihub.errors import BadRequest

MENTION = re.compile(r"(?<![\w/@])@([a-z0-9_.-]{1,64})@([a-z0-9.-]{1,253}(?::\d{1,5})?)", re.I)
HASHTAG = re.compile(r"(?<![\w&#/])#([^\W_][\w-]{0,62})", re.UNICODE)
MAX_MENTIONS = 20


def find_mentions(text: str) -> list[str]:
    """'@name@host' handles in order of appearance, each once."""
    found = dict.fromkeys(f"@{m.group(1)}@{m.group(2).lower()}" for m in MENTION.finditer(text))
    if len(found) > MAX_MENTIONS:
        raise BadRequest("a post may mention at most %(max)s accounts", max=MAX_MENTIONS)
    return list(found)


def hashtags(html: str) -> list[str]:
    """Lower-case hashtags (without '#') in a post's text, each once."""
    if len(html) <= CACHED_HTML_CHARS:
        return list(_cached_hashtags(html))
    return _hashtags(html)


@functools.lru_cache(maxsize=1024)
def _cached_hashtags(html: str) -> tuple[str, ...]:
    # Every page and feed that shows a post renders its tags: a short post's are kept.
    return tuple(_hashtags(html))


def _hashtags(html: str) -> list[str]:
    found = (m.group(1).lower() for m in HASHTAG.finditer(html_text(html)))
    return list(dict.fromkeys(tag for tag in found if not tag.isdigit()))  # "#1" is no tag


def hashtag_objects(html: str, origin: str) -> list[dict[str, Any]]:
    return [
        {"type": "Hashtag", "name": f"#{tag}", "href": f"{origin}/directory?q=%23{quote(tag)}"}
        for tag in hashtags(html)
    ]


TAG = re.compile(r"(<[^>]*>)")


def link_mentions(html: str, mentions: list[dict[str, Any]]) -> str:
    """Each handle in the text (not in tags or attributes, not inside a link already) becomes
    the link Mastodon writes for a mention."""
    links = {}
    for mention in mentions:
        user = mention["name"].split("@")[1]
        links[mention["name"].lower()] = (
            f'<span class="h-card"><a href="{escape(mention["href"])}" class="u-url mention">'
            f"@<span>{escape(user)}</span></a></span>"
        )
    parts, in_link = TAG.split(html), 0
    for n, part in enumerate(parts):
        if n % 2:  # a tag
            in_link += 1 if part.lower().startswith("<a ") else -1 if part.lower() == "</a>" else 0
        elif not in_link:
            parts[n] = MENTION.sub(lambda m: links.get(m.group(0).lower(), m.group(0)), part)
    return "".join(parts)
