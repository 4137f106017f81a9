"""An organiser's first visit, in Chromium on a phone-sized screen: sign up, start a hub, post an
update with an image (and its description), see it on the dashboard, switch to Spanish.
Screenshots of each step land in test-artifacts/screenshots/."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import AUDIT, CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def instance(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    root: Path = tmp_path_factory.mktemp("walk")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    before = os.environ.get("FEDIHUB_SIGNUP_MODE")
    os.environ["FEDIHUB_SIGNUP_MODE"] = "open"  # the server inherits it
    try:
        run_apart(a.start())
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()
        if before is None:
            os.environ.pop("FEDIHUB_SIGNUP_MODE", None)
        else:
            os.environ["FEDIHUB_SIGNUP_MODE"] = before


def picture(path: Path) -> Path:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 180), (20, 110, 60)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"walkthrough-{name}.png"), full_page=True)


def test_sign_up_start_a_hub_post_with_an_image_and_switch_to_spanish(
    chromium: Any, instance: FedihubInstance, tmp_path: Path
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   locale="en-GB")  # fmt: skip
    page = context.new_page()
    page.goto(f"{instance.base_url}/signup")
    assert page.evaluate(AUDIT) == []
    page.get_by_label("Username (lower-case letters, digits, _)").fill("maria")
    page.get_by_label("Password (8 characters or more)").fill("organise together")
    page.get_by_label("Password again").fill("organise together")
    shot(page, "1-signup")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(f"{instance.base_url}/")  # their hubs, "Start a hub" among them
    assert page.evaluate(AUDIT) == []
    page.get_by_role("link", name="Start a hub").first.click()
    expect(page).to_have_url(f"{instance.base_url}/hubs/new")
    assert page.evaluate(AUDIT) == []

    page.get_by_label("Name", exact=True).fill("Storm relief")
    page.get_by_label("Short name for its address (lower-case letters, digits, _)").fill("relief")
    page.get_by_label("What it is for (Markdown)").fill("Kitchens and volunteers after the storm.")
    page.get_by_label("Time zone of its events").fill("America/New_York")
    shot(page, "2-new-hub")
    page.get_by_role("button", name="Start the hub").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Storm relief")

    page.get_by_role("link", name="Write a post").click()
    assert page.evaluate(AUDIT) == []
    page.get_by_label("Title", exact=True).fill("Kitchen open")  # the form: no Markdown file
    page.get_by_label("Text (Markdown").fill("Hot meals from noon at the community hall.")
    page.get_by_label(
        "Image (JPEG, PNG, GIF or WebP; 8 MB at most; its metadata is removed)"
    ).set_input_files(str(picture(tmp_path / "kitchen.jpg")))
    page.get_by_label("Describe the image for people who cannot see it").fill(
        "Volunteers serving soup"
    )
    shot(page, "3-compose")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kitchen open")
    expect(page.get_by_alt_text("Volunteers serving soup")).to_be_visible()

    page.goto(f"{instance.base_url}/hubs/relief")
    update = page.locator("section[aria-labelledby=updates] article")
    expect(update.get_by_role("link", name="Kitchen open")).to_be_visible()
    expect(update.get_by_alt_text("Volunteers serving soup")).to_be_visible()
    # Served and decoded, not a broken icon; retried, as a lazy image may still be loading.
    expect(update.get_by_alt_text("Volunteers serving soup")).to_have_js_property(
        "naturalWidth", 320
    )
    shot(page, "4-dashboard")
    assert page.evaluate(AUDIT) == []  # signed in: the organiser's links and sign-out too
    page.get_by_role("link", name="Run this hub").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    assert page.evaluate(AUDIT) == []
    page.go_back()

    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Sigue este espacio")).to_be_visible()
    expect(page.get_by_role("heading", name="Últimas novedades")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    shot(page, "5-spanish")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
