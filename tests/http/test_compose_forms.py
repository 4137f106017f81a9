"""The compose page's forms, built from each kind's declared fields, through real HTTP: a post of
each kind made from form fields alone, the same front matter a file gives (text stays text),
the preview showing every field with its warnings, and nothing typed lost on a preview, an error
or a change of kind."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image

from fedihub.accounts.service import create_account, require_account
from fedihub.hubs.service import create_hub
from fedihub.kinds import parse_draft, registry
from fedihub.posts.formfields import form_meta, form_text, form_values
from fedihub.services import Services
from tests.support.web import HTML, form_token, sign_in

COMPOSE = "/hubs/climate/compose"


@pytest.fixture
async def organiser(app_client: TestClient, services: Services) -> str:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana,
                     timezone="Europe/Madrid")  # fmt: skip
    assert await sign_in(app_client, "ana") == 303
    return await form_token(app_client, COMPOSE)


async def post(client: TestClient, token: str, **fields: Any) -> tuple[int, str, str]:
    data = FormData()
    data.add_field("csrf", token)
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name.replace("__", "."), one)
    resp = await client.post(COMPOSE, data=data, headers=HTML, allow_redirects=False)
    return resp.status, resp.headers.get("Location", ""), await resp.text()


async def stored(services: Services) -> dict[str, Any]:
    row = await services.db.fetchone("SELECT * FROM posts ORDER BY id DESC LIMIT 1")
    assert row is not None
    return {"kind": row["kind"], "title": row["title"], "fields": json.loads(row["fields"]),
            "starts_at": row["starts_at"], "ends_at": row["ends_at"],
            "source": row["source_markdown"]}  # fmt: skip


FORMS = {
    "update": {"title": "Buses", "body": "Buses at noon.\n\n#climate"},
    "event": {"title": "Assembly", "body": "Come.", "f__start": "2027-03-05T18:00",
              "f__end": "2027-03-05T20:00", "f__timezone": "Europe/Madrid",
              "f__location__name": "Hall", "f__location__locality": "Madrid",
              "f__capacity": "40", "f__waitlist": ["false", "true"], "f__status": "confirmed"},
    "call": {"title": "Weekly call", "body": "Agenda.", "f__start": "2027-03-02T20:00",
             "f__end": "2027-03-02T21:00", "f__schedule__freq": "weekly",
             "f__schedule__days": ["TU"], "f__dial_in": "+34 555 0100",
             "f__access_code": "0123", "f__agenda": ["Rent", ""]},
    "poll": {"body": "Which day?", "f__options": ["Rent: freeze demands", "Tuesday", ""],
             "f__closes": "2027-03-08T20:00", "f__multiple": ["false", "true"]},
    "proposal": {"title": "Join the strike", "body": "We join.", "f__closes": "2027-03-08T20:00",
                 "f__who": "anyone"},
    "minutes": {"body": "Notes.", "f__meeting_date": "2027-03-01", "f__decisions": ["Strike"],
                "f__actions__task": ["Print flyers", ""], "f__actions__owner": ["Bo", ""],
                "f__actions__due": ["2027-03-04", ""]},
    "need": {"title": "Sleeping bags", "body": "Warm ones.", "f__category": "bedding",
             "f__quantity": "50", "f__unit": "bags", "f__place__name": "Shelter",
             "f__place__locality": "Vancouver", "f__place__latitude": "49.28",
             "f__place__longitude": "-123.12", "f__needed_by": "2027-03-10",
             "f__respond": "Ask Ana at the door", "f__publish_contact": ["false"]},
    "offer": {"title": "Tents", "body": "Six tents.", "f__category": "shelter",
              "f__available_until": "2027-03-10", "f__respond": "ana@example.org",
              "f__publish_contact": ["false", "true"]},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(FORMS))
async def test_each_kind_is_published_from_its_form_alone(
    app_client: TestClient, services: Services, organiser: str, kind: str
) -> None:
    page = await (await app_client.get(f"{COMPOSE}?kind={kind}", headers=HTML)).text()
    for f in registry().get(kind).form:  # every declared field has its input on the page
        assert f'name="f.{f.name}' in page, f.name
    status, location, text = await post(app_client, organiser, kind=kind, mode="form",
                                        **FORMS[kind])  # fmt: skip
    assert status == 303, text[text.find('role="alert"') :][:300]
    assert location.startswith("/hubs/climate/posts/")
    got = await stored(services)
    assert got["kind"] == kind
    # What the form wrote is a file the CLI reads the same way.
    again = parse_draft(kind, got["source"], "Europe/Madrid")
    assert {k: v for k, v in got["fields"].items() if k != "language"} == {
        k: v for k, v in again.fields.items() if k != "language"
    }
    if kind == "event":
        assert got["fields"]["location"] == {"name": "Hall", "locality": "Madrid"}
        assert (got["fields"]["capacity"], got["fields"]["waitlist"]) == (40, True)
        assert got["starts_at"] == dt.datetime(2027, 3, 5, 17, tzinfo=dt.UTC).timestamp()  # Madrid
    if kind == "call":
        assert got["fields"]["schedule"] == "FREQ=WEEKLY;BYDAY=TU"
        assert got["fields"]["access_code"] == "0123"
        assert got["fields"]["agenda"] == ["Rent"]
    if kind == "poll":
        assert got["fields"]["options"] == ["Rent: freeze demands", "Tuesday"]
        assert got["fields"]["multiple"] is True
    if kind == "proposal":
        assert got["fields"]["members_only"] is False
    if kind == "minutes":
        assert got["fields"]["actions"] == [{"task": "Print flyers", "owner": "Bo",
                                             "due": "2027-03-04"}]  # fmt: skip
    if kind == "update":
        assert "#climate" in got["source"]
    if kind == "need":
        assert got["fields"]["place"] == {
            "name": "Shelter",
            "locality": "Vancouver",
            "latitude": 49.28,
            "longitude": -123.12,
        }
        assert (got["fields"]["quantity"], got["fields"]["until"]) == (50, "2027-03-10")
        assert got["fields"]["publish_contact"] is False
    if kind == "offer":
        assert got["fields"]["publish_contact"] is True
        assert got["fields"]["respond"] == "ana@example.org"


YAML_CASES = {
    "octal access code": ("call", "---\ntitle: Call\nstart: 2027-03-02 20:00\n"
                          "end: 2027-03-02 21:00\ndial_in: 5550100\naccess_code: 0123\n---\nA."),
    "option with a colon": ("poll", "---\ncloses: 2027-03-08 20:00\noptions:\n"
                            "  - Rent: freeze demands\n  - No\n---\nQ?"),
    "hashtag line": ("update", "Rent strike.\n\n#climate\n"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_yaml_keeps_what_people_typed_as_text(case: str) -> None:
    kind, text = YAML_CASES[case]
    draft = parse_draft(kind, text, "UTC")
    if case == "octal access code":
        assert draft.fields["access_code"] == "0123"  # not 83
    if case == "option with a colon":
        assert draft.fields["options"] == ["Rent: freeze demands", "No"]  # not a mapping
    if case == "hashtag line":
        assert "<strong>" not in draft.content_html and "#climate" in draft.content_html
        # A real heading (a space after the #) is still one: the post's title.
        assert parse_draft("update", "# A heading\n\nText", "UTC").title == "A heading"
        part = parse_draft("update", "Intro\n\n## Part\n", "UTC").content_html
        assert "<strong>Part</strong>" in part


def test_form_values_and_front_matter_agree_both_ways() -> None:
    call = registry().get("call")
    values = {"f.start": ["2027-03-02T20:00"], "f.schedule.freq": ["monthly_weekday"],
              "f.schedule.until": ["2027-12-31"], "f.dial_in": ["555"]}  # fmt: skip
    meta = form_meta(call.form, values, "Europe/Madrid")
    assert meta["schedule"] == "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231T225959Z"
    back = form_values(call.form, meta, "Europe/Madrid")
    assert back["f.schedule.freq"] == ["monthly_weekday"] and back["f.schedule.nth"] == ["1"]
    assert back["f.schedule.until"] == ["2027-12-31"]
    text = form_text({**meta, "end": "2027-03-02T21:00"}, "Call", "Body")
    assert parse_draft("call", text, "Europe/Madrid").fields["schedule"] == meta["schedule"]


HOSTILE = [
    ({"kind": "event", "title": "E", "f__start": "2027-02-30T18:00", "f__end": "x"}, "start"),
    ({"kind": "event", "title": "E", "f__start": "2027-03-05T18:00",
      "f__end": "2027-03-05T17:00"}, "ends before it starts"),
    ({"kind": "event", "title": "E", "f__start": "2027-03-05T18:00",
      "f__end": "2027-03-05T19:00", "f__capacity": "-5"}, "capacity"),
    ({"kind": "poll", "body": "Q", "f__closes": "2027-03-08T20:00",
      "f__options": [f"o{i}" for i in range(10_000)]},
     "That did not work"),  # aiohttp's cap on form fields, told as the error page tells it
    ({"kind": "poll", "body": "Q", "f__closes": "2027-03-08T20:00",
      "f__options": [f"o{i}" for i in range(11)]}, "between 2 and 10"),
    ({"kind": "update", "title": "t" * 1_000_000, "body": "x"}, "at most 100000 bytes"),
    ({"kind": "update", "body": "x", "f__bogus": "1"}, "bogus: not a field"),
    ({"kind": "nonsense", "body": "x"}, "unknown kind of post"),
    ({"kind": "call", "title": "C", "f__start": "2027-03-02T20:00", "f__end": "2027-03-02T21:00",
      "f__dial_in": "555", "f__schedule__freq": "weekly", "f__schedule__until": "2027-01-01"},
     "series ends before its first call"),
    ({"kind": "poll", "body": "Q", "f__closes": "2020-03-08T20:00"}, "close in the past"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "message"), HOSTILE)
async def test_hostile_form_values_are_refused_with_the_form_kept(
    app_client: TestClient, services: Services, organiser: str, fields: dict[str, Any],
    message: str,
) -> None:  # fmt: skip
    status, _, page = await post(app_client, organiser, mode="form", **fields)
    assert status in (400, 413), status
    assert message in page
    assert await services.db.fetchval("SELECT count(*) FROM posts") == 0
    if fields.get("body") == "Q" and len(fields.get("f__options", [])) < 1000:
        assert ">Q</textarea>" in page  # what was typed is still there


async def test_preview_shows_every_field_and_warns(
    app_client: TestClient, services: Services, organiser: str
) -> None:
    fields = {**FORMS["call"], "f__start": "2020-03-03T20:00", "f__end": "2020-03-03T21:00"}
    status, _, page = await post(app_client, organiser, kind="call", mode="form", preview="1",
                                 **fields)  # fmt: skip
    assert status == 200
    preview = page[page.find('id="preview"') : page.find('id="compose"')]
    assert "Repeats weekly on Tuesday" in preview
    assert "+34 555 0100" in preview and "0123" in preview
    assert "It starts in the past" in preview
    assert await services.db.fetchval("SELECT count(*) FROM posts") == 0
    status, _, page = await post(app_client, organiser, kind="event", mode="form", preview="1",
                                 **FORMS["event"])  # fmt: skip
    preview = page[page.find('id="preview"') : page.find('id="compose"')]
    assert "Hall, Madrid" in preview and "40 places left" in preview.replace("40 of 40", "40")
    poll = {**FORMS["poll"], "f__closes": "2020-03-08T20:00"}
    _, _, page = await post(app_client, organiser, kind="poll", mode="form", preview="1", **poll)
    assert "Rent: freeze demands" in page and "Voting would close in the past" in page
    text = "---\ntitle: A\nstart: 2026-12-05 18:00\nend: 2026-12-05 20:00\n---\nx"
    _, _, page = await post(app_client, organiser, kind="event", text=text, preview="1")
    assert "still the example" in page
    # The same date typed in the form is the person's: a meeting held on the example's day.
    minutes = {**FORMS["minutes"], "f__meeting_date": "2026-12-01"}
    _, _, page = await post(app_client, organiser, kind="minutes", mode="form", preview="1",
                            **minutes)  # fmt: skip
    assert "Strike" in page and "still the example" not in page
    text = "---\nmeeting_date: 2026-12-01\n---\nNotes."
    _, _, page = await post(app_client, organiser, kind="minutes", text=text, preview="1")
    assert "still the example" in page


async def test_the_image_and_its_description_are_kept_across_preview_and_error(
    app_client: TestClient, services: Services, organiser: str
) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 10)).save(picture, "JPEG")
    data = FormData()
    for name, value in (("csrf", organiser), ("kind", "event"), ("mode", "form"),
                        ("title", "Picnic"), ("alt", "A green field"),
                        ("preview", "1")):  # fmt: skip
        data.add_field(name, value)
    data.add_field("image", picture.getvalue(), filename="p.jpg", content_type="image/jpeg")
    page = await (await app_client.post(COMPOSE, data=data, headers=HTML)).text()
    assert "start: required" in page  # refused, yet the image is kept by its name
    media = page.split('name="media" value="', 1)[1].split('"', 1)[0]
    assert media.endswith(".jpg") and 'value="A green field"' in page
    status, _, _ = await post(
        app_client, organiser, kind="event", mode="form", title="Picnic", media=media,
        alt="A green field", f__start="2027-05-01T12:00", f__end="2027-05-01T15:00",
    )  # fmt: skip
    assert status == 303
    (image,) = (await stored(services))["fields"]["attachments"]
    assert image["name"] == "A green field" and image["url"].endswith(media)


async def test_switching_the_kind_keeps_title_body_and_language(
    app_client: TestClient, organiser: str
) -> None:
    status, _, page = await post(app_client, organiser, kind="update", mode="form",
                                 title="Rent strike", body="Meet at the hall.",
                                 to_kind="event")  # fmt: skip
    assert status == 200
    assert 'value="Rent strike"' in page and ">Meet at the hall.</textarea>" in page
    assert 'name="f.start"' in page and '<input type="hidden" name="kind" value="event">' in page
    status, _, page = await post(app_client, organiser, kind="poll", mode="form", body="Q",
                                 f__options=["a", "b", "c", "d"], more="options")  # fmt: skip
    assert page.count('name="f.options"') >= 8  # the four typed, and more empty rows
