"""The moderation log and codes of conduct underneath every moderation action, on the real
database: who may act where, versions of a code, the clauses actions cite, and the log's order."""

from __future__ import annotations

import pytest

from fedihub.accounts.service import create_account, require_account
from fedihub.actors.store import RemoteActor
from fedihub.errors import BadRequest, Forbidden, NotFound
from fedihub.hubs.service import create_hub, require_hub
from fedihub.moderation import conduct, log, notices
from fedihub.moderation import store as mod_store
from fedihub.moderation.authority import local_moderator, remote_moderator
from fedihub.outbox import store as outbox
from fedihub.reports import store as reports
from fedihub.services import Services

CODE = """We organise together.

1. Be kind to each other.
2. No **harassment**, ever.
   1. Not even in jest (a nested item is part of clause 2).
3. Keep private what people tell you in confidence, and never share anyone's address, phone
"""


@pytest.fixture
async def hub_and_people(services: Services) -> None:
    await create_account(services.db, "ana", "correct horse", is_admin=False)
    await create_account(services.db, "root", "correct horse", is_admin=True)
    await create_account(services.db, "bo", "correct horse", is_admin=False)
    await create_hub(services.db, "climate", name="Climate",
                     organizer=await require_account(services.db, "ana"))  # fmt: skip


@pytest.mark.usefixtures("hub_and_people")
async def test_organisers_and_admins_moderate_a_hub_and_only_admins_the_instance(
    services: Services,
) -> None:
    hub = await require_hub(services.db, "climate")
    ana, root, bo = [await require_account(services.db, n) for n in ("ana", "root", "bo")]
    assert (await local_moderator(services, ana, hub)).hub_id == hub.id
    assert (await local_moderator(services, root, None)).is_admin
    for who, where in ((bo, hub), (ana, None), (bo, None)):
        with pytest.raises(Forbidden):
            await local_moderator(services, who, where)
    with pytest.raises(Forbidden):
        await remote_moderator(services, hub, "https://elsewhere.example/users/mallory")


@pytest.mark.usefixtures("hub_and_people")
async def test_a_code_is_versioned_its_clauses_are_its_numbered_items_and_changes_are_logged(
    services: Services,
) -> None:
    hub = await require_hub(services.db, "climate")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    assert await conduct.read_clause(services, hub, "") == ""  # no code yet: nothing to cite
    assert await conduct.set_code(services, root, None, "1. Respect.\n") == 1
    assert await conduct.set_code(services, ana, hub, CODE) == 1
    assert await conduct.set_code(services, ana, hub, CODE) == 1  # the same text: no new version
    assert await conduct.set_code(services, ana, hub, CODE + "4. Vote.\n") == 2
    choices = await conduct.clause_choices(services, hub)
    assert [c.value for c in choices] == ["hub:1", "hub:2", "hub:3", "hub:4", "instance:1"]
    assert choices[1].label == "Hub code v2 §2: No harassment, ever."
    assert choices[2].label.endswith("…") and len(choices[2].label) < 90
    assert await conduct.read_clause(services, hub, "instance:1") == "Instance code v1 §1: Respect."
    for wrong in ("", "hub:9", "2", "instance:1; DROP"):  # two codes: a bare number is ambiguous
        with pytest.raises(BadRequest):
            await conduct.read_clause(services, hub, wrong)
    assert await conduct.read_clause(services, None, "1") == "Instance code v1 §1: Respect."
    with pytest.raises(BadRequest):
        await conduct.set_code(services, ana, hub, "   ")
    entries = await log.recent(services.db, hub.id)
    assert [(e.action, e.target_label, e.by_label) for e in entries] == [
        ("conduct_change", "v2", "ana"), ("conduct_change", "v1", "ana")
    ]  # fmt: skip
    assert [e.action for e in await log.recent(services.db, None)] == ["conduct_change"]
    assert len(await log.recent(services.db, None, everywhere=True)) == 3


@pytest.mark.usefixtures("hub_and_people")
async def test_acceptance_is_of_the_version_shown_and_a_new_version_asks_again(
    services: Services,
) -> None:
    hub = await require_hub(services.db, "climate")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    bo = "https://elsewhere.example/users/bo"
    assert await conduct.still_to_accept(services, bo, hub) is None  # no code: nothing to accept
    await conduct.set_code(services, ana, hub, CODE)
    code = await conduct.still_to_accept(services, bo, hub)
    assert code is not None
    await conduct.accept(services, bo, hub, code.version)
    assert await conduct.still_to_accept(services, bo, hub) is None
    await conduct.set_code(services, ana, hub, CODE + "4. Vote.\n")
    assert (await conduct.still_to_accept(services, bo, hub) or code).version == 2
    with pytest.raises(BadRequest):
        await conduct.accept(services, bo, hub, 7)


@pytest.mark.usefixtures("hub_and_people")
async def test_the_log_pages_newest_first(services: Services) -> None:
    root = await local_moderator(services, await require_account(services.db, "root"), None)
    async with services.db.transaction() as tx:
        for n in range(log.PAGE + 5):
            await log.record(tx, root, "block_domain", target_uri=f"spam{n}.example",
                             reason="spam", now=1000.0 + n)  # fmt: skip
    first = await log.recent(services.db, None)
    assert len(first) == log.PAGE and first[0].target_uri == f"spam{log.PAGE + 4}.example"
    rest = await log.recent(services.db, None, before=first[-1].id)
    assert [e.target_uri for e in rest] == [f"spam{n}.example" for n in range(4, -1, -1)]
    with pytest.raises(BadRequest):
        log.read_reason("  ")
    assert log.read_reason("", required=False) == ""


@pytest.mark.usefixtures("hub_and_people")
async def test_an_action_answering_a_report_resolves_it_in_its_scope_or_is_not_taken(
    services: Services,
) -> None:
    hub = await require_hub(services.db, "climate")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    async with services.db.transaction() as tx:
        await reports.save(tx, hub.id, "https://m.example/flag/1", "https://m.example/actor",
                           [hub.uri(services.config.base_url)], "spam", 1.0)  # fmt: skip
        await reports.save(tx, None, "https://m.example/flag/2", "https://m.example/actor",
                           ["https://x.example/u"], "abuse", 1.0)  # fmt: skip
    hub_report, people_report = await reports.open_reports(services.db, hub.id) + (
        await reports.open_reports(services.db, None)
    )
    with pytest.raises(NotFound):  # a hub's moderator cannot answer the admins' report
        async with services.db.transaction() as tx:
            await log.record(tx, ana, "warn", reason="x", report_id=people_report.id, now=2.0)
    assert await log.recent(services.db, hub.id) == []  # nothing recorded
    async with services.db.transaction() as tx:
        await log.record(tx, ana, "warn", target_uri="https://m.example/u/z", reason="spam",
                         report_id=hub_report.id, now=3.0)  # fmt: skip
    assert await reports.open_reports(services.db, hub.id) == []
    [entry] = await log.recent(services.db, hub.id)
    assert entry.report_id == hub_report.id and entry.action == "warn"


@pytest.mark.usefixtures("hub_and_people")
async def test_a_notice_is_a_direct_message_queued_with_the_action_and_remembered_for_replies(
    services: Services,
) -> None:
    hub = await require_hub(services.db, "climate")
    ana = await local_moderator(services, await require_account(services.db, "ana"), hub)
    person = RemoteActor("https://m.example/users/zed", "m.example", "Person", "zed",
                         "https://m.example/users/zed/inbox", "https://m.example/inbox", None,
                         None, 1.0)  # fmt: skip
    async with services.db.transaction() as tx:
        entry_id = await log.record(tx, ana, "warn", target_uri=person.uri, reason="x", now=1.0)
        note = await notices.tell(tx, services, hub, person, "<p>Please stop.</p>",
                                  about_entry=entry_id)  # fmt: skip
    sent = await outbox.activity_by_uri(services.db, note.removesuffix("#note"))
    assert sent is not None and sent["object"]["to"] == [person.uri]
    assert (
        sent["object"]["tag"][0]["name"] == "@zed@m.example" and "inReplyTo" not in sent["object"]
    )
    assert "Please stop." in sent["object"]["content"]
    assert await mod_store.entry_noticed(services.db, note, person.uri) == entry_id
    assert await mod_store.entry_noticed(services.db, note, "https://m.example/users/eve") is None
