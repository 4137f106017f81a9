"""Run this hub in Chromium on a phone (390×844): the organiser adds an account of another real
instance by its handle, sees it as a person, changes the description (its Markdown comes back),
uploads an avatar and a header that then show on the hub's page, and removes the member only
after confirming. Screenshots land in test-artifacts/manage/."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import AUDIT, CHROMIUM
from tests.web.screens import kept

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "manage"


@pytest.fixture(scope="module")
def two(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, FedihubInstance]]:
    root: Path = tmp_path_factory.mktemp("manage")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    b = FedihubInstance(root, "b", cluster=suite_cluster)
    a.init()
    b.init()
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--summary", "Port workers.", "--organizer", "maria")  # fmt: skip
    b.cli("account", "create", "--data", b.data, "ana", "--password-file", root / "pw")
    try:
        run_apart(a.start())
        run_apart(b.start())
        yield a, b
    finally:
        for x in (a, b):
            run_apart(x.stop())
            x.drop_database()


def picture(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name, audit=False, fits=False)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_run_this_hub_on_a_phone(
    chromium: Any, two: tuple[FedihubInstance, FedihubInstance], tmp_path: Path
) -> None:
    a, b = two
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   locale="en-GB")  # fmt: skip
    page = context.new_page()
    page.goto(f"{a.base_url}/signin")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{a.base_url}/hubs/dockers/manage")
    assert page.evaluate(AUDIT) == []
    shot(page, "1-run-this-hub")

    handle = f"@ana@{b.domain}"
    page.get_by_label("Add someone: their address").fill(handle)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Added to the hub.")
    members = page.locator("section[aria-labelledby=members]")
    expect(members.get_by_text(handle)).to_be_visible()
    expect(members.get_by_role("link", name=f"Ana {handle}")).to_be_visible()
    assert page.evaluate(AUDIT) == []
    no_sideways_scroll(page)
    shot(page, "2-added-by-handle")

    page.get_by_label("Add someone: their address").fill(f"@nobody@{b.domain}")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text(f"There is no account @nobody@{b.domain}.")).to_be_visible()
    expect(page.get_by_label("Add someone: their address")).to_have_value(f"@nobody@{b.domain}")
    shot(page, "3-no-such-account")

    markdown = "**Port workers** organising along the coast.\n\n- meetings on Mondays"
    page.get_by_label("What it is for (Markdown)").fill(markdown)
    page.get_by_label("Avatar").set_input_files(
        str(picture(tmp_path / "a.jpg", (200, 200), (200, 40, 40)))
    )
    page.get_by_label("Header image").set_input_files(
        str(picture(tmp_path / "h.jpg", (900, 300), (30, 60, 160)))
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.get_by_label("What it is for (Markdown)")).to_have_value(markdown)
    # Font size 16 px or more: iOS does not zoom into the field; buttons 44 px high.
    size = page.get_by_label("Add someone: their address").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    height = page.get_by_role("button", name="Save").evaluate("e => e.offsetHeight")
    assert size >= 16 and height >= 44, (size, height)
    shot(page, "4-settings-saved")

    page.goto(f"{a.base_url}/hubs/dockers")
    expect(page.get_by_alt_text("Avatar of Dockworkers United")).to_have_js_property(
        "naturalWidth", 200
    )
    expect(page.locator("img.hub-header")).to_have_js_property("naturalWidth", 900)
    expect(page.locator("strong", has_text="Port workers")).to_be_visible()
    assert page.evaluate(AUDIT) == []
    no_sideways_scroll(page)
    shot(page, "5-dashboard-with-avatar-and-header")

    page.goto(f"{a.base_url}/hubs/dockers/manage")
    members = page.locator("section[aria-labelledby=members]")
    members.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove this person from the hub?")
    assert page.evaluate(AUDIT) == []
    page.get_by_label("Why? (shown in the public log)").fill("Asked to leave the list.")
    shot(page, "6-confirm-remove")
    page.get_by_role("button", name="Yes, do it").click()
    expect(page.get_by_role("status")).to_have_text("Removed from the hub.")
    expect(page.locator("section[aria-labelledby=members]").get_by_text(handle)).to_have_count(0)
    shot(page, "7-removed")
    context.close()
