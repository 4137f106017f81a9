"""An appeal in Chromium on a phone (390×844): the person warned appeals with their username and
password (no sign-in needed), the moderator who warned them is told another must review, an
admin overturns it, and the person sees the decision on the same page. Each page passes the
audit (16 px fields, 44 px targets, names, contrast). Screenshots land in
test-artifacts/appeals/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fedihub.accounts.service import require_account
from fedihub.hubs.service import require_hub
from fedihub.kinds import registry
from fedihub.moderation import log
from fedihub.moderation.authority import local_moderator
from fedihub.services import services_for
from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import AUDIT, CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "appeals"


async def warn(a: FedihubInstance) -> int:
    async with services_for(a.data, registry()) as svc:
        hub = await require_hub(svc.db, "dockers")
        maria = await local_moderator(svc, await require_account(svc.db, "maria"), hub)
        async with svc.db.transaction() as tx:
            return await log.record(tx, maria, "warn", target_uri=f"{a.base_url}/users/lo",
                                    target_label="lo", reason="Posted the same flyer 12 times.",
                                    now=svc.clock.now())  # fmt: skip


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, int]]:
    root: Path = tmp_path_factory.mktemp("appeals")
    (root / "pw").write_text("organise-together\n")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    for name, admin in (("maria", ()), ("rosa", ("--admin",)), ("lo", ())):
        a.cli("account", "create", "--data", a.data, name, "--password-file", root / "pw", *admin)
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--organizer", "maria")  # fmt: skip
    try:
        run_apart(a.start())
        yield a, run_apart(warn(a))
    finally:
        run_apart(a.stop())
        a.drop_database()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def checked(page: Any, name: str) -> None:
    assert page.evaluate(AUDIT) == []
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    shot(page, name)


def sign_in(context: Any, base_url: str, who: str) -> Any:
    page = context.new_page()
    page.goto(f"{base_url}/signin")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)
    return page


def phone(chromium: Any) -> Any:
    return chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                device_scale_factor=3, locale="en-GB")  # fmt: skip


def test_an_appeal_from_the_person_to_the_decision_on_a_phone(
    chromium: Any, site: tuple[FedihubInstance, int]
) -> None:
    a, entry = site
    appeal_url = f"{a.base_url}/moderation/{entry}/appeal"
    lo = phone(chromium)
    page = lo.new_page()
    page.goto(appeal_url)
    # Not signed in, the page does not say whom it is about or why: that is for them alone.
    expect(page.get_by_text("Only the person this decision is about")).to_be_visible()
    expect(page.get_by_text("Posted the same flyer 12 times.")).to_have_count(0)
    checked(page, "1-the-appeal-form")
    words = "They were 12 different meetings, one flyer each."
    page.get_by_label("Your appeal").fill(words)
    page.get_by_label("Username").fill("lo")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_role("alert")).to_have_text("That username and password do not match.")
    expect(page.get_by_label("Your appeal")).to_have_value(words)  # nothing typed is lost
    page.get_by_label("Password").fill("organise-together")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_text("Waiting for another moderator")).to_be_visible()
    expect(page.get_by_text("Posted the same flyer 12 times.")).to_be_visible()  # now, to them
    checked(page, "2-appeal-sent")
    lo.close()

    maria = phone(chromium)
    page = sign_in(maria, a.base_url, "maria")
    page.goto(f"{a.base_url}/hubs/dockers/manage")
    page.get_by_role("link", name="Appeals").click()
    expect(page.get_by_text(words)).to_be_visible()
    expect(page.get_by_text("You took this decision")).to_be_visible()
    checked(page, "3-the-moderator-who-warned")
    maria.close()

    rosa = phone(chromium)
    page = sign_in(rosa, a.base_url, "rosa")
    page.goto(f"{a.base_url}/hubs/dockers/appeals")
    checked(page, "4-another-moderator-reviews")
    page.get_by_label("Overturn: the decision was wrong").check()
    page.get_by_role("button", name="Decide").click()  # the note is required: the browser asks
    expect(page).to_have_url(f"{a.base_url}/hubs/dockers/appeals")
    page.get_by_label("Why").fill("One flyer per meeting is what the hub is for.")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status")).to_contain_text("Decided: overturned")
    expect(page.get_by_text("No appeals are waiting.")).to_be_visible()
    checked(page, "5-overturned")
    rosa.close()

    lo = phone(chromium)
    page = sign_in(lo, a.base_url, "lo")
    page.goto(appeal_url)
    expect(page.get_by_text("Reviewed: the decision is overturned.")).to_be_visible()
    expect(page.get_by_text("One flyer per meeting is what the hub is for.")).to_be_visible()
    checked(page, "6-the-person-sees-the-decision")
    lo.close()
