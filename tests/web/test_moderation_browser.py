"""A report from the queue to the public log, in Chromium: a visitor with no account reports a
hub's post from their phone, citing the hub's code of conduct; the organiser finds it on Run
this hub, takes action on it from the report (the post is removed, with a reason and clause),
and the public moderation log shows the action and the report is no longer open.
Screenshots: test-artifacts/moderation/."""

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
SHOTS = REPO / "test-artifacts" / "moderation"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
CODE = "How we organise.\n\n1. Be kind.\n2. Never publish anyone's address or phone number.\n"


@pytest.fixture(scope="module")
def hub_post(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, str]]:
    """An instance with maria's hub, its code of conduct, and a post that breaks clause 2."""
    root: Path = tmp_path_factory.mktemp("moderation")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--organizer", "maria")  # fmt: skip
    (root / "code.md").write_text(CODE)
    a.cli("conduct", "set", "--data", a.data, "--hub", "dockers", "--file", root / "code.md",
          "--as", "maria")  # fmt: skip
    (root / "post.md").write_text("---\ntitle: The foreman lives here\n---\n"
                                  "Go and shout at 12 Harbour Row, 555-0142.\n")  # fmt: skip
    post = a.cli("post", "--data", a.data, "dockers", "--as", "maria", "--kind", "update",
                 root / "post.md").stdout.strip()  # fmt: skip
    run_apart(a.start())
    try:
        yield a, post
    finally:
        run_apart(a.stop())
        a.drop_database()


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name)


def test_a_report_goes_from_the_queue_to_the_public_log(
    chromium: Any, hub_post: tuple[FedihubInstance, str]
) -> None:
    instance, post = hub_post
    base = instance.base_url

    # A visitor, not signed in, reports the post from their phone.
    visitor = chromium.new_context(**PHONE, locale="en-GB").new_page()
    visitor.goto(post)
    visitor.get_by_role("link", name="Report").first.click()
    expect(visitor.get_by_role("heading", name="Report to the moderators")).to_be_visible()
    shot(visitor, "1-report-form")
    visitor.get_by_label("What is wrong? (required)").fill("It gives a man's home address.")
    visitor.get_by_label("Which rule of the code of conduct").select_option("hub:2")
    visitor.get_by_role("button", name="Send the report").click()
    expect(visitor.get_by_role("status")).to_contain_text("your report was sent")
    shot(visitor, "2-report-sent")

    # The organiser finds it on Run this hub and acts on it from there.
    organiser = chromium.new_context(**PHONE, locale="en-GB").new_page()
    organiser.goto(base + "/signin?next=/hubs/dockers/manage")
    organiser.get_by_label("Username").fill("maria")
    organiser.get_by_label("Password").fill("organise-together")
    organiser.get_by_role("button", name="Sign in").click()
    organiser.wait_for_url(base + "/hubs/dockers/manage")
    expect(organiser.get_by_text("It gives a man's home address.")).to_be_visible()
    shot(organiser, "3-report-in-the-queue")
    organiser.get_by_role("link", name="Take action on this post").click()
    expect(organiser.get_by_role("heading", name="Remove a post from Dockworkers United"))\
        .to_be_visible()  # fmt: skip
    organiser.get_by_role("button", name="Remove from hub").click()  # nothing chosen yet
    assert "/moderate/post" in organiser.url  # the browser asks for the clause and the reason
    organiser.get_by_label("Which part of the code of conduct").select_option("hub:2")
    organiser.get_by_label("Why (shown in the public moderation log)").fill(
        "Home addresses are never posted here."
    )
    shot(organiser, "4-take-action")
    organiser.get_by_role("button", name="Remove from hub").click()
    organiser.wait_for_load_state()
    organiser.goto(base + "/hubs/dockers/manage")  # the report is answered: no longer open
    expect(organiser.get_by_role("heading", name="Run Dockworkers United")).to_be_visible()
    expect(organiser.get_by_text("It gives a man's home address.")).to_have_count(0)

    # The post is gone, and the public log says what was done, under which rule, and why.
    gone = visitor.goto(post)
    assert gone is not None and gone.status == 410
    visitor.goto(base + "/moderation")
    entry = visitor.get_by_text("Home addresses are never posted here.")
    expect(entry).to_be_visible()
    page = visitor.content()
    assert "post removed from the hub" in page
    assert "Hub code v1 §2: Never publish anyone" in page and "maria" in page
    shot(visitor, "5-public-log")
    visitor.goto(base + "/hubs/dockers/moderation")
    expect(visitor.get_by_text("Home addresses are never posted here.")).to_be_visible()
