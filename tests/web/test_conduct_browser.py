"""Codes of conduct and the public log in Chromium on a phone (390×844): the admin writes the
instance's code with a preview of its clauses and opens sign-up; an organiser writes the hub's;
a newcomer signs up accepting the instance's code (the box required), then joins the hub after
accepting its own; the public log shows both changes. Screenshots: test-artifacts/conduct/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
SHOTS = REPO / "test-artifacts" / "conduct"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True}


@pytest.fixture(scope="module")
def instance(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    root: Path = tmp_path_factory.mktemp("conduct")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("account", "create", "--data", a.data, "root", "--admin", "--password-file", root / "pw")
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--summary", "Port workers.", "--organizer", "maria")  # fmt: skip
    run_apart(a.start())
    try:
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name, fits=False)


def sign_in(page: Any, base: str, who: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def write_code(page: Any, base: str, path: str, text: str, clause: str) -> None:
    page.goto(base + path)
    page.get_by_label("The rules").fill(text)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text(clause)).to_be_visible()  # the clauses moderators will cite
    expect(page.get_by_label("The rules")).to_have_value(text)  # nothing lost
    shot(page, path.strip("/").replace("/", "_") + "-preview")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 1")


def test_codes_written_accepted_at_sign_up_and_joining_and_logged(
    chromium: Any, instance: FedihubInstance
) -> None:
    base = instance.base_url
    admin = chromium.new_context(**PHONE)
    page = admin.new_page()
    sign_in(page, base, "root")
    write_code(page, base, "/admin/conduct", "We organise together.\n\n1. Be kind.\n"
               "2. No harassment.\n", "Instance code v1 §2: No harassment.")  # fmt: skip
    page.goto(base + "/admin")
    page.get_by_label("Sign-up").select_option("open")
    page.get_by_role("button", name="Save").first.click()
    admin.close()

    organiser = chromium.new_context(**PHONE)
    page = organiser.new_page()
    sign_in(page, base, "maria")
    page.goto(base + "/hubs/dockers/manage")
    expect(page.locator('a[href="/hubs/dockers/manage/conduct"]')).to_be_visible()
    write_code(page, base, "/hubs/dockers/manage/conduct", "1. Mind the picket line.\n",
               "Hub code v1 §1: Mind the picket line.")  # fmt: skip
    organiser.close()

    newcomer = chromium.new_context(**PHONE)
    page = newcomer.new_page()
    page.goto(base + "/signup")
    expect(page.get_by_text("No harassment.")).to_be_visible()
    page.get_by_label("Username").fill("ben")
    page.get_by_label("Password (8 characters or more)").fill("organise-together")
    page.get_by_label("Password again").fill("organise-together")
    box = page.get_by_label("I accept the code of conduct (version 1)")
    page.get_by_role("button", name="Create my account").click()
    assert "/signup" in page.url  # the required box kept the form from going
    box.check()
    shot(page, "signup")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(lambda url: "/signup" not in url)
    page.goto(base + "/hubs/dockers")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("Mind the picket line.")).to_be_visible()
    expect(page.get_by_text("No harassment.")).to_have_count(0)  # accepted at sign-up already
    page.get_by_label("I accept this hub's code of conduct (version 1)").check()
    shot(page, "join")
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("You are a member of this hub.")).to_be_visible()
    page.goto(base + "/moderation")
    changes = page.get_by_role("heading", name="code of conduct changed")
    expect(changes).to_have_count(2)
    expect(changes.first).to_contain_text("Dockworkers United: code of conduct changed — v1")
    shot(page, "moderation")
    newcomer.close()
