"""What the property tests (tests/unit/test_properties_*.py) check HTML and links against."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fedihub.content import ALLOWED_ATTRIBUTES, ALLOWED_SCHEMES, ALLOWED_TAGS

SCRIPT_SCHEMES = {"javascript", "vbscript", "data", "file", "blob", "about", "filesystem"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "ping",
    "srcdoc",
}
# Browsers drop these anywhere in a URL (tab, newline) or around it (C0 controls and space).
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def parsed_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collect = _Collect()
    collect.feed(html)
    collect.close()
    return collect.tags


def scheme_of(value: str) -> str | None:
    """The scheme a browser would act on, or None for a relative reference."""
    match = _SCHEME.match(_IGNORED_IN_URLS.sub("", value))
    return match.group(1).lower() if match else None


def assert_clean(html: str) -> None:
    """The cleaner's whole policy, checked on its output."""
    assert "<script" not in html.lower()
    for tag, attrs in parsed_tags(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert not name.startswith("on"), (name, html)
            assert name in allowed, (tag, name, html)
            if name in URL_ATTRIBUTES:
                scheme = scheme_of(value or "")
                # Relative links are denied too (url_relative="deny"): a scheme is required.
                assert scheme in ALLOWED_SCHEMES, (value, html)
                assert scheme not in SCRIPT_SCHEMES
