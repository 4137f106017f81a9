"""The instance admin's page: the instance's name, description, rules, contact and sign-up
mode (kept in the database, over config.toml), and the list of accounts. Admins only."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from fedihub.actors.store import Account
from fedihub.content import render_markdown
from fedihub.db import Database
from fedihub.errors import BadRequest, FedihubError, Forbidden
from fedihub.keys import services_key, templates_key
from fedihub.reports import service as reports
from fedihub.reports import store as report_store
from fedihub.services import Services
from fedihub.web.auth import SIGNUP_MODES, csrf_form, form_page, require_signed_in
from fedihub.web.forms import form_number, form_text
from fedihub.web.respond import in_their_words

routes = web.RouteTableDef()
EDITABLE = ("instance_name", "instance_summary", "instance_rules", "instance_contact",
            "signup_mode")  # fmt: skip
MAX_SETTING = 20_000
MODE_NAMES = {"open": "Open to anyone", "invite": "By invitation", "closed": "Closed"}


async def apply_stored_settings(app: web.Application) -> None:
    """At start-up and after each save: the stored settings win over config.toml's."""
    svc: Services = app[services_key]
    rows = await svc.db.fetchall("SELECT key, value FROM instance_settings")
    stored = {r["key"]: r["value"] for r in rows if r["key"] in EDITABLE}
    svc.config = replace(svc.config, **stored)
    app[templates_key].globals.update(
        instance_name=svc.config.instance_name, instance_summary=svc.config.instance_summary
    )


async def _require_admin(request: web.Request) -> Account:
    account = await require_signed_in(request)
    if not account.is_admin:
        raise Forbidden("only the instance's admins may change its settings")
    return account


async def _accounts(db: Database) -> list[tuple[str, bool, float]]:
    rows = await db.fetchall(
        "SELECT a.username, c.is_admin, a.created_at FROM accounts c"
        " JOIN local_actors a ON a.id = c.actor_id ORDER BY a.created_at"
    )
    return [(r[0], bool(r[1]), r[2]) for r in rows]


@routes.get("/admin")
async def admin_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    await _require_admin(request)
    svc = request.app[services_key]
    return await form_page(request, "admin.html", status=status, error=error,
                           settings=svc.config, modes=SIGNUP_MODES, mode_names=MODE_NAMES,
                           accounts=await _accounts(svc.db),
                           reports=await report_store.open_reports(svc.db, None))  # fmt: skip


@routes.post("/admin/report")
async def resolve_report(request: web.Request) -> web.StreamResponse:
    """Reports about people here (not about a hub) are the admins' to answer."""
    form = await csrf_form(request)
    account = await _require_admin(request)
    try:
        report = form_number(form, "report", "which report?")
        await reports.resolve(request.app[services_key], report, None, account.actor.username,
                              form_text(form, "resolution"))  # fmt: skip
    except FedihubError as e:
        return await admin_page(request, error=in_their_words(request, e), status=e.http_status)
    raise web.HTTPSeeOther("/admin")


@routes.post("/admin")
async def save(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    await _require_admin(request)
    svc = request.app[services_key]
    try:
        values = {key: form_text(form, key) for key in EDITABLE}
        if not values["instance_name"]:
            raise BadRequest("the instance needs a name")
        if values["signup_mode"] not in SIGNUP_MODES:
            raise BadRequest("sign-up: open, invite or closed")
        if any(len(v) > MAX_SETTING for v in values.values()):
            raise BadRequest("each setting may be at most %(max)s characters", max=MAX_SETTING)
    except FedihubError as e:
        return await admin_page(request, error=in_their_words(request, e), status=e.http_status)
    async with svc.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO instance_settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
    await apply_stored_settings(request.app)
    raise web.HTTPSeeOther("/admin")


@routes.get("/about")
async def about(request: web.Request) -> web.Response:
    """The instance's rules and contact, for everyone."""
    svc = request.app[services_key]
    rules = render_markdown(svc.config.instance_rules)[1]
    return await form_page(request, "about.html", rules=rules, contact=svc.config.instance_contact)
