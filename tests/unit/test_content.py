"""Markdown rendering and Mastodon's HTML allowlist, against hostile markup."""

from __future__ import annotations

import pytest

from fedihub.content import render_markdown, sanitize_html


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<p>hi<script>alert(1)</script></p>", "script"),
        ('<p onclick="steal()">hi</p>', "onclick"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<img src=x onerror="alert(1)">', "img"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<a href="/relative/path">x</a>', "/relative"),
        ('<p style="position:fixed">x</p>', "style"),
        ('<span class="evil-class h-card">x</span>', "evil-class"),
        ("<svg><script>alert(1)</script></svg>", "svg"),
    ],
)
def test_hostile_markup_is_removed(dirty: str, forbidden: str) -> None:
    assert forbidden not in sanitize_html(dirty)


def test_mastodon_mention_markup_survives() -> None:
    html = ('<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention">@a</a>'
            "</span> hi</p>")  # fmt: skip
    clean = sanitize_html(html)
    assert 'class="h-card"' in clean and 'class="u-url mention"' in clean
    assert 'href="https://m.example/@a"' in clean


def test_links_get_rel_nofollow() -> None:
    assert 'rel="nofollow noopener noreferrer"' in sanitize_html(
        '<a href="https://x.example">x</a>'
    )


def test_first_heading_becomes_the_title() -> None:
    title, html = render_markdown("# Port shutdown\n\nCalls on **Monday**.\n")
    assert title == "Port shutdown"
    assert html == "<p>Calls on <strong>Monday</strong>.</p>"


def test_no_heading_means_no_title_and_later_headings_stay_as_bold() -> None:
    title, html = render_markdown("Intro\n\n## Agenda\n\n- one\n- two\n")
    assert title is None
    assert "<strong>Agenda</strong>" in html and "<li>one</li>" in html and "<h2" not in html


def test_raw_html_in_markdown_is_sanitised() -> None:
    _, html = render_markdown('Hi <script>alert(1)</script><a href="javascript:x">y</a>')
    assert "script" not in html and "javascript" not in html
