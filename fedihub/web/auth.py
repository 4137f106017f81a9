"""Signing up, in and out, changing and resetting a password: the web's accounts.

Every form carries the session's CSRF token (`csrf_form` checks it before anything else is
read), sign-in is throttled per username from one address, per address (IPv6 by /64) and
per username from any address, and a session id is never reused across signing in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedihub.accounts import service as accounts
from fedihub.accounts import sessions
from fedihub.accounts.sessions import Session
from fedihub.actors.store import Account
from fedihub.errors import BadRequest, FedihubError, Forbidden, TooManyRequests
from fedihub.keys import account_key, services_key, session_key, watchdog_key
from fedihub.web.forms import form_text, local_target, read_form
from fedihub.web.respond import html, in_their_words
from fedihub.web.throttle import client_key

routes = web.RouteTableDef()
COOKIE = "fedihub_session"
SIGNUP_MODES = ("open", "invite", "closed")


@web.middleware
async def session_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Pages know who is looking: the session and account are loaded for requests that carry
    the cookie (servers' requests do not, and cost nothing here)."""
    if COOKIE in request.cookies:
        request[account_key] = await current_account(request)
    return await handler(request)


async def current_session(request: web.Request) -> Session | None:
    if session_key not in request:
        svc = request.app[services_key]
        request[session_key] = await sessions.load(svc.db, request.cookies.get(COOKIE))
    found = request[session_key]
    return found if isinstance(found, Session) else None


async def current_account(request: web.Request) -> Account | None:
    session = await current_session(request)
    if session is None or session.account_id is None:
        return None
    return await accounts.account_by_id(request.app[services_key].db, session.account_id)


async def require_signed_in(request: web.Request) -> Account:
    account = await current_account(request)
    if account is None:
        raise web.HTTPFound(f"/signin?next={quote(request.path_qs, safe='')}")
    return account


def client_address(request: web.Request) -> str:
    """The visitor's address; behind a reverse proxy (`behind_proxy`), the one it appended."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if request.app[services_key].config.behind_proxy and forwarded:
        return forwarded.split(",")[-1].strip()[:64]
    return request.remote or "?"


def _set_cookie(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    secure = not request.app[services_key].config.insecure_http
    response.set_cookie(COOKIE, session.cookie, httponly=True, samesite="Lax", secure=secure,
                        max_age=sessions.SESSION_DAYS * 86_400, path="/")  # fmt: skip


async def form_page(
    request: web.Request, template: str, status: int = 200, **context: Any
) -> web.Response:
    """A page with a form: it gets a CSRF token, from a new (anonymous) session if need be."""
    session = await current_session(request)
    fresh = session is None
    if session is None:
        session = await sessions.start(request.app[services_key].db, None)
    request[session_key] = session
    response = html(request, template, status=status, **context)
    if fresh:
        _set_cookie(request, response, session)
    return response


async def csrf_form(request: web.Request) -> Any:
    """The submitted form, once its CSRF token matches the session's (403 otherwise)."""
    form = await read_form(
        request, request.app[watchdog_key], request.app[services_key].config.body_timeout_s
    )
    token = form.get("csrf")
    if not sessions.csrf_matches(
        await current_session(request), token if isinstance(token, str) else None
    ):
        raise Forbidden("this form has expired or did not come from this site: reload and retry")
    return form


def _next(form: Any) -> str:
    return local_target(form_text(form, "next"))


@routes.get("/signin")
async def signin_page(request: web.Request) -> web.Response:
    return await form_page(request, "signin.html", next=request.query.get("next", "/"), error=None)


@routes.post("/signin")
async def signin(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    svc = request.app[services_key]
    username, password = (
        form_text(form, "username").lower(),
        form_text(form, "password", strip=False),
    )
    address = client_key(client_address(request))  # an IPv6 visitor counts as its /64
    # A name guessed from one address is stopped soon; one address trying many names later
    # (people share addresses); a name guessed from many addresses later still. That last
    # lets anyone delay a person's sign-in for up to the window (see MAX_FAILURES_PER_ACCOUNT):
    # the price of stopping a guesser who rotates addresses. Names that have no account are
    # counted and refused alike, so the answer never tells which names exist.
    limits = {f"pair:{username}|{address}": sessions.MAX_FAILURES,
              f"addr:{address}": sessions.MAX_FAILURES_PER_ADDRESS,
              f"acct:{username}": sessions.MAX_FAILURES_PER_ACCOUNT}  # fmt: skip
    wait = await sessions.throttled_for(svc.db, limits)
    if wait > 0:  # one answer whichever limit it was
        raise TooManyRequests(
            "too many failed sign-ins: try again in %(minutes)s minutes",
            minutes=int(wait // 60) + 1,
        )
    # Counted before the (slow) check, so parallel guesses cannot all slip past the limit.
    attempt = await sessions.record_failure(svc.db, list(limits))
    account = await accounts.check_password(
        svc.db, username, password if isinstance(password, str) else ""
    )
    if account is None:
        return await form_page(request, "signin.html", status=401, next=_next(form),
                               error="That username and password do not match.")  # fmt: skip
    await sessions.forget_failure(svc.db, list(limits), attempt)
    old = await current_session(request)
    if old is not None:
        await sessions.end(svc.db, old.cookie)
    session = await sessions.start(svc.db, account.actor.id)
    response = web.HTTPSeeOther(_next(form))
    _set_cookie(request, response, session)
    raise response  # a redirect (with its cookie)


@routes.post("/signout")
async def signout(request: web.Request) -> web.StreamResponse:
    await csrf_form(request)
    session = await current_session(request)
    if session is not None:
        await sessions.end(request.app[services_key].db, session.cookie)
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE, path="/")
    raise response  # a redirect (with its cookie)


def _signup_mode(request: web.Request) -> str:
    mode = request.app[services_key].config.signup_mode
    return mode if mode in SIGNUP_MODES else "closed"


@routes.get("/signup")
async def signup_page(request: web.Request) -> web.Response:
    mode = _signup_mode(request)
    return await form_page(request, "signup.html", mode=mode, error=None,
                           invite=request.query.get("invite", ""))  # fmt: skip


@routes.post("/signup")
async def signup(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    svc = request.app[services_key]
    mode = _signup_mode(request)
    invite = form_text(form, "invite")
    try:
        if mode == "closed":
            raise Forbidden("this instance does not take sign-ups; ask its admins for an account")
        if form_text(form, "password", strip=False) != form_text(
            form, "password_again", strip=False
        ):
            raise BadRequest("the two passwords differ")
        username, password = (
            form_text(form, "username").lower(),
            str(form_text(form, "password", strip=False)),
        )
        await accounts.check_new_account(svc.db, username, password)  # before an invite is used
        if mode == "invite" and not await sessions.use_invitation(svc.db, invite):
            raise Forbidden("this invitation is not valid (any more)")
        await accounts.create_account(svc.db, username, password, is_admin=False)
    except FedihubError as e:
        return await form_page(request, "signup.html", status=e.http_status, mode=mode,
                               error=in_their_words(request, e), invite=invite)  # fmt: skip
    account = await accounts.require_account(svc.db, username)
    session = await sessions.start(svc.db, account.actor.id)
    response = web.HTTPSeeOther("/hubs/new")
    _set_cookie(request, response, session)
    raise response  # a redirect (with its cookie)


@routes.get("/settings/password")
async def password_page(request: web.Request) -> web.Response:
    await require_signed_in(request)
    return await form_page(request, "password.html", error=None, done=False)


@routes.post("/settings/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    account = await require_signed_in(request)
    svc = request.app[services_key]
    try:
        if (
            await accounts.check_password(
                svc.db, account.actor.username, form_text(form, "current", strip=False)
            )
            is None
        ):
            raise BadRequest("the current password is not right")
        if form_text(form, "password", strip=False) != form_text(
            form, "password_again", strip=False
        ):
            raise BadRequest("the two new passwords differ")
        await accounts.set_password(svc.db, account, str(form_text(form, "password", strip=False)))
    except FedihubError as e:
        return await form_page(request, "password.html", status=e.http_status,
                               error=in_their_words(request, e), done=False)  # fmt: skip
    await sessions.end_all(svc.db, account.actor.id)  # other browsers sign in again
    session = await sessions.start(svc.db, account.actor.id)
    request[session_key] = session  # the page's forms carry the new session's token
    response = await form_page(request, "password.html", error=None, done=True)
    _set_cookie(request, response, session)
    return response


@routes.get("/reset/{token}")
async def reset_page(request: web.Request) -> web.Response:
    svc = request.app[services_key]
    if await sessions.reset_account(svc.db, request.match_info["token"]) is None:
        raise Forbidden("this reset link is not valid (any more): ask an admin for a new one")
    return await form_page(request, "reset.html", error=None, token=request.match_info["token"])


@routes.post("/reset/{token}")
async def reset(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    svc = request.app[services_key]
    token = request.match_info["token"]
    account_id = await sessions.reset_account(svc.db, token)
    account = await accounts.account_by_id(svc.db, account_id) if account_id else None
    if account is None:
        raise Forbidden("this reset link is not valid (any more): ask an admin for a new one")
    password = str(form_text(form, "password", strip=False))
    try:
        if form_text(form, "password_again", strip=False) != password:
            raise BadRequest("the two passwords differ")
        accounts.check_new_password(password)
    except FedihubError as e:
        return await form_page(request, "reset.html", status=e.http_status,
                               error=in_their_words(request, e), token=token)  # fmt: skip
    if not await sessions.use_reset(svc.db, token):  # claimed first: a link works once
        raise Forbidden("this reset link is not valid (any more): ask an admin for a new one")
    await accounts.set_password(svc.db, account, password)
    await sessions.end_all(svc.db, account.actor.id)
    raise web.HTTPSeeOther("/signin")
