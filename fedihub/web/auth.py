"""Signing up, in and out, changing and resetting a password: the web's accounts.

Every form carries the session's CSRF token (`csrf_form` checks it before anything else is
read), sign-in is throttled per username from one address, per address (IPv6 by /64) and
per username from any address, and a session id is never reused across signing in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

from aiohttp import web

from fedihub import settings
from fedihub.accounts import service as accounts
from fedihub.accounts import sessions
from fedihub.accounts.sessions import Session
from fedihub.accounts.store import Account
from fedihub.config import SIGNUP_MODES, SignupMode
from fedihub.content import render_markdown
from fedihub.errors import BadRequest, FedihubError, Forbidden, TooManyRequests
from fedihub.keys import account_key, services_key, session_key, watchdog_key
from fedihub.moderation import conduct
from fedihub.web.forms import form_text, local_target, read_form
from fedihub.web.respond import html, in_their_words
from fedihub.web.throttle import client_key

routes = web.RouteTableDef()
COOKIE = "fedihub_session"
Who = TypeVar("Who")


@web.middleware
async def session_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Pages know who is looking: the session and account are loaded for requests that carry
    the cookie (servers' requests do not, and cost nothing here)."""
    if COOKIE in request.cookies:
        request[account_key] = await current_account(request)
    response: web.StreamResponse = await handler(request)
    return response


async def current_session(request: web.Request) -> Session | None:
    if session_key not in request:
        svc = request.app[services_key]
        request[session_key] = await sessions.load(svc.db, svc.clock, request.cookies.get(COOKIE))
    found = request[session_key]
    return found if isinstance(found, Session) else None


async def current_account(request: web.Request) -> Account | None:
    session = await current_session(request)
    if session is None or session.account_id is None:
        return None
    account = await accounts.account_by_id(request.app[services_key].db, session.account_id)
    return None if account is None or account.suspension is not None else account


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
        svc = request.app[services_key]
        session = await sessions.start(svc.db, svc.clock, None)
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


async def form_action(
    request: web.Request,
    allowed: Callable[[web.Request], Awaitable[Who]],
    act: Callable[[web.Request, Any, Who], Awaitable[str | web.Response]],
    again: Callable[[web.Request, Any, Who, str, int], Awaitable[web.Response]],
) -> web.StreamResponse:
    """What every form post does: check the CSRF token, then that this visitor may (`allowed`
    returns who they are, or sends them to sign in, or refuses with 403), then `act`, which
    answers with where to go next (a path: 303 there) or a page. When `act` refuses
    (FedihubError), `again` shows the form once more with what was typed (the form) and the
    error in the reader's language (with its status)."""
    form = await csrf_form(request)
    who = await allowed(request)
    try:
        done = await act(request, form, who)
    except FedihubError as e:
        return await again(request, form, who, in_their_words(request, e), e.http_status)
    if isinstance(done, str):
        raise web.HTTPSeeOther(done)
    return done


def _next(form: Any) -> str:
    return local_target(form_text(form, "next"))


@routes.get("/signin")
async def signin_page(request: web.Request) -> web.Response:
    return await form_page(request, "signin.html", next=request.query.get("next", "/"), error=None)


async def password_holder(request: web.Request, username: str, password: str) -> Account | None:
    """The account if `password` is its own, under the sign-in throttle: every page that takes
    a password (sign-in, an appeal by a suspended account) counts against the same limits, so
    none gives a guesser more tries. TooManyRequests while throttled; None on a mismatch."""
    svc = request.app[services_key]
    address = client_key(client_address(request))  # an IPv6 visitor counts as its /64
    # A name guessed from one address is stopped soon; one address trying many names later
    # (people share addresses); a name guessed from many addresses later still. That last
    # lets anyone delay a person's sign-in for up to the window (see MAX_FAILURES_PER_ACCOUNT):
    # the price of stopping a guesser who rotates addresses. Names that have no account are
    # counted and refused alike, so the answer never tells which names exist.
    limits = {f"pair:{username}|{address}": sessions.MAX_FAILURES,
              f"addr:{address}": sessions.MAX_FAILURES_PER_ADDRESS,
              f"acct:{username}": sessions.MAX_FAILURES_PER_ACCOUNT}  # fmt: skip
    wait = await sessions.throttled_for(svc.db, svc.clock, limits)
    if wait > 0:  # one answer whichever limit it was
        raise TooManyRequests(
            "too many failed sign-ins: try again in %(minutes)s minutes",
            minutes=int(wait // 60) + 1,
        )
    # Counted before the (slow) check, so parallel guesses cannot all slip past the limit.
    attempt = await sessions.record_failure(svc.db, svc.clock, list(limits))
    account = await accounts.check_password(svc.db, username, password)
    if account is not None:
        await sessions.forget_failure(svc.db, list(limits), attempt)
    return account


@routes.post("/signin")
async def signin(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    svc = request.app[services_key]
    username, password = (
        form_text(form, "username").lower(),
        form_text(form, "password", strip=False),
    )
    account = await password_holder(request, username, password)
    if account is None:
        return await form_page(request, "signin.html", status=401, next=_next(form),
                               error="That username and password do not match.")  # fmt: skip
    if account.suspension is not None:  # the right password: they may know why
        return html(request, "suspended.html", status=403, username=account.actor.username,
                    suspension=account.suspension)  # fmt: skip
    old = await current_session(request)
    if old is not None:
        await sessions.end(svc.db, old.cookie)
    raise await _signed_in(request, account, _next(form))


async def _signed_in(request: web.Request, account: Account, to: str) -> web.HTTPSeeOther:
    """A redirect to `to` carrying the cookie of a new session for `account` (to be raised)."""
    svc = request.app[services_key]
    session = await sessions.start(svc.db, svc.clock, account.actor.id)
    response = web.HTTPSeeOther(to)
    _set_cookie(request, response, session)
    return response


@routes.post("/signout")
async def signout(request: web.Request) -> web.StreamResponse:
    await csrf_form(request)
    session = await current_session(request)
    if session is not None:
        await sessions.end(request.app[services_key].db, session.cookie)
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE, path="/")
    raise response  # a redirect (with its cookie)


async def _signup_mode(request: web.Request) -> SignupMode:
    """As stored now, not as this process read it at start: an admin may have closed sign-up
    at /admin through another `serve` process (one small query, on a rarely used page)."""
    svc = request.app[services_key]
    mode = (await settings.apply_stored(svc.config, svc.db)).signup_mode
    return mode if mode in SIGNUP_MODES else "closed"


async def _signup_page(
    request: web.Request, form: Any, mode: SignupMode, error: str | None = None, status: int = 200
) -> web.Response:
    invite = form_text(form, "invite") if form is not None else request.query.get("invite", "")
    svc = request.app[services_key]
    code = await conduct.current(svc, None)  # the instance's code, accepted at sign-up
    return await form_page(request, "signup.html", status=status, mode=mode, error=error,
                           invite=invite, username=form_text(form, "username") if form else "",
                           code=render_markdown(code.text)[1] if code else None,
                           code_version=code.version if code else None)  # fmt: skip


@routes.get("/signup")
async def signup_page(request: web.Request) -> web.Response:
    return await _signup_page(request, None, await _signup_mode(request))


async def _sign_up(request: web.Request, form: Any, mode: SignupMode) -> NoReturn:
    svc = request.app[services_key]
    if mode == "closed":
        raise Forbidden("this instance does not take sign-ups; ask its admins for an account")
    code = await conduct.current(svc, None)
    if code is not None:  # accepted explicitly, in the version read
        conduct.check_acceptance(code, form_text(form, "accept_instance") == "yes",
                                 form_text(form, "version_instance"))  # fmt: skip
    password = _new_password(form, "the two passwords differ")
    username = form_text(form, "username").lower()
    await accounts.check_new_account(svc.db, username, password)  # before an invite is used
    if mode == "invite" and not await sessions.use_invitation(
        svc.db, svc.clock, form_text(form, "invite")
    ):
        raise Forbidden("this invitation is not valid (any more)")
    await accounts.create_account(svc.db, username, password, is_admin=False, clock=svc.clock)
    account = await accounts.require_account(svc.db, username)
    if code is not None:
        await conduct.accept(svc, account.actor.uri(svc.config.base_url), None, code.version)
    raise await _signed_in(request, account, "/")  # their hubs, and "Start a hub" among them


@routes.post("/signup")
async def signup(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _signup_mode, _sign_up, _signup_page)


def _new_password(form: Any, differ: str) -> str:
    """The new password, typed twice alike (`differ` says they were not)."""
    password = form_text(form, "password", strip=False)
    if form_text(form, "password_again", strip=False) != password:
        raise BadRequest(differ)
    return password


async def _password_page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    return await form_page(request, "password.html", status=status, error=error, done=False)


@routes.get("/settings/password")
async def password_page(request: web.Request) -> web.Response:
    return await _password_page(request, None, await require_signed_in(request))


async def _change_password(request: web.Request, form: Any, account: Account) -> web.Response:
    svc = request.app[services_key]
    current = form_text(form, "current", strip=False)
    if await accounts.check_password(svc.db, account.actor.username, current) is None:
        raise BadRequest("the current password is not right")
    await accounts.set_password(
        svc.db, account, _new_password(form, "the two new passwords differ")
    )
    await sessions.end_all(svc.db, account.actor.id)  # other browsers sign in again
    session = await sessions.start(svc.db, svc.clock, account.actor.id)
    request[session_key] = session  # the page's forms carry the new session's token
    response = await form_page(request, "password.html", error=None, done=True)
    _set_cookie(request, response, session)
    return response


@routes.post("/settings/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    return await form_action(request, require_signed_in, _change_password, _password_page)


async def _reset_link_account(request: web.Request) -> Account:
    """Whose password a reset link changes, while the link is unused and unexpired."""
    svc = request.app[services_key]
    account_id = await sessions.reset_account(svc.db, svc.clock, request.match_info["token"])
    account = await accounts.account_by_id(svc.db, account_id) if account_id else None
    if account is None:
        raise Forbidden("this reset link is not valid (any more): ask an admin for a new one")
    return account


async def _reset_page(
    request: web.Request, form: Any, account: Account, error: str | None = None, status: int = 200
) -> web.Response:
    return await form_page(request, "reset.html", status=status, error=error,
                           token=request.match_info["token"])  # fmt: skip


@routes.get("/reset/{token}")
async def reset_page(request: web.Request) -> web.Response:
    return await _reset_page(request, None, await _reset_link_account(request))


async def _reset(request: web.Request, form: Any, account: Account) -> str:
    svc = request.app[services_key]
    password = _new_password(form, "the two passwords differ")
    accounts.check_new_password(password)
    # Claimed first: a link works once.
    if not await sessions.use_reset(svc.db, svc.clock, request.match_info["token"]):
        raise Forbidden("this reset link is not valid (any more): ask an admin for a new one")
    await accounts.set_password(svc.db, account, password)
    await sessions.end_all(svc.db, account.actor.id)
    return "/signin"


@routes.post("/reset/{token}")
async def reset(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _reset_link_account, _reset, _reset_page)
