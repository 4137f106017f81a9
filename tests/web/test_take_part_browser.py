"""A person signed in on this instance, on a phone and a desktop in Chromium: joins a hub from its
page and leaves it, and meets the confirm page (`/authorize_interaction`), with a hostile address
refused in words. Every page passes the audit, nothing scrolls sideways, and screenshots land in
test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.instances import REPO
from tests.web.conftest import AUDIT, CHROMIUM, Site

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


def checked(page: Any, name: str) -> None:
    assert page.evaluate(AUDIT) == [], name
    overflow = page.evaluate("document.scrollingElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    small = page.evaluate(
        "[...document.querySelectorAll('main form[method=post] button')]"
        ".filter(b => b.offsetParent).map(b => b.getBoundingClientRect())"
        ".filter(r => r.height < 44).length"
    )
    assert small == 0, f"{name}: {small} buttons under 44 px"  # those that act (posts)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"take-part-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_account_joins_and_leaves_a_hub_and_meets_the_confirm_page(
    chromium: Any, site: Site, viewport: str
) -> None:
    name = f"rosa{viewport}"
    password = site.instance.data.parent / "pw"
    site.instance.cli("account", "create", "--data", site.instance.data, name,
                      "--password-file", password)  # fmt: skip
    context = chromium.new_context(**VIEWPORTS[viewport])
    page = context.new_page()
    try:
        page.goto(f"{site.instance.base_url}/authorize_interaction?uri=javascript:alert(1)")
        expect(page.get_by_text("Sign in to your account on this server")).to_be_visible()
        page.get_by_role("link", name="Sign in").last.click()
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill("organise-together")
        page.get_by_role("button", name="Sign in").last.click()
        # Back where the link pointed, now signed in: the address is refused in words.
        expect(page.get_by_role("alert")).to_contain_text("This is not a web address")
        checked(page, f"refused-{viewport}")

        page.goto(site.hub_url)
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_role("status")).to_have_text("You are a member of this hub.")
        checked(page, f"member-{viewport}")
        page.goto(site.instance.base_url + "/")
        expect(page.get_by_role("link", name=site.name).first).to_be_visible()
        checked(page, f"home-{viewport}")
        page.goto(site.hub_url)
        page.get_by_role("button", name="Leave").click()
        expect(page.get_by_role("button", name="Join")).to_be_visible()
    finally:
        context.close()
