"""`/report?about=ADDRESS`: anyone, signed in or not, reports a post, an account or a hub here,
or an actor or post from another server that we hold, to the moderators who answer for it
(the hub's and the instance's admins); about another server's, they may ask for it to be sent
on there too, without their name. Limited per account, and per address for those signed out."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.errors import FedihubError, TooManyRequests
from fedihub.keys import report_limits_key, services_key
from fedihub.moderation import reporting
from fedihub.moderation.conduct import clause_choices
from fedihub.reports import service as reports
from fedihub.reports import subjects
from fedihub.reports.flags import MAX_COMMENT_CHARS
from fedihub.web.auth import client_address, current_account, form_action, form_page
from fedihub.web.forms import form_text
from fedihub.web.respond import in_their_words

routes = web.RouteTableDef()


async def _anyone(request: web.Request) -> Account | None:
    return await current_account(request)


async def _report_page(
    request: web.Request, form: Any, account: Account | None, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    svc = request.app[services_key]
    about = form_text(form, "about") if form else request.query.get("about", "").strip()
    subject, clauses = None, []
    try:
        subject = await subjects.find(svc, about)
    except FedihubError as e:
        if error is None:
            error, status = in_their_words(request, e), e.http_status
    if subject is not None:
        scopes = await subjects.scopes(svc, (subject.uri,), flag=False)
        hub_id = next((s for s in scopes if s is not None), None)
        hub = await actors.get_actor_by_id(svc.db, hub_id) if hub_id is not None else None
        clauses = await clause_choices(svc, hub)
    done = request.query.get("done") == "sent" and error is None
    return await form_page(request, "report.html", status=status, error=error, about=about,
                           subject=subject, clauses=clauses, form=form or {}, done=done,
                           reporter=account, max_comment=MAX_COMMENT_CHARS,
                           max_contact=reports.MAX_CONTACT_CHARS)  # fmt: skip


@routes.get("/report")
async def report_page(request: web.Request) -> web.Response:
    return await _report_page(request, None, await _anyone(request))


async def _send(request: web.Request, form: Any, account: Account | None) -> str:
    svc = request.app[services_key]
    given = reporting.WebReport(
        subject=await subjects.find(svc, form_text(form, "about")),
        comment=reports.read_comment(form_text(form, "comment")),
        clause=form_text(form, "clause"),
        contact=reports.read_contact(form_text(form, "contact")),
        forward=form_text(form, "forward") == "yes",
    )
    if account is None and not request.app[report_limits_key].allow(client_address(request)):
        raise TooManyRequests(
            "%(count)s reports were sent from your address in the last hour: please wait"
            " before sending more",
            count=reports.WEB_REPORTS_PER_HOUR,
        )
    await reporting.file_web_report(svc, account, given)
    return f"/report?about={quote(given.subject.uri, safe='')}&done=sent"


@routes.post("/report")
async def send_report(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _anyone, _send, _report_page)
