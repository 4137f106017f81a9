"""The newsletter in Chromium, at a phone's width and a desktop's: a visitor subscribes, opens the
confirmation link from the mail the SMTP server on loopback received, confirms; the weekly issue
(an item with HTML in it, an event coming up in a hub) is read on its page, and the e-mail's
HTML part, as received, is loaded into Chromium: readable without images or scripts.
Screenshots: test-artifacts/newsletter/."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fedihub.kinds import registry
from fedihub.newswire import service as newswire
from fedihub.newswire.fields import read_form
from fedihub.services import services_for
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
SHOTS = REPO / "test-artifacts" / "newsletter"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


async def _submit(data: Path) -> None:
    async with services_for(data, registry()) as svc:
        await newswire.submit(svc, read_form({
            "headline": "Port <b>shutdown</b> holds", "summary": "<script>alert(1)</script>"
            " Dockers stayed out for a third day.", "tags": "labour", "place": "Oakland",
            "link": "https://news.example/port"}))  # fmt: skip


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[tuple[FedihubInstance, SmtpServer]]:
    root: Path = tmp_path_factory.mktemp("newsletter")
    with smtp_server() as smtp:
        a = FedihubInstance(root, "a", cluster=suite_cluster)
        a.init()
        with (a.data / "config.toml").open("a") as f:
            f.write(smtp.settings() + 'newswire_review = "none"\n' + not_due())
        (root / "pw").write_text("organise-together\n")
        a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
        a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
              "--organizer", "maria", "--timezone", "America/New_York")  # fmt: skip
        day = dt.date.today() + dt.timedelta(days=2)
        (root / "event.md").write_text(
            f"---\ntitle: Teach-in on the port shutdown\nstart: {day} 18:00\nend: {day} 20:00\n"
            "timezone: America/New_York\nlocation: {name: Union hall, locality: Oakland}\n"
            "---\nBring a friend.\n"
        )
        a.cli("post", "--data", a.data, "dockers", "--as", "maria", "--kind", "event",
              root / "event.md")  # fmt: skip
        run_apart(_submit(a.data))
        run_apart(a.start())
        try:
            yield a, smtp
        finally:
            run_apart(a.stop())
            a.drop_database()


def shot(page: Any, name: str, audit: bool = True) -> None:
    kept(page, SHOTS, name, audit=audit)


def test_subscribing_confirming_and_reading_the_newsletter_and_its_mail(
    chromium: Any, site: tuple[FedihubInstance, SmtpServer]
) -> None:
    instance, smtp = site
    base = instance.base_url
    phone = chromium.new_context(**PHONE, locale="en-GB").new_page()
    phone.goto(f"{base}/newswire/subscribe")
    shot(phone, "1-subscribe")
    phone.get_by_label("Your e-mail address").fill("ana@example.org")
    phone.get_by_role("button", name="Subscribe").click()
    expect(phone.get_by_role("status")).to_contain_text("Check your inbox")
    shot(phone, "2-check-your-inbox")

    (confirmation,) = smtp.wait_for(1)
    link = re.search(r"(http://\S+/newswire/subscribe/confirm/\S+)", confirmation.part("plain"))
    assert link is not None
    # Opened from the mail client: another browser, no cookie of this site.
    from_mail = chromium.new_context(**PHONE, locale="en-GB").new_page()
    from_mail.goto(link.group(1))
    shot(from_mail, "3-confirm")
    from_mail.get_by_role("button", name="Confirm my subscription").click()
    expect(from_mail.get_by_role("status")).to_contain_text("You are subscribed")
    shot(from_mail, "4-subscribed")

    out = instance.cli("newswire", "newsletter", "send-now", "--data", instance.data).stdout
    issue_id = re.search(r"issue (\d+)", out)
    assert issue_id is not None, out
    received = smtp.wait_for(2)
    issue_mail = received[-1]
    assert issue_mail.recipients == ["ana@example.org"]

    for name, context in (("phone", PHONE), ("desktop", DESKTOP)):
        page = chromium.new_context(**context, locale="en-GB").new_page()
        page.goto(f"{base}/newswire/newsletters/{issue_id.group(1)}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("newsletter")
        expect(page.get_by_role("heading", name="#labour")).to_be_visible()
        expect(page.get_by_role("link", name="Port <b>shutdown</b> holds")).to_be_visible()
        expect(page.get_by_role("link", name="Teach-in on the port shutdown")).to_be_visible()
        shot(page, f"5-issue-{name}")

    # The mail's HTML part as received, without scripts (a mail client runs none) or images.
    html = issue_mail.part("html")
    assert "<script" not in html and "<img" not in html
    for name, context in (("phone", PHONE), ("desktop", DESKTOP)):
        reader = chromium.new_context(**context, java_script_enabled=False).new_page()
        reader.set_content(html)
        expect(reader.get_by_role("link", name="Port <b>shutdown</b> holds")).to_be_visible()
        expect(reader.get_by_role("link", name="Teach-in on the port shutdown")).to_be_visible()
        expect(reader.get_by_role("link", name="Unsubscribe")).to_be_visible()
        shot(reader, f"6-mail-{name}", audit=False)
        size = reader.locator("body").evaluate("b => getComputedStyle(b).fontSize")
        assert float(size.removesuffix("px")) >= 16
