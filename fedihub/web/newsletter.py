"""The newsletter's pages: its issues, subscribing (double opt-in), confirming, unsubscribing
(one click, RFC 8058: the POST works from a mail client, without cookies or CSRF token; the
token in the address is what proves the right to it)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.errors import NotFound, TooManyRequests
from fedihub.keys import newsletter_limits_key, services_key, watchdog_key
from fedihub.newswire.newsletter import store, subscribers
from fedihub.newswire.newsletter.service import article
from fedihub.newswire.service import newswire_uri
from fedihub.tokens import hash_token
from fedihub.web.auth import client_address, current_account, form_action, form_page
from fedihub.web.forms import read_form
from fedihub.web.i18n import language_of
from fedihub.web.respond import activity_json, html, wants_json
from fedihub.web.throttle import PerAddressLimit

# Subscriptions asked for from one address (a visitor's IP, or their IPv6 /64) in an hour.
SUBSCRIBES_PER_HOUR = 5
MAX_TOKEN = 100


async def issues_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    return html(request, "newsletters.html", issues=await store.issues(svc.db))


async def issue_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    raw = request.match_info["issue_id"]
    issue = await store.issue(svc.db, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if issue is None:
        raise NotFound("no such newsletter")
    if wants_json(request):
        return activity_json(article(issue, newswire_uri(svc), svc.config.base_url))
    return html(request, "newsletter.html", issue=issue)


async def _anyone(request: web.Request) -> Account | None:
    return await current_account(request)


async def _subscribe_page(
    request: web.Request, form: Any, who: Account | None, error: str | None = None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    done = request.query.get("done") == "sent" and error is None
    return await form_page(request, "newsletter_subscribe.html", status=status, error=error,
                           form=form or {}, done=done)  # fmt: skip


async def subscribe_page(request: web.Request) -> web.Response:
    return await _subscribe_page(request, None, None)


async def _subscribe(request: web.Request, form: Any, who: Account | None) -> str:
    svc = request.app[services_key]
    address = form.get("email") if isinstance(form.get("email"), str) else ""
    email = subscribers.read_address(address)  # refused before it counts against the limit
    if not request.app[newsletter_limits_key].allow(client_address(request)):
        raise TooManyRequests(
            "%(count)s subscriptions were asked for from your address in the last hour: please"
            " wait before asking for more", count=SUBSCRIBES_PER_HOUR,
        )  # fmt: skip
    await subscribers.subscribe(svc, email, language_of(request))
    return "/newswire/subscribe?done=sent"


async def subscribe(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _anyone, _subscribe, _subscribe_page)


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if len(token) > MAX_TOKEN:
        raise NotFound("this link is unknown")
    return token


async def confirm_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    token = _token(request)
    if await store.unconfirmed_by_hash(svc.db, hash_token(token)) is None:
        raise NotFound("this confirmation link is unknown or was used already")
    return html(request, "newsletter_token.html", action="confirm", token=token, done=False)


async def confirm(request: web.Request) -> web.Response:
    await subscribers.confirm(request.app[services_key], _token(request))
    return html(request, "newsletter_token.html", action="confirm", token="", done=True)


async def unsubscribe_page(request: web.Request) -> web.Response:
    token = _token(request)
    await subscribers.by_unsubscribe_token(request.app[services_key], token)
    return html(request, "newsletter_token.html", action="unsubscribe", token=token, done=False)


async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click`, with no cookie; the page's
    button sends the same. Unsubscribed at once."""
    svc = request.app[services_key]
    token = _token(request)
    await read_form(request, request.app[watchdog_key], svc.config.body_timeout_s)
    await subscribers.unsubscribe(svc, token)
    return html(request, "newsletter_token.html", action="unsubscribe", token="", done=True)


def add_newsletter_routes(app: web.Application) -> None:
    """Adds the newsletter's routes."""
    app[newsletter_limits_key] = PerAddressLimit(SUBSCRIBES_PER_HOUR, 3600.0)
    app.router.add_get("/newswire/newsletters", issues_page)
    app.router.add_get("/newswire/newsletters/{issue_id}", issue_page)
    app.router.add_get("/newswire/subscribe", subscribe_page)
    app.router.add_post("/newswire/subscribe", subscribe)
    app.router.add_get("/newswire/subscribe/confirm/{token}", confirm_page)
    app.router.add_post("/newswire/subscribe/confirm/{token}", confirm)
    app.router.add_get("/newswire/unsubscribe/{token}", unsubscribe_page)
    app.router.add_post("/newswire/unsubscribe/{token}", unsubscribe)
