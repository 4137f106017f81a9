"""Needs and offers as kinds of post: the front matter and the form read alike, impossible
quantities, dates and published contact details are refused naming the field, the Note says
it all in its text, and the index of intents follows publishing, editing and deleting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.config import ConfigError, load_config
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub, require_hub
from fedihub.kinds import parse_draft, registry
from fedihub.posts import service as posts
from fedihub.posts.formfields import form_meta, form_text, form_values
from fedihub.posts.frontmatter import split_front_matter
from fedihub.posts.render import post_object
from fedihub.posts.store import Post
from fedihub.resources import store as intents
from fedihub.resources.model import MAX_QUANTITY, Intent
from fedihub.resources.render import Held, contact_details
from fedihub.services import Services
from fedihub.words import words_for
from tests.support.web import AP, HTML, sign_in

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC).timestamp()
NEED = (
    "---\ntitle: Warm sleeping bags\ncategory: bedding\nquantity: 50\nunit: sleeping bags\n"
    "place:\n  name: Community hall\n  locality: Vancouver\n  latitude: 49.28\n"
    "  longitude: -123.12\nneeded_by: 2026-12-20\nrespond: Ask Ana, +1 604 555 0199\n"
    "---\nFor the winter shelter on Main Street."
)
OFFER = "---\ntitle: Tents\ncategory: shelter\nquantity: 6\navailable_until: 2026-12-31\n---\nSix."


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def as_post(kind: str, text: str, zone: str = "UTC", language: str | None = None) -> Post:
    d = parse_draft(kind, text, zone, language)
    return Post(7, 1, None, d.kind, d.title, d.source_markdown, d.content_html, d.fields, None,
                None, "confirmed", None, NOW, None, None)  # fmt: skip


def test_a_need_reads_its_front_matter() -> None:
    draft = parse_draft("need", NEED, "America/Vancouver")
    assert draft.fields == {
        "side": "need", "category": "bedding", "quantity": 50, "unit": "sleeping bags",
        "place": {"name": "Community hall", "locality": "Vancouver", "latitude": 49.28,
                  "longitude": -123.12},
        "until": "2026-12-20", "respond": "Ask Ana, +1 604 555 0199", "publish_contact": False,
        "timezone": "America/Vancouver", "closed": False,
    }  # fmt: skip
    assert parse_draft("offer", OFFER, "UTC").fields["side"] == "offer"


@pytest.mark.parametrize("kind", ["need", "offer"])
def test_form_and_file_agree(kind: str) -> None:
    form = registry().get(kind).form
    text = NEED if kind == "need" else OFFER
    if kind == "offer":
        text = text.replace("\n---\nSix.", "\nplace: Tampa\npublish_contact: true\n---\nSix.")
    draft = parse_draft(kind, text, "UTC")
    values = form_values(form, split_front_matter(text)[0], "UTC")
    again = form_text(form_meta(form, values, "UTC"), draft.title or "", "Six.")
    assert parse_draft(kind, again, "UTC").fields == draft.fields


@pytest.mark.parametrize("quantity", ["0", "-3", "1.5", "2,5", "many", "1e3", str(MAX_QUANTITY + 1),
                                      "9" * 40, "true", "[1, 2]"])  # fmt: skip
def test_impossible_quantities_are_refused_naming_the_field(quantity: str) -> None:
    with pytest.raises(BadRequest, match=r"^quantity: a whole number from 1 to"):
        parse_draft("need", NEED.replace("quantity: 50", f"quantity: {quantity}"), "UTC")


@pytest.mark.parametrize("date", ["tomorrow", "0000-01-01", "1999-12-31", "2026-02-30",
                                  "2026-13-01", "[2026, 12]", "99999-01-01"])  # fmt: skip
def test_impossible_dates_are_refused_naming_the_field(date: str) -> None:
    with pytest.raises(BadRequest, match=r"^needed_by: "):
        parse_draft("need", NEED.replace("needed_by: 2026-12-20", f"needed_by: {date}"), "UTC")


@pytest.mark.parametrize("bad", [
    ("category: ", "category: required"), ("category: [a, b]", "category: expected text"),
    ("category: bed ding", "category: one of"), ("unit: " + "x" * 61, "unit: at most 60"),
    ("place: {latitude: 1, longitude: 2}", "place.name: required"),
    ("place: {name: Hall, latitude: 100, longitude: 2}", "place.latitude: out of range"),
    ("place: {name: Hall, latitude: 1}", "place: give latitude and longitude together"),
    ("place: {name: Hall, floor: 2}", "place: unknown field 'floor'"),
    ("publish_contact: maybe", "publish_contact: true or false"),
    ("available_until: 2026-12-20", "available_until: not a field of a need"),
])  # fmt: skip
def test_hostile_fields_are_refused_naming_them(bad: tuple[str, str]) -> None:
    line, message = bad
    key = line.split(":")[0]
    text = re.sub(rf"^{key}:.*$", line, NEED, flags=re.M) if f"\n{key}:" in NEED else (
        NEED.replace("\n---\nFor", f"\n{line}\n---\nFor"))  # fmt: skip
    if key == "place":
        text = re.sub(r"place:\n(  .*\n)+", line + "\n", NEED)
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse_draft("need", text, "UTC")


def test_contact_details_are_found_but_not_handles_dates_or_quantities() -> None:
    assert contact_details("write to ana@example.org") == ["ana@example.org"]
    assert contact_details("call +1 (604) 555-0199 now") == ["+1 (604) 555-0199"]
    assert contact_details("", html='<a href="mailto:x@y.org">us</a>') == ["x@y.org"]
    assert contact_details("", html='<a href="tel:+16045550199">us</a>') == ["+16045550199"]
    assert contact_details(
        "ask @ana@social.example; 50 bags by 2026-12-20, 1,000,000 meals in 2026 12 01"
    ) == []  # fmt: skip


def test_the_note_says_what_how_many_where_and_by_when() -> None:
    post = as_post("need", NEED, "America/Vancouver")
    obj = post_object("https://a.example/hubs/food", post, registry().get("need"))
    assert obj["type"] == "Note" and obj["name"] == "Warm sleeping bags"
    text = text_of(obj["content"])
    for said in ("Needed: Warm sleeping bags", "How many: 50 sleeping bags",
                 "Where: Community hall, Vancouver", "Needed by: Sunday, December 20, 2026",
                 "For the winter shelter", "To respond, reply to this post."):  # fmt: skip
        assert said in text, (said, text)
    assert "555" not in str(obj), "the private respond (and the front matter) stay private"
    assert "source" not in obj
    facts = {a["name"]: a["value"] for a in obj["attachment"]}
    assert facts["Category"] == "Bedding" and facts["State"] == "Open"
    assert obj["intent"] == {
        "type": "Intent", "action": "transfer", "side": "need",
        "receiver": "https://a.example/hubs/food", "name": "Warm sleeping bags",
        "resourceClassifiedAs": ["bedding"], "finished": False,
        "resourceQuantity": {"hasNumericalValue": 50, "hasUnit": "sleeping bags"},
        "availableQuantity": {"hasNumericalValue": 50, "hasUnit": "sleeping bags"},
        "due": "2026-12-20T23:59:59-08:00",
        "atLocation": {"type": "Place", "name": "Community hall, Vancouver",
                       "latitude": 49.28, "longitude": -123.12},
    }  # fmt: skip


def test_a_published_contact_and_a_closed_remainder_are_said() -> None:
    text = NEED.replace("---\nFor", "publish_contact: true\n---\nFor")
    post = as_post("need", text, language="es")
    intent = Intent("u", "h", "a.example", "need", "t", "bedding", (), 50, 20, "sleeping bags",
                    "", None, None, None, "open", 7, NOW, NOW)  # fmt: skip
    obj = post_object("https://a.example/hubs/food", post, registry().get("need"),
                      loaded=Held(intent, delivered=30))  # fmt: skip
    said = text_of(obj["content"])
    assert "Cómo responder: Ask Ana, +1 604 555 0199" in said
    assert "Aún hace falta: 20 de 50 sleeping bags" in said
    assert "Se necesita: Warm sleeping bags" in said and "domingo, 20 de diciembre" in said
    assert obj["intent"]["availableQuantity"]["hasNumericalValue"] == 20
    closed = dataclasses.replace(intent, remaining=0, state="closed")
    obj = post_object("https://a.example/hubs/food", post, registry().get("need"),
                      loaded=Held(closed, delivered=50), reader=words_for("en"))  # fmt: skip
    assert text_of(obj["content"]).startswith("Closed: no longer needed.")
    assert obj["intent"]["finished"] is True


async def hub(services: Services) -> LocalActor:
    services.clock = FixedClock(NOW)
    await create_hub(services.db, "food", name="Food", timezone="America/Vancouver")
    return await require_hub(services.db, "food")


async def test_publishing_editing_and_deleting_keep_the_index(services: Services) -> None:
    food = await hub(services)
    post = await posts.publish(services, food, None, "need", NEED)
    uri = f"{services.config.base_url}/hubs/food/posts/{post.id}"
    saved = await intents.intent_of_post(services.db, post.id)
    assert saved is not None and saved.uri == uri
    assert (saved.side, saved.category, saved.quantity, saved.remaining, saved.state) == (
        "need", "bedding", 50, 50, "open")  # fmt: skip
    assert saved.hub_uri == f"{services.config.base_url}/hubs/food"
    assert saved.host == saved.host.lower() and saved.host in services.config.base_url
    assert saved.place == "Community hall, Vancouver" and saved.latitude == 49.28
    assert {"warm", "sleeping", "bag", "winter", "shelter"} <= set(saved.words)
    # The end of December 20 in Vancouver.
    assert saved.until_at == dt.datetime(2026, 12, 21, 7, 59, 59, tzinfo=dt.UTC).timestamp()
    # 30 delivered through a match, then the organiser asks for 60 in all: 30 remain; a typo
    # down to 10 and back to 60 forgets none of the delivery.
    async with services.db.transaction() as tx:
        match_id = await intents.save_match(tx, food.id, uri, "https://b.example/o/1", 0.9,
                                            "here", NOW)  # fmt: skip
        assert match_id is not None
        await intents.set_match_state(tx, match_id, "partly_fulfilled", 30, NOW)
    for quantity, left in ((60, 30), (10, 0), (60, 30)):
        await posts.edit(services, food, post.id,
                         NEED.replace("quantity: 50", f"quantity: {quantity}"))  # fmt: skip
        edited = await intents.intent(services.db, uri)
        assert edited is not None and (edited.quantity, edited.remaining) == (quantity, left)
    assert edited.state == "open"
    await posts.delete(services, food, post.id)
    assert await intents.intent(services.db, uri) is None


@pytest.mark.parametrize("case", ["past", "far", "category", "email", "phone", "autolink"])
async def test_prepare_refuses_what_needs_the_instance_or_a_clock(
    services: Services, case: str
) -> None:
    food = await hub(services)
    text = {
        "past": NEED.replace("2026-12-20", "2026-11-30"),
        "far": NEED.replace("2026-12-20", "2032-01-01"),
        "category": NEED.replace("bedding", "books"),
        "email": NEED.replace("Main Street.", "Main Street. Mail bo@example.org"),
        "phone": NEED.replace("Main Street.", "Main Street. Text 604-555-0199"),
        "autolink": NEED.replace("Main Street.", "Main Street. <bo@example.org>"),
    }[case]
    message = {"past": "needed_by: 2026-11-30 is already past",
               "far": "needed_by: at most 5 years ahead", "category": "category: one of food",
               "email": "bo@example.org would be published", "phone": "604-555-0199 would be",
               "autolink": "bo@example.org would be published"}[case]  # fmt: skip
    with pytest.raises(BadRequest, match=re.escape(message)):
        await posts.publish(services, food, None, "need", text)
    assert await services.db.fetchval("SELECT count(*) FROM resource_intents") == 0
    if case in ("email", "phone", "autolink"):  # the organiser chose to publish them
        text = text.replace("---\nFor", "publish_contact: true\n---\nFor")
        await posts.publish(services, food, None, "need", text)


async def test_a_mailto_link_publishes_no_address(services: Services) -> None:
    """The sanitiser drops mailto: and tel: links' targets: only the words are published."""
    food = await hub(services)
    text = NEED.replace("Main Street.", "[Mail us](mailto:bo@example.org)")
    post = await posts.publish(services, food, None, "need", text)
    assert "Mail us" in post.content_html and "bo@example" not in post.content_html


async def test_an_instance_adds_its_own_categories(services: Services) -> None:
    food = await hub(services)
    services.config = dataclasses.replace(services.config, resource_categories=("books",))
    post = await posts.publish(services, food, None, "need", NEED.replace("bedding", "Books"))
    saved = await intents.intent_of_post(services.db, post.id)
    assert saved is not None and saved.category == "books"


async def test_the_page_shows_the_private_respond_to_organisers_only(
    app_client: TestClient, services: Services
) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    services.clock = FixedClock(NOW)
    await create_hub(services.db, "food", name="Food", organizer=ana, timezone="UTC")
    food = await require_hub(services.db, "food")
    post = await posts.publish(services, food, None, "need", NEED)
    path = f"/hubs/food/posts/{post.id}"
    public = await (await app_client.get(path, headers=HTML)).text()
    assert "Needed: Warm sleeping bags" in public and "How many: 50 sleeping bags" in public
    assert "555 0199" not in public and "To respond, reply to this post." in public
    assert "555 0199" not in await (await app_client.get(path, headers=AP)).text()
    assert await sign_in(app_client, "ana") == 303
    organiser = await (await app_client.get(path, headers=HTML)).text()
    assert "Ask Ana, +1 604 555 0199" in organiser and "Only the hub&#39;s organisers" in organiser


def test_an_instances_categories_come_from_its_config_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('domain = "x.org"\nresource_categories = ["books", "seeds"]\n')
    assert load_config(tmp_path).resource_categories == ("books", "seeds")
    monkeypatch.setenv("FEDIHUB_RESOURCE_CATEGORIES", "bikes  tents")
    assert load_config(tmp_path).resource_categories == ("bikes", "tents")
    monkeypatch.delenv("FEDIHUB_RESOURCE_CATEGORIES")
    for bad in ('"books"', '["Books!"]', "[1]"):
        config.write_text(f'domain = "x.org"\nresource_categories = {bad}\n')
        with pytest.raises(ConfigError, match="resource_categories: a list of lower-case words"):
            load_config(tmp_path)
