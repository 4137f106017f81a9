"""Dispatch in Chromium against a real `fedihub serve` that mails through an SMTP server on
loopback: at a desktop's width the hub's organiser opens the dispatch board, picks the shift,
ticks the volunteer it proposes and assigns her; at a phone's width the volunteer opens the
link from the mail she received (in Spanish, her language) and confirms; the site's list of who
is coming, on a phone, shows her and checks her in. Every page passes the accessibility audit
and never scrolls sideways. Screenshots: test-artifacts/volunteer-dispatch/."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fedihub.actors import store as actors
from fedihub.kinds import registry
from fedihub.posts import service as posts
from fedihub.services import services_for
from fedihub.volunteers import sites_store, store
from fedihub.volunteers.model import ALL_SLOTS, SignUp, skill_bits
from tests.support.instances import REPO, FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.smtp import SmtpServer, not_due, smtp_server
from tests.support.threads import run_apart
from tests.web.conftest import CHROMIUM
from tests.web.screens import kept

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "volunteer-dispatch"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
ZONE = "America/New_York"
DAY = 86_400.0


def sign_up(name: str, email: str, language: str, skills: tuple[str, ...]) -> SignUp:
    return SignUp(
        name=name, email=email, phone="+1 555 0100", phone_key=f"+1555{len(name)}{len(email)}",
        handle=None, languages=("es", "en"), skills=skill_bits(skills), other_skills="",
        availability=ALL_SLOTS, area="Red Hook", transport="bike", notes="", consent_months=3,
        language=language,
    )  # fmt: skip


async def _effort(data: Path) -> None:
    """A site, a shift two days on (a post of the kind `shift`) and two volunteers."""
    async with services_for(data, registry()) as svc:
        hub = await actors.get_actor(svc.db, "group", "sandy")
        assert hub is not None
        now = time.time()
        async with svc.db.transaction() as tx:
            await sites_store.add_site(tx, hub.id, "Red Hook Initiative", "Red Hook",
                                       "767 Hicks St, Brooklyn", "Boots, gloves, a mask",
                                       now)  # fmt: skip
            await store.insert_volunteer(
                tx,
                hub.id,
                sign_up("Ana Reyes", "ana@help.example", "es", ("cleanup", "first_aid")),
                "t1",
                now,
            )
            await store.insert_volunteer(tx, hub.id, sign_up(
                "Bo Chen", "bo@help.example", "en", ("cooking",)), "t2", now)  # fmt: skip
        # Soon enough that the site's coordinator may check people in at the end.
        soon = dt.datetime.now(ZoneInfo(ZONE)) + dt.timedelta(minutes=30)
        start, end = (f"{t:%Y-%m-%d %H:%M}" for t in (soon, soon + dt.timedelta(hours=4)))
        await posts.publish(svc, hub, None, "shift", (
            f"---\ntitle: Mucking out basements\nsite: Red Hook Initiative\n"
            f"start: {start}\nend: {end}\nneeded: 4\nskills: [cleanup]\n"
            "languages: es\n---\nBoots.\n"))  # fmt: skip


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, SmtpServer]]:
    root: Path = tmp_path_factory.mktemp("dispatch")
    with smtp_server() as smtp:
        a = FedihubInstance(root, "a", cluster=suite_cluster)
        a.init()
        with (a.data / "config.toml").open("a") as f:
            f.write(smtp.settings() + not_due())
        (root / "pw").write_text("organise-together\n")
        a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
        a.cli("hub", "create", "--data", a.data, "sandy", "--name", "Occupy Sandy",
              "--organizer", "maria", "--timezone", ZONE)  # fmt: skip
        run_apart(_effort(a.data))
        run_apart(a.start())
        try:
            yield a, smtp
        finally:
            run_apart(a.stop())
            a.drop_database()


def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name)


def targets_too_small(page: Any) -> list[str]:
    """Buttons under 44 px, or text fields under 16 px, on a phone."""
    return list(
        page.evaluate("""() => [...document.querySelectorAll('main button')]
      .filter(b => b.getBoundingClientRect().height < 44 || b.getBoundingClientRect().width < 44)
      .map(b => b.textContent.trim())""")
    )


def test_assigning_from_the_board_and_confirming_from_the_mail(
    chromium: Any, site: tuple[FedihubInstance, SmtpServer]
) -> None:
    instance, smtp = site
    base = instance.base_url
    desk = chromium.new_context(**DESKTOP, locale="en-GB").new_page()
    desk.goto(f"{base}/signin?next=/hubs/sandy/volunteers/board")
    desk.get_by_label("Username").fill("maria")
    desk.get_by_label("Password").fill("organise-together")
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Dispatch board: Occupy Sandy")
    row = desk.locator("table.board tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Red Hook Initiative")
    expect(row).to_contain_text("(America/New_York)")
    shot(desk, "1-board-desktop")
    row.get_by_role("link", name="Mucking out basements").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Mucking out basements")
    proposed = desk.locator("section#proposed, section[aria-labelledby=proposed]")
    names = proposed.locator("tbody label").all_inner_texts()
    assert names == ["Ana Reyes", "Bo Chen"]  # the one with the skill first
    expect(proposed.locator("tbody tr").first).to_contain_text("Clean-up and mucking out")
    shot(desk, "2-shift-desktop")
    desk.get_by_label("Ana Reyes").check()
    desk.get_by_role("button", name="Assign").click()
    expect(desk.get_by_role("status")).to_contain_text("Asked")
    asked = desk.locator("section[aria-labelledby=asked]")
    expect(asked).to_contain_text("Ana Reyes")
    expect(asked).to_contain_text("Invited, no answer yet")
    assert proposed.locator("tbody label").all_inner_texts() == ["Bo Chen"]
    shot(desk, "3-assigned-desktop")

    (mail,) = smtp.wait_for(1)
    assert mail.recipients == ["ana@help.example"]
    text = mail.part("plain")
    assert "767 Hicks St, Brooklyn" in text and "Boots, gloves, a mask" in text
    assert "(America/New_York)" in text and "Bo Chen" not in text
    link = re.search(r"(http://\S+/volunteer/answer/[A-Za-z0-9_-]+\?choice=confirm)", text)
    assert link is not None
    # Opened from the mail client on her phone: another browser, no cookie of this site.
    phone = chromium.new_context(**PHONE, locale="es-ES").new_page()
    phone.goto(link.group(1))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mucking out basements")
    expect(phone.locator("main")).to_contain_text("767 Hicks St, Brooklyn")
    assert targets_too_small(phone) == []
    shot(phone, "4-answer-phone")
    phone.get_by_role("button", name="Puedo ir", exact=True).click()
    expect(phone.get_by_role("status").first).to_contain_text("estás confirmado")
    shot(phone, "5-confirmed-phone")

    desk.reload()
    expect(desk.locator("section[aria-labelledby=asked]")).to_contain_text("Confirmed")
    # The site's list of who is coming, on the organiser's phone: check her in.
    ((site_id,),) = instance.query("SELECT id FROM volunteer_sites")
    coordinator = chromium.new_context(**PHONE, locale="en-GB")
    coordinator.add_cookies(desk.context.cookies())
    on_site = coordinator.new_page()
    on_site.goto(f"{base}/hubs/sandy/volunteers/sites/{site_id}/coming")
    expect(on_site.locator(".person")).to_contain_text("Ana Reyes")
    expect(on_site.get_by_role("link", name="+1 555 0100")).to_be_visible()
    assert targets_too_small(on_site) == []
    shot(on_site, "6-coming-phone")
    on_site.get_by_role("button", name="Check in").click()
    expect(on_site.get_by_role("status")).to_contain_text("Checked in.")
    expect(on_site.locator(".person")).to_contain_text("Checked in")
    shot(on_site, "7-checked-in-phone")
