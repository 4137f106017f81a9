"""Every word the server writes in the reader's language (issue 13, items 6 and 7): what a
Spanish hub's events, calls, polls and proposals federate (content and contentMap.es), pages
with Babel's dates and translated lines, calendars to subscribe to, the feed's page for people,
and error pages that say what happened without a socket's words, with a way back."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import feedparser
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.app import create_app
from fedihub.config import Config, split_host_port
from fedihub.hubs.service import create_hub
from fedihub.keys import inbox_worker_key, services_key
from fedihub.posts import service as posts
from fedihub.services import Services
from fedihub.web.respond import webcal
from tests.support.fixtures import load
from tests.support.remote import RemoteServer

AP = {"Accept": "application/activity+json"}
SPANISH = {"Accept": "text/html", "Accept-Language": "es"}
ENGLISH = {"Accept": "text/html", "Accept-Language": "en"}

EVENT = """---
title: Asamblea
start: 2026-12-07 19:00
end: 2026-12-07 21:00
location: {name: Local vecinal, street: Calle Mayor 1, locality: Madrid}
capacity: 40
---
Trae a alguien."""
CALL = """---
title: Llamada semanal
start: 2026-12-08 20:00
end: 2026-12-08 21:00
schedule: FREQ=WEEKLY;BYDAY=TU
dial_in: "+34 900 000 000"
access_code: "0123"
---
Orden del día abierto."""
POLL = "---\ncloses: 2026-12-09 20:00\n---\n¿Marchamos el sábado?"
PROPOSAL = "---\ntitle: Compartir la furgoneta\ncloses: 2026-12-09 20:00\n---\nLa propuesta."


async def a_hub(services: Services, slug: str, languages: str) -> LocalActor:
    await create_hub(services.db, slug, name=slug.title(), timezone="Europe/Madrid",
                     languages=languages)  # fmt: skip
    found = await store.get_actor(services.db, "group", slug)
    assert found is not None
    return found


async def published(services: Services, hub: LocalActor, kind: str, text: str) -> str:
    post = await posts.publish(services, hub, None, kind, text)
    return f"/hubs/{hub.username}/posts/{post.id}"


async def document(client: TestClient, path: str) -> dict[str, Any]:
    resp = await client.get(path, headers=AP)
    assert resp.status == 200
    found: dict[str, Any] = json.loads(await resp.text())
    return found


def visible(page: str) -> str:
    """The page's text as read: no tags, so attributes (datetime="…") do not count."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


async def test_a_spanish_hubs_event_and_call_federate_in_spanish(
    app_client: TestClient, services: Services
) -> None:
    hub = await a_hub(services, "barrio", "es")
    event = await document(app_client, await published(services, hub, "event", EVENT))
    assert event["summary"].startswith("lunes, 7 de diciembre de 2026, 19:00–21:00 (Europe/Madrid)")
    assert "Dónde: Local vecinal, Calle Mayor 1, Madrid" in event["content"]
    assert "40 plazas, luego lista de espera" in event["content"]
    assert event["contentMap"] == {"es": event["content"]}
    assert event["summaryMap"] == {"es": event["summary"]}
    call = await document(app_client, await published(services, hub, "call", CALL))
    assert call["summary"].startswith("Se repite cada semana el martes a las 20:00 (Europe/Madrid)")
    assert "por teléfono +34 900 000 000, código de acceso 0123" in call["summary"]
    assert "Por teléfono: +34 900 000 000 (código de acceso 0123)" in call["content"]
    assert call["contentMap"] == {"es": call["content"]}
    for english in ("Where:", "Repeats", "Dial in", "access code", "Monday", "December"):
        assert english not in json.dumps([event, call])


async def test_an_english_hub_writes_english(app_client: TestClient, services: Services) -> None:
    hub = await a_hub(services, "street", "en")
    event = await document(app_client, await published(services, hub, "event", EVENT))
    assert event["summary"].startswith("Monday, December 7, 2026, 19:00–21:00 (Europe/Madrid)")
    assert (
        "Where: Local vecinal" in event["content"]
        and "40 places, then a waitlist" in (event["content"])
    )
    assert event["contentMap"] == {"en": event["content"]}
    call = await document(app_client, await published(services, hub, "call", CALL))
    assert call["summary"].startswith("Repeats weekly on Tuesday at 20:00 (Europe/Madrid)")


async def test_a_spanish_poll_and_proposal_federate_spanish_options_and_count_their_votes(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    hub = await a_hub(services, "barrio", "es")
    poll_path = await published(services, hub, "poll", POLL)
    poll = await document(app_client, poll_path)
    assert [o["name"] for o in poll["oneOf"]] == ["De acuerdo", "En desacuerdo", "Tengo preguntas"]
    proposal = await document(app_client, await published(services, hub, "proposal", PROPOSAL))
    names = [o["name"] for o in proposal["oneOf"]]
    assert names == ["De acuerdo", "Me abstengo", "En desacuerdo", "Bloqueo"]
    assert "Solo cuentan los votos de los miembros." in proposal["content"]
    assert "Bloquea solo si no puedes aceptarlo" in proposal["content"]
    assert proposal["contentMap"] == {"es": proposal["content"]}
    # Mastodon votes with the name it was shown: the Spanish one counts for "Agree".
    alice = remote.add_actor("alice", key="alice")
    poll_uri = poll["id"]
    activity = load("mastodon-poll-vote")
    activity.update(id=f"{alice.id}#votes/1/activity", actor=alice.id, to=poll_uri)
    activity["object"].update(id=f"{alice.id}#votes/1", attributedTo=alice.id,
                              name="De acuerdo", inReplyTo=poll_uri, to=poll_uri)  # fmt: skip
    resp = await remote.post(f"{hub.uri(services.config.base_url)}/inbox", activity, alice)
    assert resp.status == 202
    while await app_client.app[inbox_worker_key].run_once():
        pass
    poll = await document(app_client, poll_path)
    assert [o["replies"]["totalItems"] for o in poll["oneOf"]] == [1, 0, 0]


async def test_pages_show_babel_dates_and_lines_in_the_readers_language(
    app_client: TestClient, services: Services
) -> None:
    hub = await a_hub(services, "barrio", "es")
    proposal = await published(services, hub, "proposal", PROPOSAL)
    page = await (await app_client.get(proposal, headers=SPANISH)).text()
    text = visible(page)
    assert "miércoles, 9 de diciembre de 2026, 20:00 (Europe/Madrid)" in text
    assert "2026-12-09T" not in text  # no raw ISO string for people…
    assert 'datetime="2026-12-09T19:00:00Z"' in page  # …but kept for machines
    assert "Me abstengo" in text and "Bloqueo: " in text
    assert "«Compartir la furgoneta»: De acuerdo 0 · Me abstengo 0" in page  # for the minutes
    english = visible(await (await app_client.get(proposal, headers=ENGLISH)).text())
    assert "Wednesday, December 9, 2026, 20:00 (Europe/Madrid)" in english
    event = await published(services, hub, "event", EVENT)
    assert "Where: Local vecinal" in visible(
        await (await app_client.get(event, headers=ENGLISH)).text()
    )
    dashboard = visible(await (await app_client.get("/hubs/barrio", headers=SPANISH)).text())
    assert "lunes, 7 de diciembre de 2026, 19:00–21:00" in dashboard


async def test_calendars_are_offered_to_subscribe_with_an_address_to_copy(
    app_client: TestClient, services: Services
) -> None:
    hub = await a_hub(services, "barrio", "es")
    base = services.config.base_url
    event = await published(services, hub, "event", EVENT)
    for path, address in (("/hubs/barrio", f"{base}/hubs/barrio/calendar.ics"),
                          ("/", f"{base}/calendar.ics"),
                          (event, f"{base}/hubs/barrio/calendar.ics")):  # fmt: skip
        page = await (await app_client.get(path, headers=SPANISH)).text()
        subscribe = address.replace("http://", "webcal://", 1)
        assert f'href="{subscribe}"' in page, path
        assert re.search(rf'<input id="calendar-address" value="{re.escape(address)}" readonly',
                         page), path  # fmt: skip
        assert 'data-copy="calendar-address"' in page and "/static/copy.js" in page
        assert "tu aplicación de calendario lo mantiene al día" in page
        for href in re.findall(r'href="([^"]*)"', page):
            assert href.startswith(("/", "#", "http://", "https://", "webcal://")), href
    script = await app_client.get("/static/copy.js")
    assert script.status == 200 and "clipboard" in await script.text()
    calendar = await (await app_client.get("/hubs/barrio/calendar.ics")).text()
    assert "Dónde: Local vecinal" in calendar.replace("\r\n ", "")  # unfolded


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://h.example/c.ics", "webcal://h.example/c.ics"),
     ("http://localhost:8080/c.ics", "webcal://localhost:8080/c.ics"),
     ("javascript:alert(1)", "#"), ("webcal://x.example/c", "#"), ("//evil.example/c", "#"),
     ("#", "#")],
)  # fmt: skip
def test_only_web_addresses_become_subscriptions(url: str, expected: str) -> None:
    assert webcal(url) == expected


async def test_the_feed_link_opens_a_page_and_the_feed_still_parses(
    app_client: TestClient, services: Services
) -> None:
    hub = await a_hub(services, "barrio", "es")
    await posts.publish(services, hub, None, "update", "# Noticias\n\nHola.")
    dashboard = await (await app_client.get("/hubs/barrio", headers=SPANISH)).text()
    assert 'href="http://' in dashboard and '/hubs/barrio/feed">' in dashboard
    assert 'type="application/atom+xml"' in dashboard  # readers still find the Atom document
    resp = await app_client.get("/hubs/barrio/feed", headers=SPANISH)
    page = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    feed_url = f"{services.config.base_url}/hubs/barrio/feed.atom"
    assert f'value="{feed_url}" readonly' in page and "lector de canales" in page
    assert "Noticias" in page
    atom = await (await app_client.get("/hubs/barrio/feed.atom")).read()
    parsed = feedparser.parse(atom)
    assert not parsed.bozo and parsed.feed.title == "Barrio"
    assert [e.title for e in parsed.entries] == ["Noticias"]
    assert (await app_client.get("/feed", headers=ENGLISH)).status == 200


async def test_a_missing_page_is_a_translated_page_with_a_way_back(
    app_client: TestClient, services: Services
) -> None:
    base = services.config.base_url
    headers = {**SPANISH, "Referer": f"{base}/directory?q=x"}
    resp = await app_client.get("/hubs/nadie", headers=headers)
    page = await resp.text()
    assert resp.status == 404 and resp.content_type == "text/html"
    assert "no existe ese actor" in page and "no such" not in page
    assert 'href="/directory?q=x"' in page and 'href="/"' in page
    resp = await app_client.get("/ninguna/parte", headers=headers)  # aiohttp's own 404
    page = await resp.text()
    assert resp.status == 404 and "No hay nada en esta dirección" in page
    assert "Not Found" not in page and 'href="/directory?q=x"' in page
    elsewhere = {**SPANISH, "Referer": "https://evil.example/x"}
    page = await (await app_client.get("/hubs/nadie", headers=elsewhere)).text()
    assert "evil.example" not in page  # only a way back within this site
    machine = await app_client.get("/hubs/nadie", headers=AP)
    assert machine.status == 404 and "Sorry" not in await machine.text()


@pytest.fixture
async def probing_client(instance_config: Config) -> AsyncIterator[TestClient]:
    """The app with one more page that looks up a server that is not there, through the real
    client, as the follow, vote and join pages do."""
    app = create_app(instance_config, run_workers=False)

    async def probe(request: web.Request) -> web.Response:
        svc = request.app[services_key]
        await svc.resolver.fetch_object("http://127.0.0.1:9/users/nobody")  # nothing listens
        return web.Response(text="unreachable")

    app.router.add_get("/probe", probe)
    port = split_host_port(instance_config.domain)[1]
    async with TestClient(TestServer(app, host="127.0.0.1", port=port)) as client:
        yield client


async def test_an_unreachable_server_is_told_in_spanish_without_socket_words(
    probing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fedihub.app")
    resp = await probing_client.get("/probe", headers={**SPANISH, "Referer": "/hubs/x"})
    page = await resp.text()
    assert resp.status == 502
    assert "No se ha podido contactar con el servidor 127.0.0.1:9" in page
    for technical in ("Cannot connect", "ClientConnectorError", "Errno", "ssl"):
        assert technical not in page
    assert 'href="/"' in page
    assert any(
        "Cannot connect" in r.getMessage() or "ClientConnector" in r.getMessage()
        for r in caplog.records
    )  # fmt: skip — the detail is for the operator
    english = await (await probing_client.get("/probe", headers=ENGLISH)).text()
    assert "The server 127.0.0.1:9 could not be reached" in english
    api = await probing_client.get("/probe", headers=AP)
    assert "error" in await api.json()  # servers and scripts keep the technical English
