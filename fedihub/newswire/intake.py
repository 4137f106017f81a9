"""A fediverse post read as a newswire submission: a remote account's post mentioning
@newswire, and one of our hubs' posts sent to the newswire. Both are ActivityStreams objects as
their own server serves them; what is read from them is plain text (the HTML sanitised, then
made text), a link that is only ever shown (never fetched), hashtags, language and place."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from fedihub.activitystreams import host_of, id_of
from fedihub.actors.model import LocalActor
from fedihub.content import html_text, sanitize_html
from fedihub.errors import BadRequest, FedihubError
from fedihub.groups.resharing import is_public
from fedihub.newswire import fields, service
from fedihub.newswire.model import Item, Origin, Submission
from fedihub.posts import federate
from fedihub.posts.fieldreaders import parse_language
from fedihub.posts.store import Post
from fedihub.services import Services

log = logging.getLogger(__name__)

ADDRESS_FIELDS = ("to", "cc")
_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>""", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?¡¿。])\s")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _tags(obj: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [t for t in _listed(obj.get("tag")) if isinstance(t, dict) and t.get("type") == kind]


def mentions(obj: dict[str, Any], newswire_uri: str) -> bool:
    """The object mentions the newswire (a Mention tag, as Mastodon writes it) or addresses it."""
    if any(id_of(t.get("href")) == newswire_uri for t in _tags(obj, "Mention")):
        return True
    return any(id_of(a) == newswire_uri for f in ADDRESS_FIELDS for a in _listed(obj.get(f)))


def is_reply(obj: dict[str, Any]) -> bool:
    return id_of(obj.get("inReplyTo")) is not None


def _text_of(value: Any) -> str:
    return html_text(sanitize_html(value)) if isinstance(value, str) else ""


def _mention_names(obj: dict[str, Any]) -> list[str]:
    """How the post's mentions read in its text: '@newswire@host' and '@newswire'."""
    names: list[str] = []
    for tag in _tags(obj, "Mention"):
        name = tag.get("name")
        if isinstance(name, str) and name.startswith("@"):
            names += [name, "@" + name[1:].split("@", 1)[0]]
    return sorted(set(names), key=len, reverse=True)


def _without_mentions(text: str, names: list[str]) -> str:
    for name in names:
        text = re.sub(rf"(?<![\w@]){re.escape(name)}(?![\w@.-]|\.\w)", "", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _first_line(text: str) -> str:
    first = next((line for line in text.split("\n") if line.strip()), "")
    return _SENTENCE_END.split(first, maxsplit=1)[0].strip()


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _web(url: Any) -> str:
    if not isinstance(url, str) or len(url) > fields.MAX_LINK:
        return ""
    try:
        return fields.web_link(url)
    except BadRequest:
        return ""


def first_link(obj: dict[str, Any], own: tuple[str, ...] = ()) -> str:
    """The first http(s) link in the content that is not a mention, a hashtag, the post itself
    or one of `own` (addresses on this instance); else a Link or Page attachment's."""
    content = obj.get("content")
    post_id = id_of(obj.get("id")) or ""
    for match in _HREF.finditer(sanitize_html(content) if isinstance(content, str) else ""):
        classes = _CLASS.search(match.group(0))
        if classes and {"mention", "hashtag"} & set(classes.group(1).split()):
            continue
        href = _web(match.group(1).replace("&amp;", "&"))
        if href and href != post_id and not any(href.startswith(o) for o in own):
            return href
    for attachment in _listed(obj.get("attachment")):
        if isinstance(attachment, dict) and attachment.get("type") in ("Link", "Page"):
            href = _web(attachment.get("href") or attachment.get("url"))
            if href:
                return href
    return ""


def language_of(obj: dict[str, Any], default: str = "en") -> str:
    content_map = obj.get("contentMap")
    candidates = [*content_map] if isinstance(content_map, dict) else []
    candidates.append(obj.get("language"))
    for value in candidates:
        try:
            return parse_language(value)
        except BadRequest:
            continue
    return default


def _hashtags(obj: dict[str, Any]) -> tuple[str, ...]:
    words = []
    for tag in _tags(obj, "Hashtag"):
        name = tag.get("name")
        word = name.lstrip("#").lower() if isinstance(name, str) else ""
        if fields.TAG.match(word):
            words.append(word)
    return tuple(dict.fromkeys(words))[: fields.MAX_TAGS]


def read_post(
    obj: dict[str, Any],
    *,
    origin: Origin,
    submitter_uri: str,
    own: tuple[str, ...] = (),
    hub_name: str = "",
    hub_uri: str = "",
    default_language: str = "en",
) -> Submission:
    """The submission a post makes: headline (its name, else its content warning, else its
    first sentence, without the mentions), summary (its text, plain), link, tags, language,
    place. Pure; BadRequest when nothing in it makes a headline."""
    names = _mention_names(obj)
    text = _without_mentions(_text_of(obj.get("content")), names)
    headline = ""
    for candidate in (obj.get("name"), obj.get("summary")):
        if isinstance(candidate, str):
            headline = _without_mentions(_text_of(candidate), names)
        if headline:
            break
    headline = _clip(headline or _first_line(text), fields.MAX_HEADLINE)
    if not headline:
        raise BadRequest("a post with no text is no news")
    location = obj.get("location")
    place = location.get("name") if isinstance(location, dict) else None
    return Submission(
        origin=origin,
        headline=headline,
        summary=_clip_summary(text),
        link=first_link(obj, own),
        hub_name=_clip(hub_name, fields.MAX_SHORT),
        hub_uri=hub_uri,
        place=_clip(_text_of(place), fields.MAX_SHORT) if isinstance(place, str) else "",
        language=language_of(obj, default_language),
        tags=_hashtags(obj),
        submitter_uri=submitter_uri,
        source_host=host_of(submitter_uri),
        object_uri=id_of(obj.get("id")) or "",
    )


def _clip_summary(text: str) -> str:
    text = fields.plain(text[: fields.MAX_SUMMARY * 2], "summary", fields.MAX_SUMMARY * 2)
    return text if len(text) <= fields.MAX_SUMMARY else text[: fields.MAX_SUMMARY - 1] + "…"


async def mentioned(svc: Services, sender: str, obj: dict[str, Any]) -> str | None:
    """A Create whose object mentions our newswire: a submission (published or queued); None
    when it does not mention it. Replies and non-public posts are turned away (logged)."""
    newswire_uri = service.newswire_uri(svc)
    if not mentions(obj, newswire_uri):
        return None
    if id_of(obj.get("attributedTo")) not in (None, sender):
        return "ignored: a mention of the newswire in another actor's post"
    if is_reply(obj):
        log.info("newswire: a reply from %s mentioning it is no submission", sender)
        return "ignored: a reply mentioning the newswire is no submission"
    if not is_public(obj):
        log.info("newswire: a non-public post from %s mentioning it is no submission", sender)
        return "ignored: a non-public post mentioning the newswire is no submission"
    try:
        submission = read_post(obj, origin="fediverse", submitter_uri=sender,
                               own=(svc.config.base_url + "/",))  # fmt: skip
        item = await service.submit(svc, submission, quiet=await svc.blocked.quiets(sender))
    except FedihubError as e:
        return f"refused newswire submission: {e.message}"
    return f"newswire item {item.id}: {item.state}"


async def submit_post(svc: Services, hub: LocalActor, post: Post) -> Item | None:
    """One of our hubs' posts sent to the newswire by its organiser: published at once (our
    hubs are trusted) as a boost of the post. None, logged, when it cannot be (past the limits,
    or a post with no text): the post itself stands either way."""
    hub_uri = hub.uri(svc.config.base_url)
    obj = await federate.object_for(svc.kinds, svc.db, svc.config.base_url, hub, post)
    try:
        submission = read_post(obj, origin="hub", submitter_uri=hub_uri, hub_name=hub.name,
                               hub_uri=hub_uri, default_language=hub.language)  # fmt: skip
        return await service.submit(svc, replace(submission, source_host=""))
    except FedihubError as e:
        log.warning("newswire: post %s of %s not sent: %s", post.id, hub.username, e.message)
        return None
