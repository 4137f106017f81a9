"""Reading an RSS or Atom feed (feedparser) into the entries a hub may publish. Pure."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from urllib.parse import urlsplit

from fedihub.content import html_text
from fedihub.errors import BadRequest

MAX_SUMMARY_CHARS = 600


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    summary: str  # plain text
    published: float | None


@dataclass(frozen=True)
class Feed:
    title: str
    entries: list[Entry]


def _link(value: object) -> str:
    link = str(value or "")
    try:
        scheme = urlsplit(link).scheme
    except ValueError:  # "http://[::1": a malformed link must not sink the whole feed
        return ""
    return link if scheme in ("http", "https") else ""


def parse_feed(body: bytes) -> Feed:
    """The feed's entries, newest first as feeds list them. Garbage is a BadRequest; a feed
    that is slightly malformed but readable (feedparser's 'bozo') is used."""
    import feedparser  # loaded with the first feed read, not by every process that starts

    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = str(parsed.get("bozo_exception", "no entries"))
        raise BadRequest("not an RSS or Atom feed (%(reason)s)", reason=reason)
    entries = []
    for item in parsed.entries:
        link = _link(item.get("link"))
        entry_id = str(item.get("id") or link or item.get("title") or "")
        if not entry_id:
            continue
        # `in` first: feedparser's get("updated_parsed") falls back to published_parsed with a
        # DeprecationWarning (an error under the test suite's filterwarnings) when it is absent.
        stamp = item.get("published_parsed") or (
            item.get("updated_parsed") if "updated_parsed" in item else None
        )
        summary = html_text(str(item.get("summary") or ""))
        if len(summary) > MAX_SUMMARY_CHARS:
            summary = summary[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
        entries.append(Entry(
            id=entry_id[:2000], title=str(item.get("title") or "").strip()[:300], link=link,
            summary=summary, published=calendar.timegm(stamp) if stamp else None,
        ))  # fmt: skip
    return Feed(title=str(parsed.feed.get("title") or "").strip()[:300], entries=entries)


def as_markdown(entry: Entry, site: str) -> str:
    """An entry as a hub update: its title, its summary, and a link back to the source."""
    escape = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#"})
    # The `# ` line is the post's title as plain text (render_markdown), not Markdown: escaped,
    # "C# *tips*" became the title "C\# \*tips\*". One line, so no part of it is Markdown.
    title = " ".join(entry.title.split())
    lines = [f"# {title}"] if title else []
    if entry.summary:
        lines.append(entry.summary.translate(escape))
    if entry.link:
        target = entry.link.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        lines.append(f"[Read it on {site.translate(escape) or 'the website'}]({target})")
    text = "\n\n".join(lines) or "(an entry with no text)"
    if (text.lstrip("\ufeff").splitlines() or [""])[0].strip() == "---":
        # A summary opening with "---" was read by parse_draft as front matter, setting the
        # post's title or language from the feed's text. Escaped, it stays text.
        text = "\\" + text
    return text
