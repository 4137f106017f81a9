"""Signing up as a volunteer on a phone, in Chromium against a real `fedihub serve`, without an
account: the form (its availability grid too) fits a 360 px screen with 16 px fields and 44 px
targets; a refused form keeps everything typed; a sign-up leads to the private link, which opened
elsewhere (another browser, as on another device) shows the record to change and save. Once in
Spanish. Every page passes the accessibility audit. Screenshots: test-artifacts/volunteer-signup/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
from tests.web.screens import SMALL_ON_A_PHONE, kept  # noqa: E402

SHOTS = REPO / "test-artifacts" / "volunteer-signup"
# The narrowest phones in common use: the availability grid must fit without scrolling sideways.
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True}
PRIVATE_LINK = re.compile(r"/hubs/sandy/volunteer/me/[A-Za-z0-9_-]{40,}\?new=1$")


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    root: Path = tmp_path_factory.mktemp("volunteer")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("hub", "create", "--data", a.data, "sandy", "--name", "Sandy Relief",
          "--languages", "en es", "--timezone", "America/New_York")  # fmt: skip
    run_apart(a.start())
    try:
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()


def checked(page: Any, name: str) -> None:
    """A screenshot, and what a phone needs of the page."""
    kept(page, SHOTS, name, checks=[SMALL_ON_A_PHONE])


def field(page: Any, label: str) -> Any:
    """An input by its label, which for a required field ends in an asterisk."""
    return page.get_by_label(re.compile(r"^\s*" + re.escape(label) + r"( \*)?\s*$"))


def test_sign_up_on_a_phone_then_change_it_by_the_private_link(
    chromium: Any, site: FedihubInstance
) -> None:
    page = chromium.new_context(**PHONE, locale="en-US").new_page()
    page.goto(f"{site.base_url}/hubs/sandy/volunteer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer with Sandy Relief")
    expect(page.get_by_role("link", name="See which shifts need people")).to_be_visible()
    checked(page, "1-form")
    # The grid: every box of the week a 44 px target, inside the screen.
    boxes = page.locator(".vol-grid label.cell")
    assert boxes.count() == 28
    for n in (0, 3, 27):
        box = boxes.nth(n).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        assert box["x"] + box["width"] <= 360
    field(page, "Your name").fill("Marisol Ortega")
    field(page, "Phone number").fill("+1 (718) 555-0142")
    page.get_by_label("Spanish").check()
    page.get_by_label("First aid").check()
    page.get_by_label("Cooking and food handling").check()
    field(page, "Where you live or can get to easily (a neighbourhood, a town)").fill("Red Hook")
    page.get_by_label("I agree to be contacted about this effort").check()
    # Without a time of the week: refused, the error beside the form, nothing typed lost.
    page.get_by_role("button", name="Sign up as a volunteer").click()
    expect(page.get_by_role("alert")).to_contain_text("tick at least one time")
    expect(field(page, "Your name")).to_have_value("Marisol Ortega")
    expect(page.get_by_label("First aid")).to_be_checked()
    expect(page.get_by_label("I agree to be contacted about this effort")).to_be_checked()
    checked(page, "2-refused")
    page.get_by_label("Saturday, Morning (6–12)").check()
    page.get_by_label("Sunday, Night (0–6)").check()
    field(page, "How you get around").select_option("bike")
    page.get_by_role("button", name="Sign up as a volunteer").click()
    expect(page).to_have_url(PRIVATE_LINK)
    expect(page.get_by_role("status")).to_contain_text("This page is your private link. Keep it")
    link = page.get_by_label("Your private link").input_value()
    assert link.startswith(f"{site.base_url}/hubs/sandy/volunteer/me/")
    checked(page, "3-private-link")
    # Opened elsewhere, as on another device: the record, prefilled, to change and save.
    elsewhere = chromium.new_context(**PHONE, locale="en-US").new_page()
    elsewhere.goto(link)
    expect(field(elsewhere, "Your name")).to_have_value("Marisol Ortega")
    expect(field(elsewhere, "Phone number")).to_have_value("+1 (718) 555-0142")
    expect(elsewhere.get_by_label("Saturday, Morning (6–12)")).to_be_checked()
    expect(elsewhere.get_by_label("Monday, Morning (6–12)")).not_to_be_checked()
    expect(field(elsewhere, "How you get around")).to_have_value("bike")
    field(elsewhere, "Where you live or can get to easily (a neighbourhood, a town)").fill(
        "Gowanus"
    )
    elsewhere.get_by_label("Wednesday, Evening (18–24)").check()
    elsewhere.get_by_role("button", name="Save my changes").click()
    expect(elsewhere.get_by_role("status")).to_contain_text("Your changes are saved")
    expect(
        field(elsewhere, "Where you live or can get to easily (a neighbourhood, a town)")
    ).to_have_value("Gowanus")
    expect(elsewhere.get_by_label("Wednesday, Evening (18–24)")).to_be_checked()
    checked(elsewhere, "4-saved")
    assert site.query("SELECT name, area, transport, language FROM volunteers") == [
        ("Marisol Ortega", "Gowanus", "bike", "en")
    ]


def test_sign_up_in_spanish(chromium: Any, site: FedihubInstance) -> None:
    page = chromium.new_context(**PHONE, locale="es-ES").new_page()
    page.goto(f"{site.base_url}/hubs/sandy/volunteer")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Voluntariado con Sandy Relief")
    field(page, "Tu nombre").fill("Joaquín Pérez")
    field(page, "Correo electrónico").fill("joaquin@example.org")
    page.get_by_label("español").check()
    page.get_by_label("Conducir").check()
    page.get_by_label("sábado, Tarde (12–18)").check()
    field(page, "Dónde vives o adónde llegas fácilmente (un barrio, un pueblo)").fill("Sunset Park")
    field(page, "Cómo te desplazas").select_option("car")
    page.get_by_label("Acepto que me contacten sobre esta campaña").check()
    checked(page, "5-spanish-form")
    page.get_by_role("button", name="Inscribirme como voluntario/a").click()
    expect(page).to_have_url(PRIVATE_LINK)
    expect(page.get_by_role("status")).to_contain_text("Esta página es tu enlace privado")
    checked(page, "6-spanish-private-link")
    assert site.query("SELECT language FROM volunteers WHERE email = 'joaquin@example.org'") == [
        ("es",)
    ]
