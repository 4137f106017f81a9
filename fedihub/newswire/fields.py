"""A submission's fields read and checked, from the web form (or the CLI) and from a post:
plain text everywhere (shown escaped, never as HTML), links http(s) only, tags as hashtags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from fedihub.errors import BadRequest
from fedihub.newswire.model import Origin, Submission
from fedihub.posts.fieldreaders import parse_language

MAX_HEADLINE = 200
MAX_SUMMARY = 2_000
MAX_SHORT = 200  # hub, place
MAX_LINK = 2_000
MAX_TAGS = 10
MAX_EMAIL = 254
TAG = re.compile(r"^[^\W_][\w-]{0,49}$", re.UNICODE)
EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
# Control characters (but for tabs and line ends) have no place in text people read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    """Text as typed, trimmed, without control characters, with a browser's CR LF line ends
    as LF (so paragraphs split alike everywhere); at most `limit` characters."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if required and not text:
        raise BadRequest("%(field)s: required", field=field)
    if len(text) > limit:
        raise BadRequest("%(field)s: at most %(max)s characters", field=field, max=limit)
    return text


def one_line(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    return " ".join(plain(value, field, limit, required=required).split())


def web_link(value: str | None, field: str = "link") -> str:
    """'' or an http(s) URL with a host. Never fetched: only shown as a link."""
    link = one_line(value, field, MAX_LINK)
    if not link:
        return ""
    try:
        parts = urlsplit(link)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadRequest("%(field)s: expected an http(s) link, not %(url)r", field=field, url=link)
    return link


def tags(value: str | None) -> tuple[str, ...]:
    """'#Housing, rent strike' → ('housing', 'rent', 'strike'): words, lower-case, each once."""
    words = [w.lstrip("#").lower() for w in re.split(r"[\s,;]+", value or "") if w.strip("#")]
    if len(words) > MAX_TAGS:
        raise BadRequest("tags: at most %(max)s", max=MAX_TAGS)
    for word in words:
        if not TAG.match(word):
            raise BadRequest("tags: %(tag)r is not a word (letters, digits, - and _)", tag=word)
    return tuple(dict.fromkeys(words))


def email(value: str | None) -> str:
    address = one_line(value, "contact", MAX_EMAIL)
    if address and not EMAIL.match(address):
        raise BadRequest("contact: %(address)r is not an e-mail address", address=address)
    return address


def read_form(
    values: Mapping[str, str],
    *,
    origin: Origin = "web",
    submitter_uri: str = "",
    source_host: str = "web",
) -> Submission:
    """The web form's (or the CLI's) fields: headline, summary, link, hub, place, language,
    tags, contact. BadRequest names the first field that is wrong."""
    language = one_line(values.get("language"), "language", 35) or "en"
    return Submission(
        origin=origin,
        headline=one_line(values.get("headline"), "headline", MAX_HEADLINE, required=True),
        summary=plain(values.get("summary"), "summary", MAX_SUMMARY),
        link=web_link(values.get("link")),
        hub_name=one_line(values.get("hub"), "hub", MAX_SHORT),
        place=one_line(values.get("place"), "place", MAX_SHORT),
        language=parse_language(language),
        tags=tags(values.get("tags")),
        submitter_uri=submitter_uri,
        source_host=source_host,
        contact_email=email(values.get("contact")),
    )
