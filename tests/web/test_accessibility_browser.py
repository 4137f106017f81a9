"""Every page a visitor or organiser meets, audited in Chromium: landmarks, one h1, a name for
every control, link and image, WCAG AA contrast, and keyboard use (a skip link first, then the
follow box reached and submitted with the keyboard alone)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import AUDIT, CHROMIUM, Site

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

PAGES = ["/", "/directory", "/about", "/signin", "/signup", "/hubs/{slug}",
         "/hubs/{slug}/posts/1", "/lang/es?next=/hubs/{slug}"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_the_page_passes_the_audit(chromium: Any, site: Site, path: str) -> None:
    page = chromium.new_page()
    try:
        response = page.goto(site.instance.base_url + path.format(slug=site.slug))
        assert response is not None and response.status == 200
        assert page.evaluate(AUDIT) == []
    finally:
        page.close()


def test_the_audit_finds_what_it_looks_for(chromium: Any, site: Site) -> None:
    """The audit itself can fail: a page with each fault, each reported."""
    page = chromium.new_page()
    try:
        page.set_content(
            "<html><body><header><nav></nav></header><main><h1>A</h1><h1>B</h1>"
            '<input name="q"><img src="x.png"><a href="/x"></a>'
            '<p style="color:#aaa">faint</p><span tabindex="3">x</span></main><footer></footer>'
            "</body></html>"
        )
        found = " | ".join(page.evaluate(AUDIT))
    finally:
        page.close()
    faults = ("2 h1 headings", "no lang", "input without a name", "image without alt",
              "link without text", "positive tabindex", 'contrast 2.32 < 4.5: "faint"')  # fmt: skip
    for fault in faults:
        assert fault in found, fault


def test_a_keyboard_alone_skips_to_the_content_and_follows_from_its_own_server(
    chromium: Any, site: Site
) -> None:
    page = chromium.new_page()
    try:
        page.goto(site.hub_url)
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("Skip to content")
        expect(skip).to_be_visible()  # shown once focused
        page.keyboard.press("Enter")
        handle_box = page.locator("#your-handle")
        for _ in range(40):  # onwards through the content to the follow box
            if handle_box.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(handle_box).to_be_focused()
        page.keyboard.type("@nobody@invalid.example")
        with page.expect_response(lambda r: "/follow" in r.url) as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 400  # submitted by keyboard: the server answered it
    finally:
        page.close()
