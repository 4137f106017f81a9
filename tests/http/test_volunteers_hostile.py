"""What a hostile review of the volunteers feature found, each kept as a test: a stranger who
knows someone's e-mail address or phone number can neither rewrite who they are nor take
their link; a private link cannot test other people's contacts without limit; the consent
period is one of the offered choices, as written; private links stay out of the logs; the
export quotes every cell; a withdrawn volunteer no longer sees the site's address."""

from __future__ import annotations

import csv
import io
import logging
import re
import time

import pytest
from aiohttp.test_utils import TestClient

from fedihub.actors.model import LocalActor
from fedihub.clock import FixedClock
from fedihub.services import Services
from fedihub.volunteers import assignments, store
from fedihub.volunteers.export import csv_text
from fedihub.volunteers.model import Volunteer
from tests.http.test_volunteer_dispatch import effort, volunteer
from tests.http.test_volunteer_signup import GOOD, form_data, post_signup, sandy, token_of
from tests.support.web import HTML, csrf_of

__all__ = ["sandy"]


async def test_a_stranger_cannot_rewrite_who_a_volunteer_is(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    victim = {**GOOD, "email": "victim@example.org", "handle": "@victim@social.example",
              "consent_months": "3"}  # fmt: skip
    await post_signup(app_client, victim)
    (vid,) = [r[0] for r in await services.db.fetchall("SELECT id FROM volunteers")]
    before = await store.volunteer(services.db, sandy.id, vid)
    stranger = {**GOOD, "name": "Mallory", "email": "victim@example.org",
                "phone": "+1 555 666 7777", "handle": "@mallory@evil.example",
                "consent_months": "12", "area": "Elsewhere"}  # fmt: skip
    assert (await post_signup(app_client, stranger)).status == 303
    after = await store.volunteer(services.db, sandy.id, vid)
    assert before is not None and after is not None
    assert (after.name, after.email, after.phone, after.handle, after.consent_until) == (
        before.name, before.email, before.phone, before.handle, before.consent_until
    )  # fmt: skip
    assert after.area == "Elsewhere"  # what they offer is what a repeat may change


async def test_a_phone_number_cannot_be_given_a_strangers_address(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await post_signup(app_client, {**GOOD, "email": "", "phone": "+1 555 0100"})
    await post_signup(app_client, {**GOOD, "email": "mallory@evil.example",
                                   "phone": "+1 555 0100"})  # fmt: skip
    found = await services.db.fetchall("SELECT email, phone_key FROM volunteers")
    assert [tuple(r) for r in found] == [(None, "+15550100")]


async def test_a_private_link_cannot_probe_contacts_past_the_limit(
    app_client: TestClient, services: Services, sandy: LocalActor
) -> None:
    await post_signup(app_client, {**GOOD, "email": "victim@example.org"})
    mine = await post_signup(app_client, {**GOOD, "email": "prober@example.org"})
    path = f"/hubs/sandy/volunteer/me/{token_of(mine.headers['Location'])}"
    statuses = []
    for n in range(services.config.volunteer_signups_per_address_hour + 2):
        page = await (await app_client.get(path, headers=HTML)).text()
        data = form_data({**GOOD, "email": f"guess{n}@example.org"}, csrf_of(page))
        resp = await app_client.post(path, data=data, headers=HTML, allow_redirects=False)
        statuses.append(resp.status)
    assert (
        429 in statuses
        and statuses.index(429) <= services.config.volunteer_signups_per_address_hour
    )


@pytest.mark.parametrize("months", ["00129999", "0012" + "9" * 400, "0012" + "9" * 5000, "03",
                                    " 3", "3.0", "24"])  # fmt: skip
async def test_the_consent_period_is_one_of_the_choices_as_written(
    app_client: TestClient, services: Services, sandy: LocalActor, months: str
) -> None:
    resp = await post_signup(app_client, {**GOOD, "consent_months": months})
    assert resp.status == 400
    assert "choose how long we may keep your details" in await resp.text()
    assert await services.db.fetchval("SELECT count(*) FROM volunteers") == 0


async def test_private_links_stay_out_of_the_logs(
    app_client: TestClient, sandy: LocalActor, caplog: pytest.LogCaptureFixture
) -> None:
    first = await post_signup(app_client, GOOD)
    token = token_of(first.headers["Location"])
    caplog.set_level(logging.INFO)
    app_client.session.cookie_jar.clear()  # the form outlived its session: refused, logged
    for path in (f"/hubs/sandy/volunteer/me/{token}/delete",
                 f"/hubs/sandy/volunteer/answer/{token}"):  # fmt: skip
        resp = await app_client.post(path, data=form_data({}, "stale"), headers=HTML)
        assert resp.status in (400, 403, 404)
    logged = [r.getMessage() for r in caplog.records]
    assert any("/volunteer/me/…/delete" in line for line in logged), logged
    assert [line for line in logged if token in line] == []


def test_every_exported_cell_is_quoted_so_no_separator_opens_a_formula() -> None:
    v = Volunteer(id=1, hub_id=1, name="Ana", email="a@example.org", phone=None, handle=None,
                  languages=("es",), skills=0, other_skills="", availability=1,
                  area="x;=HYPERLINK(CHAR(104)&C2)", transport="none", notes="", language="es",
                  consent_until=2e9, created_at=1e9, updated_at=1e9)  # fmt: skip
    text = csv_text([v])
    for separator in (",", ";"):
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=separator) for c in row]
        assert not [c for c in cells if c.lstrip('" ').startswith("=")], separator


async def test_a_withdrawn_volunteer_no_longer_sees_the_sites_address(
    app_client: TestClient, services: Services
) -> None:
    services.clock = FixedClock(time.time())
    sandy = await effort(services)
    ana = await volunteer(services, sandy.hub, "Ana Uno")
    (asked,) = await assignments.assign(services, sandy.lead, sandy.shift, [ana])
    page = f"/hubs/sandy/volunteer/answer/{asked.token}"
    assert "196 Van Brunt St" in await (await app_client.get(page, headers=HTML)).text()
    await assignments.cancel(services, sandy.lead, asked.assignment_id)
    text = await (await app_client.get(page, headers=HTML)).text()
    assert "withdrawn" in text and "196 Van Brunt St" not in text
    assert re.search(r"Red Hook", text)  # the site's name still says which shift it was
