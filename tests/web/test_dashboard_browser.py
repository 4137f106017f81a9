"""The hub dashboard and home page as Chromium renders them, on a phone and on a desktop, with
and without JavaScript; full-page screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.instances import REPO
from tests.web.conftest import CHROMIUM, Site

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}  # fmt: skip


def open_page(chromium: Any, url: str, **options: Any) -> Any:
    # The viewer is in Paris, so "your time" differs from the event's New York time.
    context = chromium.new_context(locale="en-GB", timezone_id="Europe/Paris", **options)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def upcoming_item(page: Any, title: str) -> Any:
    section = page.locator("section[aria-labelledby=upcoming], section[aria-labelledby=next]")
    item = section.locator(".item").filter(has=page.get_by_role("heading", name=title))
    expect(item).to_have_count(1)
    return item


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_dashboard_renders(chromium: Any, site: Site, viewport: str) -> None:
    page = open_page(chromium, site.hub_url, **VIEWPORTS[viewport])
    expect(page.get_by_role("heading", level=1)).to_have_text(site.name)
    expect(page.locator("#hub-handle")).to_have_text(f"@{site.slug}@{site.instance.domain}")
    expect(page.locator('link[rel=alternate][type="text/calendar"]')).to_have_attribute(
        "href", f"{site.hub_url}/calendar.ics"
    )
    expect(page.locator('link[rel=alternate][type="application/atom+xml"]')).to_have_attribute(
        "href", f"{site.hub_url}/feed.atom"
    )

    event = upcoming_item(page, site.event)
    expect(event.locator("time")).to_have_text(site.event_when)
    expect(event.locator(".local-time")).to_contain_text("your time: ")
    expect(event).to_contain_text("Union Hall, 12 Harbor Road, Oakland")
    expect(event).to_contain_text("0 going of 40 places")
    expect(event.locator(".badge")).to_have_count(0)

    call = upcoming_item(page, site.call)
    expect(call.locator(".badge")).to_have_text("Call")
    expect(call.locator("time")).to_have_text(site.call_when)
    expect(call.locator(".local-time")).to_contain_text("your time: ")
    expect(call).to_contain_text("dial in +1 555 0100")

    cancelled = upcoming_item(page, site.cancelled)
    expect(cancelled.locator(".badge.warn")).to_have_text("Cancelled")
    expect(cancelled.get_by_role("heading")).to_have_class("cancelled")

    updates = page.locator("section[aria-labelledby=updates]")
    expect(updates.get_by_role("link", name="Port shutdown")).to_be_visible()
    expect(updates.get_by_text(site.update_text)).to_be_visible()
    calls = page.locator("section[aria-labelledby=calls]")
    expect(calls.get_by_role("link", name=site.call)).to_be_visible()
    minutes = page.locator("section[aria-labelledby=minutes]")
    expect(minutes.get_by_role("link", name=site.minutes)).to_have_attribute(
        "href", site.minutes_url
    )

    # Not window.innerWidth: a mobile Chromium widens it to fit content that overflows.
    overflow = page.evaluate("document.scrollingElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"{viewport}: the page scrolls sideways by {overflow}px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"dashboard-{viewport}.png", full_page=True)
    page.context.close()


def test_dashboard_without_javascript(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site.hub_url, java_script_enabled=False, **VIEWPORTS["phone"])
    event = upcoming_item(page, site.event)
    expect(event.locator("time")).to_have_text(site.event_when)
    expect(page.locator("#hub-handle")).to_be_visible()
    expect(page.locator(".local-time")).to_have_count(0)
    expect(page.get_by_text("your time")).to_have_count(0)
    page.context.close()


def test_minutes_page_opens_from_dashboard(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site.hub_url)
    page.locator("section[aria-labelledby=minutes]").get_by_role("link", name=site.minutes).click()
    expect(page).to_have_url(site.minutes_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(site.minutes)
    expect(page.locator("main")).to_contain_text("Book the hall")
    page.context.close()


def test_home_page_lists_hub_and_next_event(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site.instance.base_url + "/")
    hubs = page.locator("section[aria-labelledby=hubs]")
    expect(hubs.get_by_role("link", name=site.name)).to_have_attribute("href", f"/hubs/{site.slug}")
    expect(hubs).to_contain_text(f"@{site.slug}@{site.instance.domain}")
    event = upcoming_item(page, site.event)
    expect(event.locator("time")).to_have_text(site.event_when)
    expect(event.get_by_role("link", name=site.name)).to_have_attribute("href", site.hub_url)
    expect(upcoming_item(page, site.call).locator(".badge")).to_have_text("Call")
    page.context.close()
