"""Every page a visitor or organiser meets, audited in Chromium: landmarks, one h1 and headings
in order, a name for every control, link and image, WCAG AA contrast, and keyboard use (a skip
link first, then the follow box reached and submitted with the keyboard alone); and on a phone,
a small phone and a desktop at 200 % zoom: no sideways scrolling, 16 px text in fields and 44 px
targets. Screenshots of every page at each size land in test-artifacts/phone/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.web.conftest import AUDIT, CHROMIUM, Site

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-artifacts" / "phone"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

PAGES = ["/", "/directory", "/about", "/signin", "/signup", "/hubs/{slug}",
         "/hubs/{slug}/posts/1", "/lang/es?next=/hubs/{slug}",
         "/report?about={base}/hubs/{slug}/posts/1"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_the_page_passes_the_audit(chromium: Any, site: Site, path: str) -> None:
    page = chromium.new_page()
    try:
        base = site.instance.base_url
        response = page.goto(base + path.format(slug=site.slug, base=base))
        assert response is not None and response.status == 200
        assert page.evaluate(AUDIT) == []
    finally:
        page.close()


def test_the_audit_finds_what_it_looks_for(chromium: Any, site: Site) -> None:
    """The audit itself can fail: a page with each fault, each reported."""
    page = chromium.new_page()
    try:
        page.set_content(
            "<html><body><header><nav></nav></header><main><h1>A</h1><h1>B</h1>"
            '<input name="q"><img src="x.png"><a href="/x"></a>'
            '<p style="color:#aaa">faint</p><span tabindex="3">x</span></main><footer></footer>'
            "</body></html>"
        )
        found = " | ".join(page.evaluate(AUDIT))
    finally:
        page.close()
    faults = ("2 h1 headings", "no lang", "input without a name", "image without alt",
              "link without text", "positive tabindex", 'contrast 2.32 < 4.5: "faint"')  # fmt: skip
    for fault in faults:
        assert fault in found, fault


def test_a_keyboard_alone_skips_to_the_content_and_follows_from_its_own_server(
    chromium: Any, site: Site
) -> None:
    page = chromium.new_page()
    try:
        page.goto(site.hub_url)
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("Skip to content")
        expect(skip).to_be_visible()  # shown once focused
        page.keyboard.press("Enter")
        handle_box = page.locator("#your-handle")
        for _ in range(40):  # onwards through the content to the follow box
            if handle_box.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(handle_box).to_be_focused()
        page.keyboard.type("@nobody@invalid.example")
        with page.expect_response(lambda r: "/follow" in r.url) as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 400  # submitted by keyboard: the server answered it
    finally:
        page.close()


@dataclasses.dataclass(frozen=True)
class Pages:
    visitor: list[str]  # paths anyone sees
    organiser: list[str]  # paths maria, who runs the hub, sees signed in
    admin: list[str]  # paths the instance's admin sees


@pytest.fixture(scope="module")
def pages(site: Site) -> Pages:
    """Every page that gets a look: a poll and a proposal besides the site's posts, an admin,
    and a password-reset link."""
    a, root = site.instance, site.instance.data.parent
    paths = {}
    closes = f"closes: {dt.date.today() + dt.timedelta(days=5)} 18:00"
    for kind, text in [
        ("poll", f"---\n{closes}\noptions: [Monthly, Weekly]\n---\nHow often shall we meet?\n"),
        ("proposal", f"---\ntitle: Join the coalition\n{closes}\n---\nShall we sign up?\n"),
    ]:
        (root / f"{kind}.md").write_text(text)
        url = a.cli("post", "--data", a.data, site.slug, "--as", "maria", "--kind", kind,
                    root / f"{kind}.md").stdout.strip()  # fmt: skip
        paths[kind] = url.removeprefix(a.base_url)
    a.cli("account", "create", "--data", a.data, "ana", "--admin", "--password-file", root / "pw")
    (root / "code.md").write_text("We organise together.\n\n1. Be kind.\n2. No harassment.\n")
    a.cli("conduct", "set", "--data", a.data, "--file", root / "code.md", "--as", "ana")
    a.cli("conduct", "set", "--data", a.data, "--hub", site.slug, "--file", root / "code.md",
          "--as", "maria")  # fmt: skip
    reset = a.cli("account", "reset-link", "--data", a.data, "maria").stdout.split()[0]
    for what, name in (("domain", "spam.example"), ("actor", "https://spam.example/users/x")):
        a.cli(what, "block", "--data", a.data, name, "--reason", "Spam", "--clause", "1",
              "--as", "ana")  # fmt: skip
    hub = f"/hubs/{site.slug}"
    posts = [f"{hub}/posts/{n}" for n in range(1, 6)]  # update, minutes, event, cancelled, call
    return Pages(
        visitor=["/", "/directory", "/about", "/signin", "/signup", hub, *posts, paths["poll"],
                 paths["proposal"], paths["poll"] + "/live", "/lang/es?next=" + paths["poll"],
                 "/hubs/nobody-here", reset.removeprefix(a.base_url), "/conduct",
                 f"{hub}/conduct", "/moderation", f"{hub}/moderation",
                 f"/report?about={a.base_url}{hub}/posts/1"],
        organiser=["/", "/hubs/new", f"{hub}/compose", f"{hub}/manage", "/settings/password",
                   f"{hub}/posts/1/edit", paths["poll"], paths["proposal"], posts[2], posts[4],
                   f"{hub}/moderate/post?object={quote(a.base_url + posts[0], safe='')}",
                   f"{hub}/manage/conduct",
                   f"{hub}/moderate/person?actor={quote(a.base_url + '/users/ana', safe='')}"],
        admin=["/admin", "/admin/blocks?actor=https://spam.example/users/y&report=1",
               "/admin/conduct",
               "/admin/moderate/person?actor=" + quote(a.base_url + "/users/maria", safe="")],
    )  # fmt: skip


SIZES = {  # name: (width, height, device pixels per CSS pixel)
    "phone-390": (390, 844, 3),
    "phone-320": (320, 640, 2),
    "desktop-200-percent": (640, 360, 2),  # a 1280×720 window zoomed to 200 %
}


def signed_in(browser: Any, site: Site, size: tuple[int, int, int], who: str) -> Any:
    width, height, scale = size
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=scale, is_mobile=width < 600)  # fmt: skip
    if who:
        page = context.new_page()
        page.goto(site.instance.base_url + "/signin")
        page.get_by_label("Username").fill(who)
        page.get_by_label("Password").fill("organise-together")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/signin" not in url)
        page.close()
    return context


@pytest.fixture(scope="module")
def shots() -> Iterator[Path]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield SHOTS


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_a_phone_and_a_zoomed_window(
    chromium: Any, site: Site, pages: Pages, shots: Path, size: str
) -> None:
    found: dict[str, list[str]] = {}
    for who, paths in [("", pages.visitor), ("maria", pages.organiser), ("ana", pages.admin)]:
        context = signed_in(chromium, site, SIZES[size], who)
        try:
            page = context.new_page()
            for path in paths:
                response = page.goto(site.instance.base_url + path)
                assert response is not None
                if response.status != (404 if "nobody" in path else 200):
                    found[f"{who or 'visitor'} {path}"] = [f"status {response.status}"]
                    continue
                slug = "reset" if path.startswith("/reset/") else path.strip("/") or "home"
                name = f"{size}-{who or 'visitor'}-{slug.replace('/', '_').replace('?', '_')}"
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                if problems := page.evaluate(AUDIT):
                    found[f"{who or 'visitor'} {path}"] = problems
        finally:
            context.close()
    assert not found, "\n".join(f"{page}: {problems}" for page, problems in found.items())


def test_the_phone_checks_find_what_they_look_for(chromium: Any) -> None:
    """A page with each phone fault, each reported: sideways scrolling, small field text, small
    targets, headings out of order; a link inside a sentence passes."""
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><body><header><nav></nav></header><main><h1>A</h1><h3>Skipped</h3>'
            '<label>Name <input name="n" style="font-size:13px"></label>'
            '<button style="min-height:0;padding:0">Go</button>'
            '<p><a href="/x">Alone</a></p><p>Read <a href="/y">the rules</a> first.</p>'
            '<pre style="white-space:pre">' + "x" * 200 + "</pre></main><footer></footer>"
            "</body></html>"
        )
        found = " | ".join(page.evaluate(AUDIT))
    finally:
        context.close()
    faults = ("h1 followed by h3", "text of 13 px in a field", 'button "Go"', 'a "Alone"',
              "scrolls sideways", 'pre "xxx')  # fmt: skip
    for fault in faults:
        assert fault in found, (fault, found)
    assert '"the rules"' not in found  # inside a sentence: exempt
