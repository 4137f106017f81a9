"""The instance admin's page: the instance's name, description, rules, contact and sign-up
mode (kept in the database, over config.toml: see fedihub/settings.py), and the list of
accounts. Admins only."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub import settings
from fedihub.accounts import store as accounts
from fedihub.accounts.store import Account
from fedihub.config import SIGNUP_MODES, SignupMode
from fedihub.content import render_markdown
from fedihub.errors import Forbidden
from fedihub.keys import services_key, templates_key
from fedihub.moderation import reporting
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.conduct import clause_choices
from fedihub.reports import service as reports
from fedihub.reports import store as report_store
from fedihub.web.auth import form_action, form_page, require_signed_in
from fedihub.web.forms import form_number, form_text

routes = web.RouteTableDef()
MODE_NAMES: dict[SignupMode, str] = {"open": "Open to anyone", "invite": "By invitation",
                                     "closed": "Closed"}  # fmt: skip


async def apply_stored_settings(app: web.Application) -> None:
    """At start-up and after each save: the stored settings win over config.toml's."""
    svc = app[services_key]
    svc.config = await settings.apply_stored(svc.config, svc.db)
    app[templates_key].globals.update(
        instance_name=svc.config.instance_name, instance_summary=svc.config.instance_summary
    )


async def _require_admin(request: web.Request) -> Account:
    account = await require_signed_in(request)
    if not account.is_admin:
        raise Forbidden("only the instance's admins may change its settings")
    return account


async def _admin_page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    svc = request.app[services_key]
    open_reports = await report_store.open_reports(svc.db, None)
    return await form_page(request, "admin.html", status=status, error=error,
                           settings=svc.config, modes=SIGNUP_MODES, mode_names=MODE_NAMES,
                           accounts=await accounts.list_accounts(svc.db), reports=open_reports,
                           about=await reports.subjects_of(svc, open_reports),
                           clauses=await clause_choices(svc, None),
                           in_hubs=await report_store.open_in_hubs(svc.db))  # fmt: skip


@routes.get("/admin")
async def admin_page(request: web.Request) -> web.Response:
    return await _admin_page(request, None, await _require_admin(request))


async def _resolve_report(request: web.Request, form: Any, account: Account) -> str:
    report = form_number(form, "report", "which report?")
    svc = request.app[services_key]
    by = await local_moderator(svc, account, None)
    await reporting.resolve(svc, by, report, form_text(form, "resolution"),
                            form_text(form, "clause"))  # fmt: skip
    return "/admin"


async def _forward_report(request: web.Request, form: Any, account: Account) -> str:
    report = form_number(form, "report", "which report?")
    svc = request.app[services_key]
    by = await local_moderator(svc, account, None)
    await reporting.forward(svc, by, report, form_text(form, "reason"))
    return "/admin"


@routes.post("/admin/report/forward")
async def forward_report(request: web.Request) -> web.StreamResponse:
    """An admin sends a report on to the server it is about, as a Flag from this instance."""
    return await form_action(request, _require_admin, _forward_report, _admin_page)


@routes.post("/admin/report")
async def resolve_report(request: web.Request) -> web.StreamResponse:
    """Reports about people here (not about a hub) are the admins' to answer."""
    return await form_action(request, _require_admin, _resolve_report, _admin_page)


async def _save(request: web.Request, form: Any, account: Account) -> str:
    await settings.save(
        request.app[services_key].db, {key: form_text(form, key) for key in settings.EDITABLE}
    )
    await apply_stored_settings(request.app)
    return "/admin"


@routes.post("/admin")
async def save(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _require_admin, _save, _admin_page)


@routes.get("/about")
async def about(request: web.Request) -> web.Response:
    """The instance's rules and contact, for everyone."""
    svc = request.app[services_key]
    rules = render_markdown(svc.config.instance_rules)[1]
    return await form_page(request, "about.html", rules=rules, contact=svc.config.instance_contact)
