"""The live tally a facilitator shares on a call, in Chromium: votes cast while the page is open
show up without a reload (server-sent events), and the result line for the minutes follows."""

from __future__ import annotations

import time
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
SHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def poll(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, str]]:
    root: Path = tmp_path_factory.mktemp("live")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    (root / "pw").write_text("organise-together\n")
    for name in ("maria", "ana", "ben", "cleo"):
        a.cli("account", "create", "--data", a.data, name, "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--organizer", "maria")  # fmt: skip
    closes = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 86_400))
    (root / "poll.md").write_text(f"---\ncloses: {closes}\n---\nStrike on Monday?\n")
    url = a.cli("post", "--data", a.data, "dockers", "--as", "maria", "--kind", "poll",
                root / "poll.md").stdout.strip()  # fmt: skip
    run_apart(a.start())
    try:
        yield a, url
    finally:
        run_apart(a.stop())
        a.drop_database()


def test_the_live_tally_updates_while_votes_arrive(
    chromium: Any, poll: tuple[FedihubInstance, str]
) -> None:
    instance, url = poll
    page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    assert page.goto(f"{url}/live").status == 200
    agree, disagree = page.locator('[data-option="0"]'), page.locator('[data-option="1"]')
    expect(agree).to_have_text("0")
    expect(page.locator("#blocks")).to_be_hidden()  # a straw poll has no blocks
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    def cast(voter: str, option: str) -> None:
        instance.cli("vote", "--data", instance.data, "--as", voter, url, option)

    cast("ana", "Agree")
    expect(agree).to_have_text("1")
    cast("ben", "Agree")
    cast("cleo", "Disagree")
    expect(agree).to_have_text("2")
    expect(disagree).to_have_text("1")
    expect(page.locator("#voters")).to_have_text("3")
    expect(page.locator("#result")).to_have_value(
        '"Strike on Monday?": Agree 2 · Disagree 1 · I have questions 0 (3 voters; so far)'
    )
    assert page.locator('[data-bar="0"]').evaluate("e => e.style.width") == "67%"
    assert page.evaluate("window.stillTheSamePage") is True

    instance.cli("close", "--data", instance.data, "dockers", url.rsplit("/", 1)[1],
                 "--as", "maria")  # fmt: skip
    expect(page.locator("#status")).to_have_text("Closed")
    expect(page.locator("#result-label")).to_have_text("Result")
    expect(page.locator("#result")).to_have_value(
        '"Strike on Monday?": Agree 2 · Disagree 1 · I have questions 0 (3 voters; final)'
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "live-tally.png"), full_page=True)
