"""`/newswire/submit`: anyone sends news to the newswire, without an account. A signed-in
account here submits as itself (so an editor's trust in it applies); anyone else anonymously,
at most SUBMISSIONS_PER_HOUR from one address, with an optional contact address only editors
see. A hidden field that people leave empty catches programs that fill in every field."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.errors import BadRequest, TooManyRequests
from fedihub.keys import services_key
from fedihub.newswire import fields, service, store
from fedihub.newswire.model import item_path
from fedihub.services import Services
from fedihub.web.auth import client_address, current_account, form_action, form_page
from fedihub.web.forms import form_text
from fedihub.web.i18n import language_of
from fedihub.web.throttle import PerAddressLimit

SUBMISSIONS_PER_HOUR = 5
# Signed-out submissions per address (IPv6 by /64), in this process's memory.
submit_limits_key: web.AppKey[PerAddressLimit] = web.AppKey("newswire_submit_limits")
FIELDS = ("headline", "summary", "link", "hub", "place", "language", "tags", "contact")
HONEYPOT = "homepage"
COMMON_LANGUAGES = ("en", "es", "pt", "pt-BR", "fr", "de", "it", "ca", "eu", "gl", "nl", "pl",
                    "el", "tr", "ar", "fa", "hi", "bn", "ur", "ru", "uk", "zh", "ja", "ko",
                    "id", "sw")  # fmt: skip


async def _anyone(request: web.Request) -> Account | None:
    return await current_account(request)


async def languages(svc: Services, reader: str) -> list[str]:
    """The reader's language first, then the instance's hubs', then common ones, each once."""
    hubs = [tag for hub in await actors.list_actors(svc.db, "group") for tag in hub.languages]
    return list(dict.fromkeys([reader, *hubs, *COMMON_LANGUAGES]))


async def _submit_page(
    request: web.Request, form: Any, account: Account | None, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    svc = request.app[services_key]
    sent = None
    if form is None and (raw := request.query.get("sent", "")).isascii() and raw.isdigit():
        sent = await store.get_item(svc.db, int(raw[:15]))
    values = {name: form_text(form, name) for name in FIELDS} if form is not None else {}
    reader = language_of(request)
    values.setdefault("language", reader)
    return await form_page(
        request, "newswire_submit.html", status=status, error=error, values=values,
        sent=sent, sent_path=item_path(sent.id) if sent else "", submitter=account,
        item_languages=await languages(svc, reader), honeypot=HONEYPOT,
        limits={"headline": fields.MAX_HEADLINE, "summary": fields.MAX_SUMMARY,
                "short": fields.MAX_SHORT, "link": fields.MAX_LINK, "email": fields.MAX_EMAIL},
    )  # fmt: skip


async def submit_page(request: web.Request) -> web.Response:
    return await _submit_page(request, None, await _anyone(request))


async def _submit(request: web.Request, form: Any, account: Account | None) -> str:
    svc = request.app[services_key]
    submitter = account.actor.uri(svc.config.base_url) if account else ""
    given = fields.read_form({name: form_text(form, name, strip=False) for name in FIELDS},
                             origin="web", submitter_uri=submitter)  # fmt: skip
    if form_text(form, HONEYPOT):
        raise BadRequest(
            "leave the last field empty: it is there to catch programs that fill in every field"
        )
    if account is None and not request.app[submit_limits_key].allow(client_address(request)):
        raise TooManyRequests(
            "%(count)s items were sent from your address in the last hour: please wait before"
            " sending more",
            count=SUBMISSIONS_PER_HOUR,
        )
    item = await service.submit(svc, given)
    return f"/newswire/submit?sent={item.id}"


async def send(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _anyone, _submit, _submit_page)


def add_routes(app: web.Application) -> None:
    app[submit_limits_key] = PerAddressLimit(SUBMISSIONS_PER_HOUR, 3600.0)
    app.router.add_get("/newswire/submit", submit_page)
    app.router.add_post("/newswire/submit", send)
