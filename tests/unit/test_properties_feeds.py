"""Property tests for imported website feeds: any body is a Feed or a BadRequest; every entry's
link is http(s) or none; and an entry published as a hub update (as_markdown, then parse_draft as
webfeeds/service does) keeps the entry's title, sets no front-matter field, and links only to
http(s)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedihub.errors import BadRequest
from fedihub.kinds import parse_draft
from fedihub.webfeeds.parse import Entry, Feed, as_markdown, parse_feed
from tests.support.properties import assert_clean, parsed_tags

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LINKS = [
    "https://site.example/posts/1",
    "http://site.example/a b?c=(d)",
    "HTTPS://SITE.EXAMPLE/x",
    "javascript:alert(1)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "/relative",
    "//site.example/x",
    "http://[::1",
    "https://[x]/",
    "https://site.example/x)[y](javascript:alert(1)",
    'https://site.example/x "title"',
    "https://site.example/<b>",
    "mailto:a@site.example",
    "",
]
TEXTS = [
    "Plain title",
    "C# tips: *bold* _it_ `code` [x](javascript:alert(1)) <b>",
    "---",
    "---\ntitle: Injected\nlanguage: fr\n---\nbody",
    "\ufeff---\ntitle: Injected\n---",
    "# not a heading",
    "- item",
    "<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<![CDATA[<script>alert(1)</script>]]>",
    "a\nb",
    "@someone@unreachable.invalid",
    "",
]
DATES = [
    "Mon, 02 Nov 2026 10:00:00 GMT",
    "2026-11-02T10:00:00Z",
    "yesterday",
    "",
    "9999-99-99",
    "Mon, 02 Nov 99999 10:00:00 GMT",
]

xml_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20
)


def cdata_or_escaped(value: str, cdata: bool) -> str:
    return f"<![CDATA[{value}]]>" if cdata and "]]>" not in value else escape(value)


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    parts = []
    for tag, values in (
        ("title", TEXTS),
        ("link", LINKS),
        ("guid", LINKS + TEXTS),
        ("description", TEXTS),
        ("pubDate", DATES),
    ):
        if draw(st.booleans()):
            value = draw(st.sampled_from(values) | xml_text)
            parts.append(f"<{tag}>{cdata_or_escaped(value, draw(st.booleans()))}</{tag}>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<title>{escape(draw(st.sampled_from(TEXTS) | xml_text))}</title>")
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["alternate", "self", "enclosure", ""]))
        href = escape(draw(st.sampled_from(LINKS) | xml_text), quote=True)
        parts.append(f'<link rel="{rel}" href="{href}"/>' if rel else f'<link href="{href}"/>')
    if draw(st.booleans()):
        parts.append(f"<id>{escape(draw(st.sampled_from(LINKS + TEXTS)))}</id>")
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["html", "text", "xhtml"]))
        body = escape(draw(st.sampled_from(TEXTS) | xml_text))
        parts.append(f'<summary type="{kind}">{body}</summary>')
    if draw(st.booleans()):
        parts.append(f"<updated>{escape(draw(st.sampled_from(DATES)))}</updated>")
    return "<entry>" + "".join(parts) + "</entry>"


@st.composite
def feed_documents(draw: st.DrawFn) -> bytes:
    title = escape(draw(st.sampled_from(TEXTS) | xml_text))
    if draw(st.booleans()):
        items = "".join(draw(st.lists(rss_item(), max_size=4)))
        base = draw(
            st.sampled_from(
                ["", ' xml:base="javascript:alert(1)//"', ' xml:base="https://b.example/"']
            )
        )
        channel = f"<channel><title>{title}</title>{items}</channel>"
        doc = f'<?xml version="1.0"?><rss version="2.0"{base}>{channel}</rss>'
    else:
        entries = "".join(draw(st.lists(atom_entry(), max_size=4)))
        base = draw(
            st.sampled_from(
                ["", ' xml:base="data:text/html,x"', ' xml:base="https://b.example/d/"']
            )
        )
        doc = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"{base}><title>{title}</title>{entries}</feed>'
    if draw(st.integers(0, 9)) == 0:  # cut short: feedparser's "bozo" feeds
        doc = doc[: draw(st.integers(0, len(doc)))]
    return doc.encode()


def feed_or_bad_request(body: bytes) -> Feed | None:
    try:
        feed = parse_feed(body)
    except BadRequest:
        return None
    assert isinstance(feed, Feed)
    for entry in feed.entries:
        assert entry.id and len(entry.id) <= 2000 and len(entry.title) <= 300
        assert entry.link == "" or urlsplit(entry.link).scheme in ("http", "https"), entry.link
    return feed


def rss(link: str = "https://s.example/1", title: str = "t", summary: str = "") -> bytes:
    return (
        f'<rss version="2.0"><channel><title>Site</title><item><title>{escape(title)}</title>'
        f"<link>{escape(link)}</link><description>{escape(summary)}</description>"
        "</item></channel></rss>"
    ).encode()


@SETTINGS
@given(st.binary(max_size=300))
@example(b"<rss")
@example(b"\xff\xfe<\x00r\x00")
def test_any_bytes_are_a_feed_or_a_bad_request(body: bytes) -> None:
    feed_or_bad_request(body)


@SETTINGS
@given(feed_documents())
@example(rss(link="http://[::1"))  # urlsplit's ValueError escaped parse_feed
@example(rss(link="https://[x]/"))
def test_generated_feeds_are_a_feed_or_a_bad_request(body: bytes) -> None:
    feed_or_bad_request(body)


def published(entry: Entry, site: str = "Site") -> None:
    """The entry as webfeeds/service publishes it: as_markdown, then an "update" draft."""
    try:
        draft = parse_draft("update", as_markdown(entry, site), "UTC")
    except BadRequest:
        return
    assert_clean(draft.content_html)
    hrefs = [v for tag, attrs in parsed_tags(draft.content_html) for n, v in attrs if n == "href"]
    for href in hrefs:
        assert urlsplit(href or "").scheme in ("http", "https"), href
    assert len(hrefs) <= 1  # only the "Read it on …" link: the entry's text makes no links
    # The entry's words, not front matter read out of them: only the title can be set.
    assert set(draft.fields) <= {"language"} and "language" not in draft.fields
    if entry.title.strip():
        assert draft.title == " ".join(entry.title.split())


@SETTINGS
@given(feed_documents(), st.sampled_from(["Site", "C# *news*", ""]) | xml_text)
def test_each_entry_publishes_as_a_clean_update(body: bytes, site: str) -> None:
    feed = feed_or_bad_request(body)
    for entry in feed.entries if feed else []:
        published(entry, site)


@SETTINGS
@given(
    st.sampled_from(TEXTS) | st.text(max_size=40),
    st.sampled_from([*LINKS[:3], ""]),
    st.sampled_from(TEXTS) | st.text(max_size=80),
)
@example(
    "C# tips: *bold*", "https://s.example/1", ""
)  # the title came out as "C\\# tips: \\*bold\\*"
@example("", "", "---\ntitle: Injected\nlanguage: fr\n---\nbody")  # the summary set front matter
@example("", "", "\ufeff---\ntitle: Injected\n---")
@example("", "", "\ufeff")
def test_an_entry_is_published_as_written(title: str, link: str, summary: str) -> None:
    """Entries as parse_feed makes them (stripped, plain-text summary), straight to as_markdown."""
    entry = Entry(id="e", title=title.strip()[:300], link=link, summary=summary, published=None)
    published(entry)


def test_a_good_entry_comes_through() -> None:
    """The control: a plain entry is read, keeps its link and publishes with it."""
    feed = parse_feed(rss(summary="Hello <b>there</b>"))
    assert feed.title == "Site" and [e.link for e in feed.entries] == ["https://s.example/1"]
    draft = parse_draft("update", as_markdown(feed.entries[0], feed.title), "UTC")
    assert draft.title == "t" and 'href="https://s.example/1"' in draft.content_html
