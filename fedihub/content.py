"""Markdown to HTML, and HTML sanitised to what Mastodon keeps. Pure."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import nh3

from fedihub.activitystreams import JsonObject
from fedihub.errors import BadRequest

# Mastodon's allowlist (lib/sanitize_ext/sanitize_config.rb), so what we send is shown as sent.
ALLOWED_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}, "ol": {"start", "reversed"}}
# Mastodon also keeps dat:, ipfs:, gemini:, xmpp: and the like; we link to the web only, so a
# page never hands a reader to a scheme whose handler we cannot vouch for.
ALLOWED_SCHEMES = {"http", "https"}
_ALLOWED_CLASS = re.compile(r"^(?:[hpue]-\S+|dt-\S+|mention|hashtag|ellipsis|invisible)$")
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _keep_class(tag: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = " ".join(c for c in value.split() if _ALLOWED_CLASS.match(c))
    return kept or None


def sanitize_html(html: str) -> str:
    """Keeps Mastodon's tags, attributes and link schemes; drops relative links and scripts."""
    # Headings are not on the list: keep their text as bold paragraphs rather than losing emphasis.
    for tag in HEADING_TAGS:
        html = re.sub(rf"<{tag}(\s[^>]*)?>", "<p><strong>", html, flags=re.IGNORECASE)
        html = re.sub(rf"</{tag}\s*>", "</strong></p>", html, flags=re.IGNORECASE)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        # "*": none on every tag; without it ammonia keeps its default `lang` and `title`
        # anywhere, beyond the list (found by tests/unit/test_properties_content.py).
        attributes={**ALLOWED_ATTRIBUTES, "*": set()},
        url_schemes=ALLOWED_SCHEMES,
        attribute_filter=_keep_class,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
        url_relative="deny",
    )


# A line that starts with a hashtag ("#climate"): Python-Markdown reads it as a heading, which
# CommonMark (and people) do not: a heading has a space after its #s ("# Heading").
HASHTAG_LINE = re.compile(r"^(#{1,6})(?=[^\s#])", re.MULTILINE)


def render_markdown(source: str) -> tuple[str | None, str]:
    """(title, sanitised HTML): a first-line `# ` heading becomes the title and leaves the body.
    A line starting with a hashtag (`#climate`) stays a hashtag, not a heading."""
    title = None
    lines = source.strip().splitlines()
    if lines and lines[0].startswith("# "):
        title = lines[0][2:].strip() or None
        lines = lines[1:]
    text = HASHTAG_LINE.sub(lambda m: "\\#" * len(m.group(1)), "\n".join(lines))
    import markdown  # loaded with the first text written here, not by every process that starts

    try:
        html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    except RecursionError as e:
        # Python-Markdown recurses once per level of nested lists: "- - - … x" a few hundred
        # deep (found by tests/unit/test_properties_content.py) crashed instead of being refused.
        raise BadRequest("the text is nested too deeply") from e
    return title, sanitize_html(html)


HTML_FIELDS = ("content", "summary")


def sanitize_incoming(obj: JsonObject) -> JsonObject:
    """A copy of a received object with every HTML field cut down to the allowlist."""
    clean = dict(obj)
    for field in HTML_FIELDS:
        if isinstance(clean.get(field), str):
            clean[field] = sanitize_html(clean[field])
        mapped = clean.get(f"{field}Map")
        if isinstance(mapped, dict):
            clean[f"{field}Map"] = {
                lang: sanitize_html(text) for lang, text in mapped.items() if isinstance(text, str)
            }
    return clean


_PARAGRAPHS = {"p", "div", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_HIDDEN = {"script", "style"}

# What a tag adds to plain text where it opens and where it closes.
_BREAKS = {"br": ("\n", ""), "tr": ("\n", ""), "li": ("\n- ", "")}
_BREAKS.update({tag: ("\n\n", "\n\n") for tag in _PARAGRAPHS})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in _HIDDEN
        self.parts.append(_BREAKS.get(tag, ("", ""))[0])

    def handle_endtag(self, tag: str) -> None:
        self.hidden = max(self.hidden - (tag in _HIDDEN), 0)
        self.parts.append(_BREAKS.get(tag, ("", ""))[1])

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


# Pages read the text of the same stored posts on every request (their hashtags, a title for
# an untitled one): the text of short HTML is remembered; the bound keeps the memory small.
CACHED_HTML_CHARS = 4_000


def html_text(html: str) -> str:
    """Readable plain text of sanitised post HTML: paragraphs kept apart, list items dashed."""
    return _cached_text(html) if len(html) <= CACHED_HTML_CHARS else _text(html)


@functools.lru_cache(maxsize=1024)
def _cached_text(html: str) -> str:
    return _text(html)


def _text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
