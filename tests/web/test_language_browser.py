"""Calendars and feeds as people use them, in Chromium on a phone and a desktop: the News feed
link opens a page (not raw XML), the calendar's address is there to copy (a Copy button with
JavaScript, selectable text without), and a Spanish reader gets Spanish dates. Screenshots land
in test-artifacts/language/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.instances import REPO
from tests.web.conftest import CHROMIUM, Site

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SHOTS = REPO / "test-artifacts" / "language"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}  # fmt: skip


def open_page(chromium: Any, url: str, locale: str = "en-GB", **options: Any) -> Any:
    context = chromium.new_context(locale=locale, timezone_id="America/New_York", **options)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_feed_link_opens_a_readable_page(chromium: Any, site: Site, viewport: str) -> None:
    page = open_page(chromium, site.hub_url, **VIEWPORTS[viewport])
    page.get_by_role("link", name="News feed (Atom)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"News feed of {site.name}"
    )  # a page for people, not Atom's XML
    expect(page.locator("#feed-address")).to_have_value(f"{site.hub_url}/feed.atom")
    expect(page.get_by_role("link", name="Port shutdown")).to_be_visible()
    assert page.evaluate("document.contentType") == "text/html"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"feed-{viewport}.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_calendar_can_be_subscribed_and_copied(
    chromium: Any, site: Site, viewport: str
) -> None:
    page = open_page(chromium, site.hub_url, **VIEWPORTS[viewport])
    calendar = page.locator("section[aria-labelledby=calendar]")
    subscribe = calendar.get_by_role("link", name="Subscribe in your calendar app")
    expect(subscribe).to_have_attribute(
        "href", site.hub_url.replace("http://", "webcal://", 1) + "/calendar.ics"
    )
    address = calendar.locator("#calendar-address")
    expect(address).to_have_value(f"{site.hub_url}/calendar.ics")
    copy = calendar.locator("button[data-copy=calendar-address]")
    expect(copy).to_have_accessible_name("Copy")
    expect(copy).to_be_visible()  # the script showed it
    box = copy.bounding_box()
    assert box is not None and box["height"] >= 44
    assert address.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    expect(copy).to_have_text("Copied")
    if viewport == "desktop":  # headless Chromium lends its clipboard to desktop pages
        assert page.evaluate("navigator.clipboard.readText()") == f"{site.hub_url}/calendar.ics"
    calendar.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"calendar-{viewport}.png"), full_page=True)
    page.context.close()


def test_without_javascript_the_address_is_there_to_select(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site.hub_url, java_script_enabled=False)
    calendar = page.locator("section[aria-labelledby=calendar]")
    expect(calendar.locator("#calendar-address")).to_have_value(f"{site.hub_url}/calendar.ics")
    expect(calendar.get_by_role("button", name="Copy")).to_be_hidden()
    page.context.close()


def test_a_spanish_reader_reads_spanish_dates_and_lines(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site.hub_url, locale="es-ES", **VIEWPORTS["phone"])
    expect(page.locator("html")).to_have_attribute("lang", "es")
    upcoming = page.locator("section[aria-labelledby=upcoming]")
    expect(upcoming).to_contain_text(" de 20")  # "sábado, 5 de diciembre de 2026, 18:00–20:00"
    calls = page.locator("section[aria-labelledby=calls]")
    expect(calls).to_contain_text("Se repite cada semana el ")
    expect(calls).to_contain_text("por teléfono +1 555 0100")
    expect(page.locator("section[aria-labelledby=calendar]")).to_contain_text(
        "tu aplicación de calendario lo mantiene al día"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-es-phone.png"), full_page=True)
    page.context.close()
