"""The public moderation log, /moderation and each hub's, as pages and Atom (read by
feedparser): every kind of action appears in words, in English and Spanish, with the scope,
clause, reason and who acted, and the instance's policy names or describes whom it was about."""

from __future__ import annotations

from dataclasses import replace

import feedparser
import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.hubs.service import create_hub, require_hub
from fedihub.moderation import log
from fedihub.moderation.authority import local_moderator
from fedihub.services import Services

# One action of each kind, as the words the log shows for it (English, Spanish).
WORDS = {
    "remove_post": ("post removed from the hub", "publicación retirada del hub"),
    "approve_post": ("held post approved", "publicación retenida aprobada"),
    "reject_post": ("held post turned down", "publicación retenida rechazada"),
    "warn": ("warned", "advertencia"),
    "ban": ("banned from the hub", "expulsión del hub"),
    "unban": ("ban lifted", "expulsión levantada"),
    "remove_member": ("removed from the hub", "sacado del hub"),
    "role_change": ("role changed", "cambio de papel"),
    "suspend": ("account suspended", "cuenta suspendida"),
    "unsuspend": ("suspension lifted", "suspensión levantada"),
    "silence_actor": ("silenced on this instance", "silenciado en esta instancia"),
    "block_actor": ("blocked on this instance", "bloqueado en esta instancia"),
    "unblock_actor": ("block lifted", "bloqueo levantado"),
    "silence_domain": ("server silenced", "servidor silenciado"),
    "block_domain": ("domain blocked", "dominio bloqueado"),
    "unblock_domain": ("domain block lifted", "bloqueo de dominio levantado"),
    "subscribe_blocklist": ("block list subscribed to", "suscripción a una lista de bloqueo"),
    "unsubscribe_blocklist": ("block list dropped", "lista de bloqueo abandonada"),
    "refresh_blocklist": ("block list refreshed", "lista de bloqueo actualizada"),
    "resolve_report": ("report resolved", "denuncia resuelta"),
    "forward_report": ("report forwarded to their server", "denuncia reenviada a su servidor"),
    "appeal_upheld": ("appeal heard: the action stands",
                      "apelación atendida: la medida se mantiene"),
    "appeal_overturned": ("appeal heard: the action is undone",
                          "apelación atendida: la medida se deshace"),
    "conduct_change": ("code of conduct changed", "código de conducta cambiado"),
    "reject_news": ("newswire item turned down", "noticia rechazada"),
    "unpublish_news": ("newswire item unpublished", "noticia retirada"),
}  # fmt: skip
HUB_ACTIONS = {"remove_post", "approve_post", "reject_post", "warn", "ban", "unban",
               "remove_member", "role_change", "resolve_report", "appeal_upheld"}  # fmt: skip
POSTS = {"remove_post", "approve_post", "reject_post", "reject_news", "unpublish_news"}
DOMAINS = {"silence_domain", "block_domain", "unblock_domain"}
LISTS = {"subscribe_blocklist", "unsubscribe_blocklist", "refresh_blocklist"}


def test_every_action_has_its_words() -> None:
    assert set(WORDS) == set(log.ACTIONS)


def target_of(action: str, services: Services) -> tuple[str, str]:
    """What each action is taken on: a remote person or post, one of ours, a server, a list."""
    base = services.config.base_url
    if action in DOMAINS:
        return f"{action}.example", f"{action}.example"
    if action in LISTS:
        return f"https://lists.example/{action}.csv", f"https://lists.example/{action}.csv"
    if action in ("suspend", "unsuspend", "role_change"):  # people here
        return f"{base}/users/bo", f"bo-{action}"
    if action in POSTS:
        return f"https://remote.example/notes/{action}", f"post-{action}"
    if action == "conduct_change":
        return "", "v3"
    return f"https://remote.example/users/{action}", f"@{action}@remote.example"


@pytest.fixture
async def every_action(services: Services) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_account(services.db, "root", "correct horse", is_admin=True)
    await create_account(services.db, "bo", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate strike",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip
    hub = await require_hub(services.db, "climate")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    async with services.db.transaction() as tx:
        for n, action in enumerate(log.ACTIONS):
            uri, label = target_of(action, services)
            await log.record(tx, ana if action in HUB_ACTIONS else root, action,
                             target_uri=uri, target_label=label, clause=f"Instance code v1 §{n}",
                             reason=f"reason-{action}", now=1_800_000_000.0 + n)  # fmt: skip


@pytest.mark.usefixtures("every_action")
@pytest.mark.parametrize("lang", ["en", "es"])
async def test_moderation_lists_each_action_on_the_page_and_its_atom(
    app_client: TestClient, services: Services, lang: str
) -> None:
    which = 0 if lang == "en" else 1
    page = await (await app_client.get("/moderation", headers={"Accept-Language": lang})).text()
    resp = await app_client.get("/moderation.atom", headers={"Accept-Language": lang})
    assert resp.status == 200 and resp.content_type == "application/atom+xml"
    assert "Accept-Language" in resp.headers["Vary"]
    feed = feedparser.parse(await resp.read())
    assert not feed.bozo and len(feed.entries) == len(log.ACTIONS)
    by_reason = {}
    for entry in feed.entries:
        reason = next(a for a in log.ACTIONS if f"reason-{a}<" in entry.summary)
        by_reason[reason] = entry
    for n, action in enumerate(log.ACTIONS):
        words = WORDS[action][which]
        assert f"reason-{action}" in page and f"Instance code v1 §{n}<" in page
        entry = by_reason[action]
        assert words in entry.title and words in entry.summary, (action, entry.title)
        assert words in page, action
        assert entry.author == ("ana" if action in HUB_ACTIONS else "root")
        _, label = target_of(action, services)
        if action == "conduct_change":  # the version it made, linked to that version's text
            label = "Version 3" if lang == "en" else "Versión 3"
            assert "/conduct?version=3" in entry.summary
        assert label in entry.summary and label in page
        scope = "Climate strike" if action in HUB_ACTIONS else (
            "this instance" if lang == "en" else "esta instancia")  # fmt: skip
        assert entry.title.startswith(scope)
    date = "2027" if lang == "en" else "de 2027"
    assert date in page  # Babel's date, in the reader's language
    hub_page = await (await app_client.get("/hubs/climate/moderation")).text()
    hub_feed = feedparser.parse(
        await (await app_client.get("/hubs/climate/moderation.atom")).read()
    )
    assert len(hub_feed.entries) == len(HUB_ACTIONS) and not hub_feed.bozo
    assert "reason-block_domain" not in hub_page and "reason-warn" in hub_page
    assert 'href="/moderation"' in hub_page  # instance-wide actions are there


@pytest.mark.usefixtures("every_action")
@pytest.mark.parametrize("policy", ["remote-only", "nobody"])
async def test_the_policy_describes_instead_of_naming(
    app_client: TestClient, services: Services, policy: str
) -> None:
    services.config = replace(services.config, moderation_log_names=policy)  # as /admin sets it
    page = await (await app_client.get("/moderation")).text()
    feed = feedparser.parse(await (await app_client.get("/moderation.atom")).read())
    text = page + "".join(e.summary + e.title for e in feed.entries)
    for action in ("suspend", "unsuspend", "role_change"):  # people here: never named
        assert f"bo-{action}" not in text
    assert "a member of this hub" in page and "a person on this instance" in page
    assert f"{services.config.base_url}/users/bo" not in text
    remote = ("@warn@remote.example", "post-remove_post", "https://remote.example/users/warn")
    for name in remote:
        assert (name in text) is (policy == "remote-only"), name
    if policy == "nobody":
        assert "a person on another server" in page and "a post on another server" in page
    for action in DOMAINS | LISTS:  # servers and lists: always named
        assert target_of(action, services)[1] in text
    es = await (await app_client.get("/moderation", headers={"Accept-Language": "es"})).text()
    assert "un miembro de este hub" in es


@pytest.mark.usefixtures("every_action")
async def test_the_log_pages_and_refuses_a_garbled_before(app_client: TestClient) -> None:
    first = await (await app_client.get("/moderation")).text()
    assert "?before=" not in first  # fewer than a page
    for garbage in ("x", "-1", "1e3", "9" * 30, "１"):
        resp = await app_client.get("/moderation", params={"before": garbage})
        assert resp.status == 400, garbage
        assert (await app_client.get("/moderation.atom", params={"before": garbage})).status == 400
    older = await (await app_client.get("/moderation", params={"before": "3"})).text()
    assert "reason-reject_post" not in older and "reason-approve_post" in older
    assert (await app_client.get("/hubs/nohub/moderation")).status == 404


@pytest.mark.usefixtures("every_action")
async def test_a_page_links_to_the_next_when_full(
    app_client: TestClient, services: Services
) -> None:
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    async with services.db.transaction() as tx:
        for n in range(log.PAGE):
            await log.record(tx, root, "block_domain", target_uri=f"spam{n}.example",
                             reason="spam", now=1_900_000_000.0 + n)  # fmt: skip
    page = await (await app_client.get("/moderation")).text()
    assert "spam49.example" in page and "reason-conduct_change" not in page
    link = page.split('href="/moderation?before=')[1].split('"')[0]
    rest = await (await app_client.get(f"/moderation?before={link}")).text()
    assert "reason-conduct_change" in rest and "spam49.example" not in rest
