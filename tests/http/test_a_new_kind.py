"""Adding a kind of post is adding one module: a hypothetical "notice" (an announcement that
stands until a date) is written into a package of its own, found by the registry's discovery, and
then parsed, published through the same capability the CLI and the web forms use, federated as
an ActivityStreams object and shown on its page, with no other module of fedihub changed."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import fedihub.app
from fedihub.activitystreams import ACTIVITY_JSON
from fedihub.actors import store as actors
from fedihub.app import create_app
from fedihub.config import Config, split_host_port
from fedihub.errors import BadRequest
from fedihub.hubs.service import create_hub
from fedihub.keys import services_key
from fedihub.kinds import discover
from fedihub.posts import service as posts

# Everything a kind is, in its one module: name, label and example for the compose form, a
# typed fields dataclass, its front matter, its ActivityStreams shape, the hub page's section
# that lists it and its part of the post's page.
NOTICE = '''
    """A notice: an announcement that stands until a date."""

    from __future__ import annotations

    from dataclasses import dataclass
    from typing import Any
    from zoneinfo import ZoneInfo

    from fedihub.db import Database
    from fedihub.posts import fieldreaders as read
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
        allowed = frozenset({"title", "until"})
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
