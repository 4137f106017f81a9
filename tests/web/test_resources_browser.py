"""Needs and offers on a phone, in Chromium against a real `fedihub serve`: a visitor narrows the
instance's list by side, category and place; the hub's organiser answers a match from the
dashboard (accepts it, then says 20 of the 50 arrived) and sees what is still needed. Every page
passes the accessibility audit, never scrolls sideways at 390 px, and its fields and buttons are
16 px and 44 px. Screenshots: test-artifacts/resources/.

The table is filled straight into the instance's database, as the kinds and the matcher would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fedihub.resources.store import INTENT_COLUMNS
from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
from tests.web.screens import SMALL_ON_A_PHONE, kept  # noqa: E402

SHOTS = REPO / "test-artifacts" / "resources"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
REMOTE = "https://far.example/groups/tampa"
DAY = 86_400


def row(uri: str, hub_uri: str, side: str, title: str, category: str, quantity: int | None,
        remaining: int | None, unit: str, place: str, until_at: float | None, published: float,
        post_id: int | None = None) -> tuple[Any, ...]:  # fmt: skip
    words = " ".join(w.lower() for w in title.split() if len(w) > 2)
    day = None if until_at is None else dt.datetime.fromtimestamp(until_at, dt.UTC).date()
    return (uri, hub_uri, hub_uri.split("/")[2].lower(), side, title, category, words, quantity,
            remaining, unit, place, None, None, until_at, "open", post_id, published,
            published, day.isoformat() if day else None)  # fmt: skip


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[FedihubInstance]:
    """maria's hub with a need (a real post), an offer and a shelter need, a remote offer that
    fits the need, and their match."""
    root: Path = tmp_path_factory.mktemp("resources")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "vancouver", "--name", "Vancouver Tenants",
          "--organizer", "maria")  # fmt: skip
    (root / "need.md").write_text("---\ntitle: Warm sleeping bags\n---\nFifty, for the camp.\n")
    post_uri = a.cli("post", "--data", a.data, "vancouver", "--as", "maria", "--kind", "update",
                     root / "need.md").stdout.strip()  # fmt: skip
    ((post_id,),) = a.query("SELECT id FROM posts")
    hub = f"{a.base_url}/hubs/vancouver"
    ((now,),) = a.query("SELECT published_at FROM posts")
    rows = [
        row(
            post_uri,
            hub,
            "need",
            "Warm sleeping bags",
            "bedding",
            50,
            50,
            "sleeping bags",
            "Vancouver, BC",
            now + 30 * DAY,
            now,
            post_id,
        ),
        row(
            f"{hub}/posts/900",
            hub,
            "offer",
            "A van on Saturdays",
            "transport",
            None,
            None,
            "",
            "East Vancouver",
            None,
            now - 60,
        ),
        row(
            f"{hub}/posts/901",
            hub,
            "need",
            "Tarps for the kitchen tent",
            "shelter",
            12,
            12,
            "tarps",
            "Strathcona, Vancouver",
            now + 9 * DAY,
            now - 120,
        ),
        row(
            f"{REMOTE}/posts/7",
            REMOTE,
            "offer",
            "Sleeping bags from Tampa",
            "bedding",
            80,
            80,
            "sleeping bags",
            "Tampa, FL",
            None,
            now - 30,
        ),
    ]
    with a.writing() as db:
        for values in rows:
            db.execute(f"INSERT INTO resource_intents ({INTENT_COLUMNS}) VALUES"
                       f" ({', '.join('?' for _ in values)})", values)  # fmt: skip
        db.execute(
            "INSERT INTO resource_matches (hub_id, need_uri, offer_uri, score, found_by,"
            " created_at, updated_at) SELECT id, ?, ?, 0.91, 'here', ?, ? FROM local_actors"
            " WHERE username = 'vancouver'",
            (post_uri, f"{REMOTE}/posts/7", now, now),
        )
    run_apart(a.start())
    try:
        yield a
    finally:
        run_apart(a.stop())
        a.drop_database()


def checked(page: Any, name: str) -> None:
    """A screenshot, and what a phone needs of the page."""
    kept(page, SHOTS, name, checks=[SMALL_ON_A_PHONE])


def titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("article.intent h3 a").all_inner_texts()]


def test_a_visitor_narrows_the_list_on_a_phone(chromium: Any, site: FedihubInstance) -> None:
    page = chromium.new_context(**PHONE, locale="en-GB").new_page()
    page.goto(site.base_url + "/")
    nav = page.get_by_role("navigation", name="Site")
    nav.get_by_role("link", name="Needs and offers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs and offers")
    assert titles(page) == ["Warm sleeping bags", "A van on Saturdays",
                            "Tarps for the kitchen tent"]  # fmt: skip
    expect(page.locator("article.intent").first).to_contain_text("50 sleeping bags")
    expect(page.locator("article.intent").first).to_contain_text("Needed by")
    checked(page, "1-list")
    page.get_by_label("Needs or offers").select_option("need")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{site.base_url}/resources?side=need&category=&place=")
    assert titles(page) == ["Warm sleeping bags", "Tarps for the kitchen tent"]
    page.get_by_label("Category").select_option("shelter")
    page.get_by_role("button", name="Show").click()
    assert titles(page) == ["Tarps for the kitchen tent"]
    page.get_by_label("Category").select_option("")
    page.get_by_label("Place").fill("strathcona")
    page.get_by_role("button", name="Show").click()
    assert titles(page) == ["Tarps for the kitchen tent"]
    expect(page.get_by_role("status")).to_contain_text("Only those that fit the filters")
    checked(page, "2-filtered")
    page.get_by_role("link", name="Show everything").click()
    assert len(titles(page)) == 3
    # The hub's own list, from its page.
    page.goto(site.base_url + "/hubs/vancouver")
    page.get_by_role("link", name="Needs and offers").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Needs and offers of Vancouver Tenants")  # fmt: skip
    checked(page, "3-hub-list")


def test_the_organiser_answers_a_match_on_a_phone(chromium: Any, site: FedihubInstance) -> None:
    page = chromium.new_context(**PHONE, locale="en-GB").new_page()
    page.goto(site.base_url + "/signin?next=/hubs/vancouver")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    section = page.locator("section.resources")
    expect(section.get_by_role("heading", name="Matches to answer")).to_be_visible()
    match = section.locator("article.match")
    expect(match).to_contain_text("Sleeping bags from Tampa")
    expect(match).to_contain_text("score 0.91")
    section.scroll_into_view_if_needed()
    checked(page, "4-dashboard")
    match.get_by_role("button", name="Accept").click()
    expect(page.locator("section.resources").get_by_role("status")).to_contain_text(
        "Match accepted"
    )
    match = page.locator("section.resources article.match")
    expect(match).to_contain_text("accepted")
    match.get_by_label("Delivered (empty: all of it)").fill("20")
    match.get_by_role("button", name="Fulfilled").click()
    expect(page.locator("section.resources").get_by_role("status")).to_contain_text(
        "Partly fulfilled"
    )
    expect(page.locator("section.resources")).to_contain_text("30 of 50 sleeping bags still needed")
    checked(page, "5-partly-fulfilled")
    # Too many: the dashboard again, the error beside the match and the number kept.
    match = page.locator("section.resources article.match")
    match.get_by_label("Delivered (empty: all of it)").fill("45")
    match.get_by_role("button", name="Fulfilled").click()
    expect(page.get_by_role("alert")).to_contain_text("more than the 30 still needed")
    expect(page.get_by_label("Delivered (empty: all of it)")).to_have_value("45")
    checked(page, "6-refused")
