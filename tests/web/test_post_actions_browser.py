"""An organiser on a phone manages posts from their pages, in Chromium at 390×844: cancels an
event and closes a poll, each only once the box is ticked. Screenshots of each step land in
test-artifacts/post-actions/."""

from __future__ import annotations

import datetime as dt
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
SHOTS = REPO / "test-artifacts" / "post-actions"


@pytest.fixture(scope="module")
def posts(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, str, str]]:
    """An instance with maria's hub, an event and a poll in it: (instance, event, poll URLs)."""
    root: Path = tmp_path_factory.mktemp("manage")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    (root / "pw").write_text("organise-together\n")
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--organizer", "maria")  # fmt: skip
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)

    def post(kind: str, text: str) -> str:
        (root / "post.md").write_text(text)
        args = ("post", "--data", a.data, "dockers", "--as", "maria", "--kind", kind)
        return a.cli(*args, root / "post.md").stdout.strip()

    event = post("event", f"---\ntitle: Rally at the gates\nstart: {day} 18:00\n"
                          f"end: {day} 20:00\n---\nBring a banner.\n")  # fmt: skip
    poll = post("poll", f"---\ntitle: March on Saturday?\ncloses: {day} 12:00\n---\nSay.\n")
    run_apart(a.start())
    try:
        yield a, event, poll
    finally:
        run_apart(a.stop())
        a.drop_database()


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name, audit=False, fits=False)


def test_an_organiser_cancels_an_event_and_closes_a_poll_from_a_phone(
    chromium: Any, posts: tuple[FedihubInstance, str, str]
) -> None:
    instance, event, poll = posts
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   locale="en-GB")  # fmt: skip
    page = context.new_page()
    page.goto(f"{instance.base_url}/signin?next=" + event.removeprefix(instance.base_url))
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(event)
    manage = page.get_by_role("region", name="Manage this post")
    expect(manage).to_be_visible()
    assert page.evaluate(AUDIT) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    cancel = manage.get_by_role("button", name="Cancel it")
    box = cancel.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger's target
    shot(page, "1-event-manage")

    cancel.click()  # the box is not ticked: the browser holds the form back
    expect(page).to_have_url(event)
    expect(page.get_by_text("Cancelled: its followers")).to_have_count(0)
    manage.get_by_label("Yes, cancel it and tell its followers").check()
    shot(page, "2-event-confirm")
    cancel.click()
    expect(page).to_have_url(event + "?done=cancelled")
    expect(page.get_by_role("status")).to_have_text(
        "Cancelled: its followers and participants are told."
    )
    expect(page.locator("h1")).to_have_class("cancelled")
    expect(page.get_by_role("button", name="Cancel it")).to_have_count(0)
    assert page.evaluate(AUDIT) == []
    shot(page, "3-event-cancelled")

    page.goto(poll)
    manage = page.get_by_role("region", name="Manage this post")
    manage.get_by_label("Yes, end the vote now").check()
    shot(page, "4-poll-confirm")
    manage.get_by_role("button", name="Close the vote").click()
    expect(page).to_have_url(poll + "?done=closed")
    expect(page.get_by_role("status")).to_contain_text("Voting closed")
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(page.get_by_role("button", name="Close the vote")).to_have_count(0)
    # A poll's page has no h1 yet (issue 13, item 9): everything else passes the audit.
    assert [p for p in page.evaluate(AUDIT) if "h1" not in p] == []
    shot(page, "5-poll-closed")
    context.close()
