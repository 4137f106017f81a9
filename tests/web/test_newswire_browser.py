"""The newswire in Chromium, on a phone: a visitor with no account sends news from the form and
is told it waits for an editor; an editor finds it in the queue (with the contact address only
editors see) and approves it; the visitor then sees it published on the newswire and opens it.
Every page passes the accessibility audit. Screenshots: test-artifacts/newswire/."""

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
SHOTS = REPO / "test-artifacts" / "newswire"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
CODE = "How we organise.\n\n1. Be kind.\n2. No advertising.\n"


@pytest.fixture(scope="module")
def instance(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    """An instance with an admin (maria), an editor (eda) and a code of conduct."""
    root: Path = tmp_path_factory.mktemp("newswire")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("account", "create", "--data", a.data, "maria", "--admin", "--password-file",
          root / "pw")  # fmt: skip
    a.cli("account", "create", "--data", a.data, "eda", "--password-file", root / "pw")
    a.cli("newswire", "editor", "add", "--data", a.data, "eda", "--as", "maria")
    (root / "code.md").write_text(CODE)
    a.cli("conduct", "set", "--data", a.data, "--file", root / "code.md", "--as", "maria")
    run_apart(a.start())
    try:
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name)


def test_news_sent_from_a_phone_is_approved_and_published(
    chromium: Any, instance: FedihubInstance
) -> None:
    base = instance.base_url

    # A visitor, not signed in, sends news from the form.
    visitor = chromium.new_context(**PHONE, locale="en-GB").new_page()
    visitor.goto(base + "/newswire")
    shot(visitor, "1-newswire-empty")
    visitor.get_by_role("link", name="Send news").first.click()
    expect(visitor.get_by_role("heading", name="Send news to the newswire")).to_be_visible()
    visitor.get_by_label("Headline (required)").fill("Dockers win the pay claim")
    visitor.get_by_label("Summary").fill("After six weeks out, the port agreed.\n\nBack Monday.")
    visitor.get_by_label("Link to read more").fill("https://news.example/dockers")
    visitor.get_by_label("Hub or group it comes from").fill("Dockworkers United")
    visitor.get_by_label("Place").fill("Oakland")
    visitor.get_by_label("Tags").fill("labour ports")
    visitor.get_by_label("Your e-mail address").fill("sender@example.org")
    shot(visitor, "2-submit-form")
    visitor.get_by_role("button", name="Send to the newswire").click()
    expect(visitor.get_by_role("status")).to_contain_text("waiting for an editor")
    shot(visitor, "3-waiting")
    visitor.goto(base + "/newswire")
    expect(visitor.get_by_text("Dockers win the pay claim")).to_have_count(0)

    # The editor finds it in the queue and approves it.
    editor = chromium.new_context(**PHONE, locale="en-GB").new_page()
    editor.goto(base + "/signin?next=/newswire")
    editor.get_by_label("Username").fill("eda")
    editor.get_by_label("Password").fill("organise-together")
    editor.get_by_role("button", name="Sign in").click()
    editor.wait_for_url(base + "/newswire")
    editor.get_by_role("link", name="Items waiting for an editor").click()
    expect(editor.get_by_role("heading", name="Dockers win the pay claim")).to_be_visible()
    expect(editor.get_by_text("sender@example.org")).to_be_visible()
    shot(editor, "4-queue")
    editor.get_by_role("button", name="Approve “Dockers win the pay claim”").click()
    expect(editor.get_by_role("status")).to_contain_text("Approved")
    expect(editor.get_by_text("Nothing is waiting.")).to_be_visible()
    shot(editor, "5-approved")

    # The visitor sees it published, and opens it.
    visitor.goto(base + "/newswire")
    visitor.get_by_role("link", name="Dockers win the pay claim").click()
    expect(visitor.get_by_role("heading", name="Dockers win the pay claim")).to_be_visible()
    expect(visitor.get_by_text("Back Monday.")).to_be_visible()
    assert "<p>Back Monday.</p>" in visitor.content()  # its own paragraph, as typed
    assert "sender@example.org" not in visitor.content()
    shot(visitor, "6-item")
    visitor.goto(base + "/newswire")
    visitor.get_by_role("link", name="#labour").click()
    expect(visitor.get_by_role("link", name="Dockers win the pay claim")).to_be_visible()
    shot(visitor, "7-tag")
