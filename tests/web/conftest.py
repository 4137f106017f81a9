"""One real `fedihub serve` with a hub full of posts, and Debian's Chromium to look at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.instances import FedihubInstance
from tests.support.postgres import PostgresCluster
from tests.support.threads import run_apart

CHROMIUM = Path("/usr/bin/chromium")
# The accessibility audit, evaluated in a page: a list of what is wrong (see audit.js).
AUDIT = (Path(__file__).parent / "audit.js").read_text()
ZONE = ZoneInfo("America/New_York")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip themselves
    pass
else:
    # Playwright's assertions retry for 5 s by default; give a loaded CI machine the same 20 s
    # as `eventually`. A check that holds returns at once, so this costs nothing when green.
    expect.set_options(timeout=20_000)


@dataclass(frozen=True)
class Site:
    instance: FedihubInstance
    slug: str
    name: str
    event: str  # titles as posted
    event_when: str  # the line the page should print, worked out here independently
    cancelled: str
    call: str
    call_when: str
    update_text: str
    minutes: str
    minutes_url: str

    @property
    def hub_url(self) -> str:
        return f"{self.instance.base_url}/hubs/{self.slug}"


def when(start: dt.datetime, end: dt.datetime) -> str:
    """As Babel writes an English date (fedihub/words.py), worked out here by hand."""
    day = f"{start:%A}, {start:%B} {start.day}, {start.year}"
    return f"{day}, {start:%H:%M}–{end:%H:%M} (America/New_York)"


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, suite_cluster: PostgresCluster | None
) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web")
    a = FedihubInstance(root, "a", cluster=suite_cluster)
    a.init()
    (root / "pw").write_text("organise-together\n")
    a.cli("account", "create", "--data", a.data, "maria", "--password-file", root / "pw")
    a.cli("hub", "create", "--data", a.data, "dockers", "--name", "Dockworkers United",
          "--summary", "Port workers organising along the coast.", "--organizer", "maria",
          "--timezone", "America/New_York")  # fmt: skip

    def post(kind: str, text: str) -> str:
        (root / "post.md").write_text(text)
        args = ("post", "--data", a.data, "dockers", "--as", "maria", "--kind", kind)
        return a.cli(*args, root / "post.md").stdout.strip()

    today = dt.datetime.now(ZONE).date()
    call_day, event_day = today + dt.timedelta(days=2), today + dt.timedelta(days=4)
    byday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[call_day.weekday()]
    post("update", "# Port shutdown\n\nWest coast locals hold the line on Monday.\n")
    minutes_url = post("minutes", f"""---
title: Strike committee minutes
meeting_date: {today - dt.timedelta(days=2)}
decisions: [Hold the picket, Ask Local 10 for support]
actions:
  - {{task: Book the hall, owner: Maria, due: {today + dt.timedelta(days=3)}}}
---
We met at the hall.
""")  # fmt: skip
    post("event", f"""---
title: Rally at the gates
start: {at(event_day, 18):%Y-%m-%d %H:%M}
end: {at(event_day, 20):%Y-%m-%d %H:%M}
location: {{name: Union Hall, street: 12 Harbor Road, locality: Oakland}}
capacity: 40
---
Bring a banner.
""")  # fmt: skip
    doomed = post("event", f"""---
title: Harbor picnic
start: {event_day + dt.timedelta(days=1)} 12:00
end: {event_day + dt.timedelta(days=1)} 14:00
location: Harbor Park
---
Food for everyone.
""")  # fmt: skip
    a.cli("cancel", "--data", a.data, "dockers", doomed.rsplit("/", 1)[1], "--as", "maria")
    post("call", f"""---
title: Weekly coordination call
start: {at(call_day, 19):%Y-%m-%d %H:%M}
end: {at(call_day, 20):%Y-%m-%d %H:%M}
schedule: FREQ=WEEKLY;BYDAY={byday}
dial_in: +1 555 0100
---
Reports from each local.
""")  # fmt: skip
    run_apart(a.start())
    try:
        yield Site(
            a, "dockers", "Dockworkers United", "Rally at the gates",
            when(at(event_day, 18), at(event_day, 20)), "Harbor picnic",
            "Weekly coordination call", when(at(call_day, 19), at(call_day, 20)),
            "West coast locals hold the line on Monday.", "Strike committee minutes", minutes_url,
        )  # fmt: skip
    finally:
        run_apart(a.stop())
        a.drop_database()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # the test module skips when it is missing

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
