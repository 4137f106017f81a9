"""An organiser publishes each kind of post through its form alone, in Chromium: on a phone in
English and on a desktop in Spanish, every field filled by its label (no YAML typed), each
previewed, then published; a follower on another real fedihub instance receives the event's
place and dates, the call's schedule and dial-in, the poll's options and closing time.
Screenshots of each form and its preview land in test-artifacts/forms/.

The cross-instance check covers the event, the call and the poll (the kinds with dates, a place,
options and a recurrence); updates, minutes and proposals federate as before."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.instances import REPO, FedihubInstance
from tests.support.network import eventually
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart
from tests.web.conftest import AUDIT, CHROMIUM
from tests.web.screens import SMALL_ON_A_PHONE, kept

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
SHOTS = REPO / "test-artifacts" / "forms"
ZONE = ZoneInfo("Europe/Madrid")
KINDS = ("update", "minutes", "event", "call", "poll", "proposal")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The labels a person reads, in each language (the Spanish from messages.po): finding the inputs
# by them checks the form is translated as well as filled.
LABELS = {
    "en": {
        "update": "Update", "minutes": "Minutes", "event": "Event", "call": "Call",
        "poll": "Poll", "proposal": "Proposal", "Title": "Title", "Text": "Text (Markdown",
        "Starts": "Starts", "Ends": "Ends", "Name of the place": "Name of the place",
        "Street": "Street", "Town or city": "Town or city", "Places": "Places",
        "How often": "How often", "Every week": "Every week",
        "Phone number to dial in": "Phone number to dial in", "Access code": "Access code",
        "Voting closes": "Voting closes", "More rows": "More rows",
        "several": "People may choose several options", "Responses close": "Responses close",
        "Who may respond": "Who may respond", "Anyone": "Anyone",
        "Date of the meeting": "Date of the meeting", "Preview": "Preview",
        "Publish": "Publish", "Remove this row": "Remove this row",
        "weekdays": WEEKDAYS,
    },
    "es": {
        "update": "Novedad", "minutes": "Actas", "event": "Evento", "call": "Llamada",
        "poll": "Votación", "proposal": "Propuesta", "Title": "Título", "Text": "Texto (Markdown",
        "Starts": "Empieza", "Ends": "Termina", "Name of the place": "Nombre del lugar",
        "Street": "Calle", "Town or city": "Pueblo o ciudad", "Places": "Plazas",
        "How often": "Con qué frecuencia", "Every week": "Cada semana",
        "Phone number to dial in": "Número de teléfono para llamar",
        "Access code": "Código de acceso", "Voting closes": "La votación se cierra",
        "More rows": "Más filas", "several": "Se pueden elegir varias opciones",
        "Responses close": "Las respuestas se cierran", "Who may respond": "Quién puede responder",
        "Anyone": "Cualquiera", "Date of the meeting": "Fecha de la reunión",
        "Preview": "Vista previa", "Publish": "Publicar", "Remove this row": "Quitar esta fila",
        "weekdays": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    },
}  # fmt: skip


@dataclass
class Hubs:
    a: FedihubInstance  # the hub's instance, where the organiser writes
    b: FedihubInstance  # a follower's instance
    published: dict[str, dict[str, str]] = field(default_factory=dict)  # lang → kind → URI


@pytest.fixture(scope="module")
def hubs(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[Hubs]:
    root: Path = tmp_path_factory.mktemp("forms")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    b = FedihubInstance(root, "b", cluster=suite_cluster)
    try:
        a.init()
        b.init()
        (root / "pw").write_text("organise-together\n")
        a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
        a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
              "--organizer", "maria", "--timezone", "Europe/Madrid")  # fmt: skip
        b.cli("account", "create", "--data", b.data, "alice", "--password-file", root / "pw")
        # A call's occurrences go out two weeks ahead (a week by default), so the first
        # Tuesday's reaches the follower whichever day the test runs.
        before = os.environ.get("FEDIHUB_CALL_LEAD_DAYS")
        os.environ["FEDIHUB_CALL_LEAD_DAYS"] = "14"  # the server inherits it
        try:
            run_apart(a.start())
        finally:
            if before is None:
                os.environ.pop("FEDIHUB_CALL_LEAD_DAYS", None)
            else:
                os.environ["FEDIHUB_CALL_LEAD_DAYS"] = before
        run_apart(b.start())
        b.cli("follow", "--data", b.data, "--as", "alice", f"@dockers@{a.domain}")
        hub = f"{a.base_url}/hubs/dockers"

        async def accepted() -> bool:
            return b.query("SELECT state FROM following WHERE actor_uri = ?", (hub,)) == [
                ("accepted",)
            ]

        run_apart(eventually(accepted, what="B to follow the hub"))
        yield Hubs(a, b)
    finally:
        for instance in (a, b):
            run_apart(instance.stop())
            instance.drop_database()


@dataclass(frozen=True)
class Dates:
    """The dates typed, worked out here from today so they stay in the future."""

    event: dt.datetime
    call: dt.datetime  # a Tuesday
    closes: dt.datetime
    meeting: dt.date

    @classmethod
    def from_today(cls, offset_days: int) -> Dates:
        today = dt.datetime.now(ZONE).date() + dt.timedelta(days=offset_days)
        # The next Tuesday after that day: at most 8 days ahead, well inside the 14 days
        # ahead that the server federates a series' occurrences (FEDIHUB_CALL_LEAD_DAYS).
        tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)

        def at(day: dt.date, hour: int) -> dt.datetime:
            return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)

        return cls(at(today + dt.timedelta(days=20), 18), at(tuesday, 19),
                   at(today + dt.timedelta(days=10), 20), today - dt.timedelta(days=1))  # fmt: skip


def local(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")  # as a datetime-local input takes it


# What a thumb cannot hit or iOS zooms into: fields under 16 px text, targets under 44 px high.



def shot(page: Any, name: str) -> None:
    kept(page, SHOTS, name, audit=False, fits=False)


def fill_the_form(page: Any, kind: str, t: dict[str, Any], when: Dates, tag: str) -> list[str]:
    """Fills the kind's form by its labels; returns what its preview must show."""

    def label(name: str, exact: bool = True) -> Any:
        # A required field's label ends in an asterisk (hidden from screen readers).
        pattern = r"^\s*" + re.escape(name) + (r"( \*)?\s*$" if exact else "")
        return page.get_by_label(re.compile(pattern))

    def title(text: str) -> None:
        label(t["Title"], exact=True).fill(text)

    body = label(t["Text"], exact=False)
    if kind == "update":
        title(f"Port shutdown {tag}")
        body.fill("West coast locals hold the line.\n\n#climate")
        return [f"Port shutdown {tag}", "#climate"]
    if kind == "minutes":
        label(t["Date of the meeting"], exact=True).fill(when.meeting.isoformat())
        page.locator('input[name="f.decisions"]').first.fill("Hold the picket")
        page.locator("#f-actions-task-0").fill("Book the hall")
        page.locator("#f-actions-owner-0").fill("Maria")
        page.locator("#f-actions-due-0").fill((when.meeting + dt.timedelta(days=5)).isoformat())
        body.fill(f"We met at the hall ({tag}).")
        return ["Hold the picket", "Book the hall", "Maria"]
    if kind == "event":
        title(f"Rally at the gates {tag}")
        label(t["Starts"], exact=True).fill(local(when.event))
        label(t["Ends"], exact=True).fill(local(when.event + dt.timedelta(hours=2)))
        label(t["Name of the place"], exact=True).fill("Union Hall")
        label(t["Street"], exact=True).fill("12 Harbor Road")
        label(t["Town or city"], exact=True).fill("Valencia")
        label(t["Places"], exact=True).fill("40")
        body.fill("Bring a banner.")
        return ["Union Hall", "12 Harbor Road", "Valencia", "40"]
    if kind == "call":
        title(f"Weekly coordination call {tag}")
        label(t["Starts"], exact=True).fill(local(when.call))
        label(t["Ends"], exact=True).fill(local(when.call + dt.timedelta(hours=1)))
        label(t["How often"], exact=True).select_option(label=t["Every week"])
        label(t["weekdays"][1], exact=True).check()  # Tuesday
        label(t["Phone number to dial in"], exact=True).fill("+34 555 0100")
        label(t["Access code"], exact=True).fill("0123")  # stays "0123", not octal 83
        body.fill("Reports from each local.")
        return ["+34 555 0100", "0123"]
    if kind == "poll":
        options = page.locator('input[name="f.options"]')
        # More options than the empty rows shown: the script adds a row in place, with a
        # "remove" button named in the page's language.
        expect(options).to_have_count(4)
        page.get_by_role("button", name=t["More rows"]).click()
        expect(options).to_have_count(5)
        expect(page.get_by_role("button", name=t["Remove this row"])).to_have_count(5)
        for n, text in enumerate(POLL_OPTIONS):
            options.nth(n).fill(text)
        label(t["several"], exact=True).check()
        label(t["Voting closes"], exact=True).fill(local(when.closes))
        body.fill(f"Which day for the strike? ({tag})")
        return list(POLL_OPTIONS)
    assert kind == "proposal"
    title(f"Join the general strike {tag}")
    label(t["Responses close"], exact=True).fill(local(when.closes))
    label(t["Who may respond"], exact=True).select_option(label=t["Anyone"])
    body.fill("We join the general strike on the 12th.")
    return [f"Join the general strike {tag}", "We join the general strike"]


POLL_OPTIONS = ("Rent: freeze demands", "Monday", "Tuesday", "Wednesday", "Thursday")


def publish_every_kind(
    browser: Any, hubs: Hubs, lang: str, viewport: dict[str, int], name: str, offset_days: int
) -> None:
    t = LABELS[lang]
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500,
                                  locale="en-GB")  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    base = hubs.a.base_url
    page.goto(f"{base}/signin")
    page.locator("#username").fill("maria")
    page.locator("#password").fill("organise-together")
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/signin"))
    if lang != "en":
        page.goto(f"{base}/lang/{lang}?next=/hubs/dockers/compose")
    else:
        page.goto(f"{base}/hubs/dockers/compose")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    when = Dates.from_today(offset_days)
    published = hubs.published.setdefault(lang, {})
    for kind in KINDS:
        if kind != "update":  # the kinds' buttons, as a person switches (the form is one page)
            page.get_by_role("button", name=t[kind], exact=True).click()
        expect(page.locator('input[name="kind"]')).to_have_value(kind)
        expect(page.locator("textarea#text")).to_have_count(0)  # the form, not the file
        shows = fill_the_form(page, kind, t, when, f"{name}")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= viewport["width"], f"{kind}: the form scrolls sideways ({width}px)"
        assert page.evaluate(AUDIT) == [], kind
        if viewport["width"] < 500:
            assert page.evaluate(SMALL_ON_A_PHONE) == [], kind
        shot(page, f"{name}-{kind}-form")
        page.get_by_role("button", name=t["Preview"], exact=True).click()
        preview = page.locator("#preview")
        expect(preview).to_be_visible()
        for text in shows:
            expect(preview).to_contain_text(text)
        if kind == "call" and lang == "en":
            expect(preview).to_contain_text("Repeats weekly on Tuesday")
        expect(page.locator("#preview [role=alert]")).to_have_count(0)  # no warnings
        shot(page, f"{name}-{kind}-preview")
        page.get_by_role("button", name=t["Publish"], exact=True).click()
        expect(page).to_have_url(re.compile(r"/hubs/dockers/posts/[0-9]+$"))
        published[kind] = page.url
        page.goto(f"{base}/hubs/dockers/compose")  # the next kind starts from a new page
    context.close()


def test_each_kind_from_its_form_on_a_phone_in_english(chromium: Any, hubs: Hubs) -> None:
    publish_every_kind(chromium, hubs, "en", {"width": 390, "height": 844}, "phone-en", 0)
    check_what_a_follower_receives(hubs, "en", 0)


def test_each_kind_from_its_form_on_a_desktop_in_spanish(chromium: Any, hubs: Hubs) -> None:
    publish_every_kind(chromium, hubs, "es", {"width": 1280, "height": 800}, "desktop-es", 1)
    check_what_a_follower_receives(hubs, "es", 1)


def received(b: FedihubInstance, uri: str) -> dict[str, Any]:
    async def arrived() -> bool:
        return bool(b.query("SELECT 1 FROM received_objects WHERE uri = ?", (uri,)))

    run_apart(eventually(arrived, what=f"B to receive {uri}"))
    ((document,),) = b.query("SELECT document FROM received_objects WHERE uri = ?", (uri,))
    got: dict[str, Any] = json.loads(document)
    return got


def occurrence(b: FedihubInstance, series: str) -> dict[str, Any]:
    """The first occurrence of a call series that the follower's instance received."""
    found: list[dict[str, Any]] = []

    async def arrived() -> bool:
        documents = [json.loads(d) for (d,) in b.query("SELECT document FROM received_objects")]
        found[:] = sorted((d for d in documents if d.get("context") == series),
                          key=lambda d: str(d.get("startTime")))  # fmt: skip
        return bool(found)

    run_apart(eventually(arrived, what=f"B to receive an occurrence of {series}"))
    return found[0]


def check_what_a_follower_receives(hubs: Hubs, lang: str, offset_days: int) -> None:
    """The event, the call and the poll as the follower's instance stored them: dates in the
    hub's zone, the place, the schedule and the options, as typed into the form."""
    when = Dates.from_today(offset_days)
    published = hubs.published[lang]
    checks: dict[str, Callable[[dict[str, Any]], None]] = {}

    def event(obj: dict[str, Any]) -> None:
        assert obj["type"] == "Event"
        assert obj["startTime"] == when.event.isoformat()
        assert obj["endTime"] == (when.event + dt.timedelta(hours=2)).isoformat()
        assert obj["timezone"] == "Europe/Madrid"
        assert obj["location"]["name"] == "Union Hall"
        assert "12 Harbor Road" in json.dumps(obj["location"])
        assert "Valencia" in json.dumps(obj["location"])
        assert obj["maximumAttendeeCapacity"] == 40

    def call(obj: dict[str, Any]) -> None:
        # The series, for microblog readers: its schedule and how to join, in words.
        assert obj["summary"].startswith("Repeats weekly on Tuesday"), obj["summary"]
        assert "+34 555 0100" in obj["content"] and "0123" in obj["content"]
        # Its first call, an Event of its own in the series (its context).
        first = occurrence(hubs.b, obj["id"])
        assert first["startTime"] == when.call.isoformat()
        assert first["endTime"] == (when.call + dt.timedelta(hours=1)).isoformat()
        assert first["timezone"] == "Europe/Madrid"

    def poll(obj: dict[str, Any]) -> None:
        assert obj["type"] == "Question"
        # Several may be chosen (the box was ticked): anyOf, not oneOf.
        assert [c["name"] for c in obj["anyOf"]] == list(POLL_OPTIONS)
        closes = dt.datetime.fromisoformat(obj["endTime"].replace("Z", "+00:00"))
        assert closes == when.closes, obj["endTime"]

    checks.update(event=event, call=call, poll=poll)
    for kind, check in checks.items():
        check(received(hubs.b, published[kind]))
