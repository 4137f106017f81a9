"""Reports from other servers, through real HTTP: a Mastodon-shaped Flag reaches the hub's
organisers (or, about a person, the admins), and each is resolved with a note and a name."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from fedihub.accounts.service import create_account, require_account
from fedihub.cli import main
from fedihub.hubs.service import create_hub, require_hub
from fedihub.keys import inbox_worker_key
from fedihub.posts import service as posts
from fedihub.reports import store as report_store
from fedihub.services import Services
from tests.support.fixtures import load
from tests.support.remote import RemoteServer
from tests.support.web import HTML, csrf_of, sign_in


async def handle(app_client: TestClient) -> None:
    while await app_client.app[inbox_worker_key].run_once():
        pass


def flag(reporter, n: int, objects: object, content: str = "Spam posted into the hub.") -> dict:  # type: ignore[no-untyped-def]
    return {**load("mastodon-flag-from-instance-actor"), "id": f"{reporter.id}/flags/{n}",
            "actor": reporter.id, "object": objects, "content": content}  # fmt: skip


async def test_a_report_reaches_the_hubs_organisers_who_resolve_it_on_the_record(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    base = services.config.base_url
    for name, admin in (("ana", False), ("root", True), ("ben", False)):
        await create_account(services.db, name, "correct horse", is_admin=admin)
    ana = await require_account(services.db, "ana")
    await create_hub(services.db, "climate", name="Climate", organizer=ana)
    await create_hub(services.db, "housing", name="Housing")
    climate = await require_hub(services.db, "climate")
    post = await posts.publish(services, climate, ana, "update", "Buses at noon.")
    mastodon = remote.add_actor("actor", actor_type="Application")
    inbox = f"{base}/inbox"
    hub_and_post = [f"{base}/hubs/climate", f"{base}/hubs/climate/posts/{post.id}"]
    sent = [
        flag(mastodon, 1, hub_and_post),
        flag(mastodon, 2, [f"{base}/users/ben"], "<p>Harassment in <b>DMs</b></p>"),
        flag(mastodon, 3, [f"{mastodon.base_url}/users/someone"]),  # not ours: not filed
        flag(mastodon, 4, [f"{base}/actor"]),  # our instance actor: nobody to answer for it
    ]
    for activity in sent:
        assert (await remote.post(inbox, activity, mastodon)).status == 202
    # A report that names nothing is refused at the door, before it is stored.
    nothing = await remote.post(inbox, flag(mastodon, 5, []), mastodon)
    assert nothing.status == 400
    await handle(app_client)
    rows = await services.db.fetchall(
        "SELECT hub_id, activity_uri, comment FROM reports ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (climate.id, sent[0]["id"], "Spam posted into the hub."),
        (None, sent[1]["id"], "Harassment in DMs"),
    ]  # fmt: skip

    assert await sign_in(app_client, "ana") == 303
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert "Spam posted into the hub." in page and hub_and_post[1] in page
    assert "Harassment" not in page  # about a person: the admins', not the hub's
    token = csrf_of(page)
    (report_id,) = [r[0] for r in await services.db.fetchall("SELECT id FROM reports LIMIT 1")]

    async def resolve(hub: str, resolution: str, report: str = str(report_id)) -> int:
        form = {"csrf": token, "report": report, "resolution": resolution}
        resp = await app_client.post(f"/hubs/{hub}/manage/report", data=form, headers=HTML,
                                     allow_redirects=False)  # fmt: skip
        return resp.status

    assert await resolve("climate", " ") == 400  # say what was done
    for hostile in ("", "-1", "1e3", "9" * 40, "²", "١"):  # '²'.isdigit(), yet int() fails
        assert await resolve("climate", "x", hostile) == 400, hostile  # which report?
    assert await resolve("housing", "x") == 403  # ana does not organise housing
    assert await resolve("climate", "Post deleted, account warned.") == 303
    resolved = await services.db.fetchone(
        "SELECT resolved_by, resolution FROM reports WHERE id = ?", (report_id,)
    )
    assert tuple(resolved) == ("ana", "Post deleted, account warned.")
    page = await (await app_client.get("/hubs/climate/manage", headers=HTML)).text()
    assert "No open reports." in page
    assert await resolve("climate", "again") == 404  # resolved once, on the record

    admin_page = await app_client.get("/admin", headers=HTML)
    assert admin_page.status == 403  # ana is no admin
    assert await sign_in(app_client, "root") == 303
    admin_page = await app_client.get("/admin", headers=HTML)
    assert "Harassment in DMs" in await admin_page.text()
    data_dir = str(services.config.data_dir)

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["reports", *args, "--data", data_dir])

    assert await cli("list") == 0
    assert await cli("resolve", "2", "--as", "ana", "--note", "ok") == 1  # admins only
    assert await cli("resolve", "2", "--as", "root", "--note", "Spoke with ben.") == 0
    person = await services.db.fetchone("SELECT resolved_by, resolution FROM reports WHERE id = 2")
    assert tuple(person) == ("root", "Spoke with ben.")


async def test_reports_about_an_accounts_post_reach_the_admins_and_a_flood_is_capped(
    app_client: TestClient, services: Services, remote: RemoteServer
) -> None:
    base = services.config.base_url
    await create_account(services.db, "ben", "correct horse", is_admin=False)
    ben = await require_account(services.db, "ben")
    own_post = await posts.publish(services, ben.actor, ben, "update", "My own words.")
    await create_hub(services.db, "climate", name="Climate")
    mastodon = remote.add_actor("actor", actor_type="Application")
    about_post = flag(mastodon, 1, [f"{base}/users/ben/posts/{own_post.id}"])
    assert (await remote.post(f"{base}/inbox", about_post, mastodon)).status == 202
    # One server keeps sending reports about a hub: past the cap they are not filed.
    for n in range(report_store.MAX_OPEN_PER_SERVER + 3):
        spam = flag(mastodon, 100 + n, [f"{base}/hubs/climate"], f"report {n}")
        assert (await remote.post(f"{base}/inbox", spam, mastodon)).status == 202
    await handle(app_client)
    person = await report_store.open_reports(services.db, None)
    assert [r.objects for r in person] == [(about_post["object"][0],)]
    hub = await require_hub(services.db, "climate")
    filed = await report_store.open_reports(services.db, hub.id)
    assert len(filed) == report_store.MAX_OPEN_PER_SERVER
