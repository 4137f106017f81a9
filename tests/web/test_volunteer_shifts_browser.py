"""Sites and shifts in Chromium against a real `fedihub serve`: a coordinator on a desktop adds
a site and posts a shift there through the compose form (the site offered as a suggestion, the
skills as boxes to tick); on a phone, anyone sees the open shifts by day and site with their
counts and the way to sign up. Every page passes the accessibility audit, never scrolls sideways
and keeps text at 16 px and targets at 44 px. Screenshots: test-artifacts/volunteer-shifts/.

The first site is written straight into the instance's database (sites have no command yet);
its shift is posted with the CLI, as a coordinator with a file would."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import CHROMIUM
from tests.web.screens import kept

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SHOTS = REPO / "test-artifacts" / "volunteer-shifts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
ZONE = ZoneInfo("America/New_York")
# What a phone needs: text people read or type at 16 px, links and buttons 44 px high.
SMALL_OR_TIGHT = """() => {
  const found = [];
  for (const e of document.querySelectorAll("main a, main button, main input, main select,"
                                            + " main textarea, main li, main p")) {
    const size = parseFloat(getComputedStyle(e).fontSize), box = e.getBoundingClientRect();
    const name = (e.name || e.textContent || "").trim().slice(0, 40);
    if (box.width === 0) continue;
    if (!e.closest(".meta") && size < 16) found.push(name + ": " + size + "px");
    if (e.matches("a, button, input:not([type=hidden]), select") && box.height < 44)
      found.push(name + ": " + box.height + "px high");
  }
  return found;
}"""


def local(hours_from_now: float) -> dt.datetime:
    moment = dt.datetime.fromtimestamp(time.time() + hours_from_now * 3600, ZONE)
    return moment.replace(minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    """maria leads Sandy Relief's effort; its Red Hook Shelter has a shift tomorrow (needs 5)."""
    root: Path = tmp_path_factory.mktemp("shifts")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "sandy", "--name", "Sandy Relief",
          "--organizer", "maria", "--timezone", "America/New_York")  # fmt: skip
    with a.writing() as db:
        db.execute(
            "INSERT INTO volunteer_sites (hub_id, name, area, area_key, address, needs,"
            " created_at, updated_at) SELECT id, 'Red Hook Shelter', 'Red Hook', 'red hook',"
            " '196 Van Brunt St', 'Mops and gloves', 0, 0 FROM local_actors"
            " WHERE username = 'sandy'"
        )  # fmt: skip
    start = local(26)
    (root / "shift.md").write_text(
        f"---\nsite: Red Hook Shelter\nstart: {start:%Y-%m-%d %H:%M}\n"
        f"end: {start + dt.timedelta(hours=6):%Y-%m-%d %H:%M}\nneeded: 5\n"
        "skills: [cleanup, heavy_lifting]\nlanguages: es, en\n---\nMucking out basements.\n"
    )  # fmt: skip
    a.cli("post", "--data", a.data, "sandy", "--as", "maria", "--kind", "shift",
          root / "shift.md")  # fmt: skip
    run_apart(a.start())
    try:
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()


def checked(page: Any, name: str, phone: bool = False) -> None:
    kept(page, SHOTS, name, checks=[SMALL_OR_TIGHT] if phone else [])


def test_a_coordinator_adds_a_site_and_posts_a_shift_there(
    chromium: Any, site: FedihubInstance
) -> None:
    page = chromium.new_context(**DESKTOP, locale="en-GB").new_page()
    page.goto(site.base_url + "/signin?next=/hubs/sandy/volunteers/sites")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sites of Sandy Relief's relief effort")  # fmt: skip
    checked(page, "1-sites")
    page.get_by_label("Name").fill("Coffey Park")
    page.get_by_label("Area", exact=False).first.fill("Red Hook")
    page.get_by_label("Address", exact=False).fill("Verona St & Richards St")
    page.get_by_label("What the site needs (public)").fill("Tarps, rope")
    # A name the hub has already: refused, and what was typed stays.
    page.get_by_label("Name").fill("red hook shelter")
    page.get_by_role("button", name="Add the site").click()
    expect(page.get_by_role("alert")).to_contain_text("already has a site called")
    expect(page.get_by_label("What the site needs (public)")).to_have_value("Tarps, rope")
    checked(page, "2-duplicate-refused")
    page.get_by_label("Name").fill("Coffey Park")
    page.get_by_role("button", name="Add the site").click()
    expect(page.get_by_role("status")).to_contain_text("The site was added.")
    expect(page.get_by_label("Address", exact=False)).to_have_value("Verona St & Richards St")
    checked(page, "3-site-added")
    page.get_by_role("link", name="Post a shift").click()
    expect(page.locator('input[name="kind"]')).to_have_value("shift")
    start = local(50)
    page.locator("#f-site").fill("Coffey Park")
    page.get_by_label("Title").fill("Tarping roofs")
    page.get_by_label("Starts", exact=False).fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("Ends", exact=False).fill(f"{start + dt.timedelta(hours=4):%Y-%m-%dT%H:%M}")
    page.get_by_label("People needed", exact=False).fill("4")
    page.get_by_label("Heavy lifting").check()
    page.get_by_label("Building and carpentry").check()
    page.locator("#body").fill("Ladders provided.")
    assert page.locator("#f-site-list option").evaluate_all(
        "os => os.map(o => o.value)") == ["Coffey Park", "Red Hook Shelter"]  # fmt: skip
    checked(page, "4-shift-form")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/hubs/sandy/posts/[0-9]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tarping roofs")
    expect(page.locator("article")).to_contain_text("4 of 4 places open")
    expect(page.locator("article")).to_contain_text("Coffey Park, Red Hook")
    expect(page.get_by_role("link", name="Sign up to help")).to_have_attribute(
        "href", f"{site.base_url}/hubs/sandy/volunteer")  # fmt: skip
    assert "Verona" not in page.content()  # the address stays with the coordinators
    checked(page, "5-shift-published")


def test_anyone_sees_the_open_shifts_on_a_phone(chromium: Any, site: FedihubInstance) -> None:
    page = chromium.new_context(**PHONE, locale="en-GB").new_page()
    page.goto(site.base_url + "/hubs/sandy/shifts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteers needed: Sandy Relief")
    shelter = page.get_by_role("heading", level=3, name=re.compile("Red Hook Shelter"))
    expect(shelter).to_be_visible()
    expect(page.locator("li.shift").first).to_contain_text("5 of 5 places open")
    expect(page.locator("li.shift").first).to_contain_text("Clean-up and mucking out")
    expect(page.get_by_role("link", name="Sign up to help")).to_have_attribute(
        "href", "/hubs/sandy/volunteer")  # fmt: skip
    assert "Van Brunt" not in page.content()
    checked(page, "6-shifts-phone", phone=True)
    page.locator("li.shift a").first.click()
    expect(page).to_have_url(re.compile(r"/hubs/sandy/posts/[0-9]+$"))
    expect(page.locator("article")).to_contain_text("5 of 5 places open")
    checked(page, "7-shift-page-phone")
    page.goto(site.base_url + "/lang/es?next=/hubs/sandy/shifts")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Se necesitan voluntarios: Sandy Relief")  # fmt: skip
    expect(page.locator("li.shift").first).to_contain_text("5 de 5 plazas libres")
    checked(page, "8-shifts-phone-es", phone=True)
