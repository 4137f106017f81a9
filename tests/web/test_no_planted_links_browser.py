"""Links another server planted never run script here.

Older versions stored whatever ids and URLs other servers sent; a `javascript:` id printed as a
link was stored XSS. Two defences since: the inbox refuses (400) an activity with a non-http(s)
link at any depth, and every `href`/`src` in the templates goes through `http_url`. The first
tests send such activities, signed as Mastodon signs them, and expect 400. The browser tests
plant hostile values straight into the database of a real `fedihub serve` (as rows stored
before the inbox refused them), check that each shows up on its page, and that in Chromium no
link, image, form or frame on those pages resolves to anything but http(s); clicking each
planted link opens no dialog; every page carries the security headers and no inline script,
and the local-time script still runs under the Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors.render import PAGE_SIZE
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.remote import RemoteServer
from tests.support.threads import run_apart
from tests.web.conftest import CHROMIUM, ZONE, at

# The values a hostile server would plant; "{m}" is a marker saying where each was planted, so
# a link that gets through names its source (and so the page is seen to show the row at all).
HOSTILE = (
    "javascript:alert(document.domain)//{m}",
    "JaVaScRiPt:alert(1)//{m}",
    "  javascript:alert(1)//{m}",
    "java\tscript:alert(1)//{m}",
    "data:text/html,<script>alert(1)</script>#{m}",
    "vbscript:msgbox(1)'{m}",
    "javascript://127.0.0.1/%0aalert(1)//{m}",  # has a host part, so it looks like a URL
)
N = len(HOSTILE)


def marker(place: str, i: int) -> str:
    return f"planted-{place}-{i}"


def hostile(place: str, i: int) -> str:
    return HOSTILE[i].format(m=marker(place, i))


# Part 1 (no browser): the inbox refuses such links, signed or not, wherever they hide.

CREATE_CASES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "object.id": lambda obj, v: obj.__setitem__("id", v),
    "object.url": lambda obj, v: obj.__setitem__("url", v),
    "object.url as a Link": lambda obj, v: obj.__setitem__(
        "url", [{"type": "Link", "mediaType": "text/html", "href": v}]
    ),
    "object.inReplyTo": lambda obj, v: obj.__setitem__("inReplyTo", v),
    "object.attributedTo": lambda obj, v: obj.__setitem__("attributedTo", v),
    "a tag's href": lambda obj, v: obj["tag"][1].__setitem__("href", v),
    "an attachment's url": lambda obj, v: obj.__setitem__(
        "attachment", [{"type": "Document", "mediaType": "image/png", "url": v, "name": "x"}]
    ),
}
PLAIN = [h.format(m="") for h in HOSTILE]


def mastodon_create(remote: RemoteServer, n: int) -> tuple[Any, dict[str, Any]]:
    alice = remote.add_actor("alice", key="alice")
    create = load(
        "mastodon-create-note-mentioning-group",
        **{
            "https://mastodon.example/users/alice": alice.id,
            "https://mastodon.example": remote.base_url(),
        },
    )
    create["id"] = f"{alice.id}/statuses/{n}/activity"
    create["object"]["id"] = f"{alice.id}/statuses/{n}"
    return alice, create


async def refused_for_its_link(resp: Any) -> str | None:
    """None when the inbox answered 400 because of a link, else what it answered."""
    body = await resp.text()
    if resp.status == 400 and "only http(s) links are accepted" in body:
        return None
    return f"{resp.status} {body[:200]}"


async def test_a_clean_create_is_accepted(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    """The control: the same Create with only http(s) links gets through, so the 400s below
    are the link check's and not some other refusal."""
    alice, create = mastodon_create(remote, 1)
    resp = await remote.post(f"{services.config.base_url}/inbox", create, alice)
    assert resp.status == 202, await resp.text()


@pytest.mark.parametrize("where", CREATE_CASES)
async def test_a_create_with_a_planted_link_is_400(
    app_client: TestClient, services: Services, remote: RemoteServer, where: str
) -> None:
    wrong = {}
    for n, value in enumerate(PLAIN):
        alice, create = mastodon_create(remote, n)
        CREATE_CASES[where](create["object"], value)
        resp = await remote.post(f"{services.config.base_url}/inbox", create, alice)
        if (answer := await refused_for_its_link(resp)) is not None:
            wrong[value] = answer
    assert wrong == {}, f"{where}: accepted or refused for another reason"
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0


async def test_a_flag_naming_a_planted_link_is_400(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    alice = remote.add_actor("alice", key="alice")
    hub = f"{services.config.base_url}/hubs/climate"
    wrong = {}
    for n, value in enumerate(PLAIN):
        flag = {**load("mastodon-flag-from-instance-actor"), "id": f"{alice.id}/flags/{n}",
                "actor": alice.id, "object": [hub, value, f"{hub}/posts/1"]}  # fmt: skip
        resp = await remote.post(f"{services.config.base_url}/inbox", flag, alice)
        if (answer := await refused_for_its_link(resp)) is not None:
            wrong[value] = answer
    assert wrong == {}
    assert await services.db.fetchval("SELECT count(*) FROM inbox_items") == 0


# Part 2: a real instance with hostile rows in its database, looked at in Chromium.

BROWSER_MISSING = not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None
browser = pytest.mark.skipif(
    BROWSER_MISSING, reason=f"needs {CHROMIUM} (apt-get install chromium) and playwright"
)
with suppress(ImportError):  # without it the browser tests skip themselves
    from playwright.sync_api import expect

NETWORK_SENDER = "https://net.example.invalid/groups/neighbours"
PASSWORD = "organise-together"
EVENT = "Rally at the gates"
# Which planted rows each page shows, by the marker's place. The collections are looked at on
# their second page of three: collection.html only renders a page with both a `prev` and a
# `next` (see test_a_first_collection_page_renders_as_html). Every planted value is the href
# of a link whose text holds its marker (the value itself, or the item's name).
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "manage": ("/hubs/dockers/manage", ("queue", "follow", "join", "member", "report")),
    "admin": ("/admin", ("adminreport",)),
    "poll": ("{poll}", ("reply", "replyid")),
    "proposal": ("{proposal}", ("block",)),
    "dashboard": ("/hubs/dockers", ("network",)),
    "directory": ("/directory", ("group",)),
    "followers": ("/hubs/dockers/followers?page=2", ("follower",)),
    "following": ("/hubs/dockers/following?page=2", ("following",)),
    "moderators": ("/hubs/dockers/moderators?page=2", ("member",)),
}


@dataclass(frozen=True)
class Planted:
    instance: FedihubInstance
    paths: dict[str, str]  # page name -> path


def plant(instance: FedihubInstance, hub_id: int, poll_id: int, proposal_id: int) -> None:
    """Rows as an older version stored them, before the inbox refused non-http(s) links."""
    now = time.time()
    soon = now + 3 * 86_400
    with instance.writing() as conn:
        for i in range(N):

            def h(place: str, i: int = i) -> str:
                return hostile(place, i)

            t = now + i  # keeps the page order the planting order
            # Run this hub: a post held for moderators, follow and join requests, members.
            conn.execute(
                "INSERT INTO moderation_queue (hub_id, actor_uri, object_uri, activity, reason,"
                " state, received_at) VALUES (?, ?, ?, ?, 'not a member', 'pending', ?)",
                (hub_id, h("queueactor"), h("queue"),
                 json.dumps({"id": h("queueactivity"), "type": "Create"}), t),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO followers VALUES (?, ?, ?, 'pending', ?)",
                (hub_id, h("follow"), h("followactivity"), t),
            )
            conn.execute(
                "INSERT INTO followers VALUES (?, ?, ?, 'accepted', ?)",
                (hub_id, h("follower"), h("followeractivity"), t),
            )
            conn.execute(
                "INSERT INTO hub_members VALUES (?, ?, 'member', 'pending', ?, ?)",
                (hub_id, h("join"), h("joinactivity"), t),
            )
            conn.execute(
                "INSERT INTO hub_members VALUES (?, ?, 'moderator', 'member', ?, ?)",
                (hub_id, h("member"), h("memberactivity"), t),
            )
            conn.execute(
                "INSERT INTO following VALUES (?, ?, ?, 'accepted', ?)",
                (hub_id, h("following"), h("followingactivity"), t),
            )
            # Questions under the poll: one with a hostile author, one with only a hostile id.
            conn.execute(
                "INSERT INTO replies VALUES (?, ?, ?, ?, ?, NULL)",
                (h("replydoc"), poll_id, h("replyactor"), json.dumps({
                    "id": h("replydoc"), "type": "Note", "attributedTo": h("reply"),
                    "url": h("replyurl"), "content": f"<p>A question {i}</p>"}), t),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO replies VALUES (?, ?, ?, ?, ?, NULL)",
                (h("replyid"), poll_id, h("replyidactor"),
                 json.dumps({"id": h("replyid"), "type": "Note", "content": "<p>Why?</p>"}), t),
            )  # fmt: skip
            # Blocks under the proposal (Block is its fourth option).
            conn.execute(
                "INSERT INTO poll_votes (post_id, actor_uri, choice, vote_uri, counted, reason,"
                " voted_at) VALUES (?, ?, 3, ?, 1, 'This breaks our rules', ?)",
                (proposal_id, h("block"), h("blockvote"), t),
            )
            # From the network: what an actor the hub follows sent, in three shapes of url.
            urls: list[Any] = [h("networkurl"), [h("networkurl")],
                               {"type": "Link", "href": h("networkurl")}]  # fmt: skip
            document = {
                "id": h("networkid"), "type": "Event" if i % 2 else "Note",
                "name": f"Network item {marker('network', i)}", "url": urls[i % 3],
                "attributedTo": h("networkauthor"), "content": "<p>From next door</p>",
            }  # fmt: skip
            if i % 2:
                document["startTime"] = dt.datetime.fromtimestamp(soon, dt.UTC).isoformat()
            conn.execute(
                "INSERT INTO received_objects (uri, actor_uri, type, document, received_at,"
                " attributed_to) VALUES (?, ?, ?, ?, ?, ?)",
                (h("networkid"), NETWORK_SENDER, document["type"], json.dumps(document), t,
                 h("networkauthor")),
            )  # fmt: skip
            # Groups met elsewhere (/directory): a hostile url, and every other one a hostile id.
            group = h("groupuri") if i % 2 == 0 else f"https://groups.example.invalid/g/{i}"
            conn.execute(
                "INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document,"
                " fetched_at) VALUES (?, 'groups.example.invalid', 'Group', ?, ?, ?, ?)",
                (group, f"g{i}", h("groupinbox"), json.dumps({
                    "id": group, "type": "Group", "name": f"Group {marker('group', i)}",
                    "url": h("groupurl"), "summary": "<p>Neighbours</p>"}), t),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO following VALUES (?, ?, ?, 'accepted', ?)",
                (hub_id, group, f"https://hub.example.invalid/follows/group-{i}", t),
            )
        conn.execute(
            "INSERT INTO following VALUES (?, ?, 'https://hub.example.invalid/follows/net',"
            " 'accepted', ?)",
            (hub_id, NETWORK_SENDER, now),
        )
        # Harmless rows around the planted ones, so that they fill the middle page of each
        # collection: followers and following newest first, moderators oldest first.
        for k in range(PAGE_SIZE):
            for when in (now - 10_000 - k, now + 10_000 + k):
                who = f"https://members.example.invalid/users/{k}-{when:.0f}"
                conn.execute("INSERT INTO followers VALUES (?, ?, ?, 'accepted', ?)",
                             (hub_id, who, who + "#follow", when))  # fmt: skip
                conn.execute("INSERT INTO following VALUES (?, ?, ?, 'accepted', ?)",
                             (hub_id, who, who + "#followed", when))  # fmt: skip
                conn.execute("INSERT INTO hub_members VALUES (?, ?, 'moderator', 'member', ?, ?)",
                             (hub_id, who, who + "#join", when))  # fmt: skip
        # Reports about the hub (its organisers answer) and about a person (the admins do).
        for hub, place in ((hub_id, "report"), (None, "adminreport")):
            conn.execute(
                "INSERT INTO reports (hub_id, activity_uri, reporter_uri, objects, comment,"
                " received_at) VALUES (?, ?, ?, ?, 'Spam', ?)",
                (hub, hostile(f"{place}activity", 0), hostile(f"{place}er", 0),
                 json.dumps([hostile(place, i) for i in range(N)]), now),
            )  # fmt: skip


@pytest.fixture(scope="module")
def planted(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[Planted]:
    if BROWSER_MISSING:
        pytest.skip("no browser")
    root = tmp_path_factory.mktemp("planted")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    (root / "pw").write_text(PASSWORD + "\n")
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw",
          "--admin")  # fmt: skip
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--organizer", "maria", "--timezone", "America/New_York")  # fmt: skip

    def post(kind: str, text: str) -> str:
        (root / "post.md").write_text(text)
        args = ("post", "--data", a.data, "dockers", "--as", "maria", "--kind", kind)
        return a.cli(*args, root / "post.md").stdout.strip()

    closes = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 86_400))
    poll = post("poll", f"---\ncloses: {closes}\ntimezone: UTC\n---\nStrike on Monday?\n")
    proposal = post("proposal", f"---\ntitle: Join the strike fund\ncloses: {closes}\n"
                    "timezone: UTC\n---\nEach local puts in a share.\n")  # fmt: skip
    day = dt.datetime.now(ZONE).date() + dt.timedelta(days=4)
    start, end = at(day, 18), at(day, 20)
    post("event", f"---\ntitle: {EVENT}\nstart: {start:%Y-%m-%d %H:%M}\n"
         f"end: {end:%Y-%m-%d %H:%M}\nlocation: Union Hall\n---\nBring a banner.\n")  # fmt: skip
    (hub_id,) = a.query("SELECT id FROM local_actors WHERE username = 'dockers'")[0]
    plant(a, hub_id, int(poll.rsplit("/", 1)[1]), int(proposal.rsplit("/", 1)[1]))
    paths = {name: path.format(poll=poll, proposal=proposal).removeprefix(a.base_url)
             for name, (path, _) in PAGES.items()}  # fmt: skip
    run_apart(a.start())
    try:
        yield Planted(a, paths)
    finally:
        run_apart(a.stop())
        a.drop_database()


@pytest.fixture(scope="module")
def organiser(chromium: Any, planted: Planted) -> Iterator[Any]:
    """A phone in Paris (the hub is in New York), signed in as the hub's organiser; requests to
    any other server are cut, so a link that got through cannot lead anywhere."""
    base = planted.instance.base_url
    context = chromium.new_context(
        locale="en-GB", timezone_id="Europe/Paris", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    context.route(lambda url: not url.startswith(base + "/"), lambda route: route.abort())
    # Injected by the browser, not the page, so the policy does not stop it: it records every
    # violation of the Content-Security-Policy (a blocked script, a javascript: navigation…).
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.goto(f"{base}/signin")
    page.locator("#username").fill("maria")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.close()
    yield context
    context.close()


# Every element that makes the browser fetch or navigate, with the URL the browser resolved
# (the property, not the attribute: "  java\tscript:" resolves to "javascript:"). A form's
# `action` is read through the prototype: a control named "action" shadows the property.
LINKS_JS = """() => {
  const formAction = Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, "action").get;
  const anchors = [...document.querySelectorAll("a[href]")];
  const found = [];
  const add = (el, attr, url) => found.push({tag: el.tagName.toLowerCase(), attr,
    raw: el.getAttribute(attr), url: String(url), text: (el.textContent || "").trim(),
    index: anchors.indexOf(el)});
  for (const el of document.querySelectorAll("a[href], area[href], link[href], base[href]"))
    add(el, "href", el.href);
  for (const el of document.querySelectorAll(
      "img[src], iframe[src], script[src], embed[src], source[src], video[src], audio[src]"))
    add(el, "src", el.src);
  for (const el of document.querySelectorAll("form")) add(el, "action", formAction.call(el));
  for (const el of document.querySelectorAll("[formaction]")) add(el, "formaction", el.formAction);
  for (const el of document.querySelectorAll("object[data]")) add(el, "data", el.data);
  for (const f of found) { try { f.protocol = new URL(f.url).protocol; }
                           catch { f.protocol = "unparsable:"; } }
  return found;
}"""
INLINE_JS = """() => ({
  scripts: [...document.querySelectorAll("script:not([src])")].map(s => s.outerHTML),
  handlers: [...document.querySelectorAll("*")].flatMap(el => [...el.attributes]
    .filter(a => a.name.startsWith("on")).map(a => el.tagName + " " + a.name)),
})"""


def directives(policy: str) -> dict[str, list[str]]:
    parsed = (d.split() for d in policy.split(";") if d.strip())
    return {d[0].lower(): d[1:] for d in parsed}


@browser
@pytest.mark.parametrize("name", PAGES)
def test_planted_links_show_but_never_run(organiser: Any, planted: Planted, name: str) -> None:
    base = planted.instance.base_url
    page = organiser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    response = page.goto(base + planted.paths[name])
    assert response is not None and response.status == 200, name

    # The planted rows are on the page, each as a link: else this test would prove nothing.
    expected = {marker(place, i) for place in PAGES[name][1] for i in range(N)}
    text = page.evaluate("document.body.textContent")
    assert sorted(m for m in expected if m not in text) == [], f"{name}: rows not shown"
    links = page.evaluate(LINKS_JS)
    planted_links = [x for x in links if x["tag"] == "a" and "planted-" in x["text"]]
    linked = {m for m in expected if any(m in x["text"] for x in planted_links)}
    assert linked == expected, f"{name}: planted rows shown without their link"

    # What is wrong is gathered, so one run tells all of it.
    problems: list[str] = []
    # Headers: a policy without inline script, no framing, no sniffing.
    headers = response.headers
    script_src = directives(headers.get("content-security-policy", "")).get("script-src", [])
    if "'self'" not in script_src or {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(
        script_src
    ):
        problems.append(f"Content-Security-Policy: {headers.get('content-security-policy')!r}")
    for header, value in (("x-frame-options", "deny"), ("x-content-type-options", "nosniff")):
        if headers.get(header, "").lower() != value:
            problems.append(f"{header}: {headers.get(header)!r}")
    if not headers.get("referrer-policy"):
        problems.append("no Referrer-Policy")

    # Nothing the page links, loads or submits to has any scheme but http(s); but for our own
    # calendars' webcal: subscriptions (the webcal filter makes them of http(s) addresses only).
    web = ("http:", "https:")
    ours = base.replace("http://", "webcal://", 1).replace("https://", "webcal://", 1) + "/"

    def own_calendar(x: dict[str, Any]) -> bool:
        return x["url"].startswith(ours) and x["url"].endswith("/calendar.ics")

    for x in links:
        if x["protocol"] not in web and not (x["protocol"] == "webcal:" and own_calendar(x)):
            problems.append(f"<{x['tag']} {x['attr']}={x['raw']!r}> resolves to {x['url']!r}"
                            f" (text: {x['text'][:80]!r})")  # fmt: skip
        if x["tag"] == "script" and not x["url"].startswith(base + "/static/"):
            problems.append(f"script from {x['url']}")

    # Click every planted link, but for one to another http(s) page (a group's own id): the
    # "#" the filter leaves, and anything that got through. No dialog may open.
    here = page.url.split("#")[0]
    for x in planted_links:
        if x["protocol"] in web and x["url"].split("#")[0] != here:
            assert x["url"].startswith("https://groups.example.invalid/"), x
            continue
        page.locator("a[href]").nth(x["index"]).click()
        if page.url.split("#")[0] != here:
            problems.append(f"{x['text']!r} led to {page.url}")
            page.go_back()
    problems += [f"a planted link ran script: {d}" for d in dialogs]

    # No inline script nor handler the policy would have to allow; nothing was blocked.
    inline = page.evaluate(INLINE_JS)
    problems += [f"inline script: {s[:120]}" for s in inline["scripts"]]
    problems += [f"inline handler: {h}" for h in inline["handlers"]]
    problems += [f"blocked by the policy: {v}" for v in page.evaluate("window.__violations")]
    assert problems == [], f"{name}:\n" + "\n".join(problems)
    page.close()


@browser
def test_local_time_still_runs_under_the_policy(organiser: Any, planted: Planted) -> None:
    page = organiser.new_page()
    response = page.goto(planted.instance.base_url + "/hubs/dockers")
    assert response is not None and "script-src 'self'" in response.headers.get(
        "content-security-policy", ""
    )
    section = page.locator("section[aria-labelledby=upcoming], section[aria-labelledby=next]")
    event = section.locator(".item").filter(has=page.get_by_role("heading", name=EVENT))
    expect(event).to_have_count(1)
    # The viewer is in Paris: the script adds their time beside New York's.
    expect(event.locator(".local-time")).to_contain_text("your time: ")
    assert page.evaluate("window.__violations") == []
    page.close()


@browser
def test_a_first_collection_page_renders_as_html(organiser: Any, planted: Planted) -> None:
    page = organiser.new_page()
    response = page.goto(planted.instance.base_url + "/hubs/dockers/followers?page=1")
    assert response is not None and response.status == 200
    page.close()
