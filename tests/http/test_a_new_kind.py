"""Adding a kind of post is adding one module: a hypothetical "notice" (an announcement that
stands until a date) is written into a package of its own, found by the registry's discovery, and
then parsed, published through the same capability the CLI and the web forms use, federated as
an ActivityStreams object and shown on its page, with no other module of fedihub changed. Its
declared form alone puts its inputs on the compose page, and a post made there is published."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import fedihub.app
from fedihub.accounts.service import create_account, require_account
from fedihub.activitystreams import ACTIVITY_JSON
from fedihub.actors import store as actors
from fedihub.app import create_app
from fedihub.config import Config, split_host_port
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub
from fedihub.keys import services_key
from fedihub.kinds import discover
from fedihub.posts import service as posts
from tests.support.web import HTML, form_token, sign_in

# Everything a kind is, in its one module: name, label and example for the compose form, a
# typed fields dataclass, its form (which gives the front matter keys it allows), its
# ActivityStreams shape, the hub page's section that lists it and its part of the post's page.
NOTICE = '''
    """A notice: an announcement that stands until a date."""

    from __future__ import annotations

    from dataclasses import dataclass
    from typing import Any
    from zoneinfo import ZoneInfo

    from fedihub.db import Database
    from fedihub.posts import fieldreaders as read
    from fedihub.posts.formfields import FormField
    from fedihub.posts.kind import KindName, Parsed, PostKind
    from fedihub.posts.store import Post
    from fedihub.words import Words


    @dataclass(frozen=True)
    class NoticeFields:
        until: str  # YYYY-MM-DD

        def to_json(self) -> dict[str, Any]:
            return {"until": self.until}

        @classmethod
        def from_json(cls, data: dict[str, Any]) -> NoticeFields:
            return cls(until=data["until"])


    class Notice(PostKind):
        name = KindName("notice")
        label = "Notice"
        example = "---\\nuntil: 2026-12-31\\n---\\nThe hall is closed."
        position = 10
        fields_type = NoticeFields
        form = (
            FormField("until", "Stands until", "date", required=True,
                      help="The last day it stands"),
        )
        body_required = True
        in_feed = True
        hub_section = "updates"
        page_part = (
            "{% macro about() %}<p class=notice>Stands until {{ until }}</p>{% endmacro %}"
            "{% macro take_part() %}{% endmacro %}{% macro after_content() %}{% endmacro %}"
        )

        def parse(self, meta: dict[str, Any], zone: ZoneInfo) -> Parsed:
            until = read.date(meta, "until", required=True)
            assert until is not None
            return Parsed(NoticeFields(until))

        def render(
            self, obj: dict[str, Any], post: Post, hub_uri: str, series: Post | None,
            loaded: object, words: Words,
        ) -> None:
            obj["summary"] = f"Stands until {NoticeFields.from_json(post.fields).until}"

        async def page(
            self, db: Database, post: Post, viewer_uri: str | None, now: float
        ) -> dict[str, Any]:
            return {"until": NoticeFields.from_json(post.fields).until}


    KIND = Notice()
'''


@pytest.fixture
def notice_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fedihub's own kinds and the notice, in a package outside fedihub, given to the app."""
    package = tmp_path / "more_kinds"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "notice.py").write_text(textwrap.dedent(NOTICE))
    monkeypatch.syspath_prepend(str(tmp_path))
    kinds = discover("fedihub.kinds", "more_kinds")
    monkeypatch.setattr(fedihub.app, "registry", lambda: kinds)


@pytest.fixture
async def client(notice_kinds: None, instance_config: Config) -> AsyncIterator[TestClient]:
    app: web.Application = create_app(instance_config, run_workers=False)
    port = split_host_port(instance_config.domain)[1]
    async with TestClient(TestServer(app, host="127.0.0.1", port=port)) as client:
        yield client


async def test_a_kind_in_one_module_is_parsed_published_federated_and_shown(
    client: TestClient,
) -> None:
    svc = client.app[services_key]
    assert svc.kinds.names[-1] == "notice"  # after fedihub's own, by its position
    assert svc.kinds.get("notice").allowed == {"title", "until"}  # from its form
    await create_hub(svc.db, "tenants", name="Tenants")
    hub = await actors.get_actor(svc.db, "group", "tenants")
    assert hub is not None
    with pytest.raises(BadRequest, match="until"):
        await posts.publish(svc, hub, None, "notice", "The hall is closed.")

    text = "---\nuntil: 2026-12-31\n---\nThe hall is closed for repairs."
    post = await posts.publish(svc, hub, None, "notice", text)
    stored = await svc.db.fetchone("SELECT kind, fields FROM posts WHERE id = ?", (post.id,))
    assert stored is not None
    assert (stored["kind"], json.loads(stored["fields"])) == ("notice", {"until": "2026-12-31"})
    assert svc.kinds.of(post).fields(post) == svc.kinds.get("notice").fields_type.from_json(
        {"until": "2026-12-31"}
    )

    path = f"/hubs/tenants/posts/{post.id}"
    response = await client.get(path, headers={"Accept": ACTIVITY_JSON})
    obj = await response.json(content_type=None)
    assert obj["summary"] == "Stands until 2026-12-31"
    assert "closed for repairs" in obj["content"]

    page = await (await client.get(path)).text()
    assert "<p class=notice>Stands until 2026-12-31</p>" in page
    assert "closed for repairs" in page
    assert "closed for repairs" in await (await client.get("/hubs/tenants")).text()
    assert "closed for repairs" in await (await client.get("/hubs/tenants/feed.atom")).text()


async def test_a_kind_in_one_module_has_its_form_on_the_compose_page(client: TestClient) -> None:
    svc = client.app[services_key]
    await create_account(svc.db, "ana", "correct horse", is_admin=False)
    ana = await require_account(svc.db, "ana")
    await create_hub(svc.db, "tenants", name="Tenants", organizer=ana)
    assert await sign_in(client, "ana") == 303
    compose = "/hubs/tenants/compose"
    page = await (await client.get(f"{compose}?kind=notice", headers=HTML)).text()
    # Its declared field, as a real date input with its label and help; no YAML to type.
    assert '<label for="f-until">Stands until <span aria-hidden="true">*</span></label>' in page
    assert '<small id="f-until-help">The last day it stands</small>' in page
    assert '<input type="date" id="f-until" name="f.until" value="" required' in page
    assert '<input type="hidden" name="kind" value="notice">' in page
    assert 'id="text"' not in page  # the form, not the file
    # It is offered among the kinds on the other kinds' pages too.
    update = await (await client.get(compose, headers=HTML)).text()
    assert 'name="to_kind" value="notice"' in update

    token = await form_token(client, compose)
    form = {"csrf": token, "kind": "notice", "mode": "form", "title": "",
            "f.until": "", "body": "The hall is closed."}  # fmt: skip
    refused = await client.post(compose, data=form, headers=HTML)
    assert refused.status == 400
    assert "until" in await refused.text()
    form["f.until"] = "2027-01-31"
    resp = await client.post(compose, data=form, headers=HTML, allow_redirects=False)
    assert resp.status == 303, (await resp.text())[:2000]
    row = await svc.db.fetchone("SELECT kind, fields, source_markdown FROM posts")
    assert row is not None
    assert (row["kind"], json.loads(row["fields"])) == ("notice", {"until": "2027-01-31"})
    assert row["source_markdown"] == "---\nuntil: '2027-01-31'\n---\nThe hall is closed."
    shown = await (await client.get(resp.headers["Location"])).text()
    assert "<p class=notice>Stands until 2027-01-31</p>" in shown
