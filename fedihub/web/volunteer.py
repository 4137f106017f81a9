"""`/hubs/SLUG/volunteer`: anyone signs up for a hub's relief effort, without an account, and
`/hubs/SLUG/volunteer/me/TOKEN`, the volunteer's private link: their own record, to change or
delete. A new sign-up is sent to its private link (shown once: only its hash is kept); a repeat
sign-up of a known e-mail address or phone number updates that record and shows nothing of it.

Against programs: the form's CSRF token (an anonymous session's), a hidden field people leave
empty, and at most `volunteer_signups_per_address_hour` sign-ups from one address. The private
pages are never cached, never indexed, and send no Referer (their address is the key)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from babel.dates import get_day_names

from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, Forbidden, TooManyRequests
from fedihub.hubs.service import require_hub
from fedihub.keys import config_key, services_key
from fedihub.volunteers import service, signup
from fedihub.volunteers.model import CONSENT_MONTHS, DAYS, PARTS, SKILLS, TRANSPORTS, Volunteer
from fedihub.web.auth import client_address, form_action, form_page
from fedihub.web.forms import form_text
from fedihub.web.i18n import language_of
from fedihub.web.respond import reader_words
from fedihub.web.throttle import PerAddressLimit

SIGNUP = "/hubs/{username}/volunteer"
ME = SIGNUP + "/me/{token:[A-Za-z0-9_-]{16,128}}"
HONEYPOT = "homepage"
# Sign-ups per address (IPv6 by /64) in the last hour, in this process's memory.
signup_limits_key: web.AppKey[PerAddressLimit] = web.AppKey("volunteer_signup_limits")
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
# What the sign-up page says after a redirect: a repeat sign-up updated (and its link mailed,
# once something mails it), or a registration deleted. Never which one, nor whose.
DONE = ("updated", "mailed", "deleted")
BLANK: dict[str, str | list[str]] = {
    "transport": "none", "consent_months": str(signup.DEFAULT_CONSENT_MONTHS),
}  # fmt: skip
LIMITS = {"name": signup.MAX_NAME, "area": signup.MAX_AREA, "phone": signup.MAX_PHONE,
          "handle": signup.MAX_HANDLE, "other_skills": signup.MAX_OTHER_SKILLS,
          "notes": signup.MAX_NOTES, "languages": signup.MAX_LANGUAGES_TYPED}  # fmt: skip


def typed(form: Any) -> dict[str, str | list[str]]:
    """What was sent, as signup.read_form reads it and the form shows it again: the boxes that
    share a name as lists, every other field as its text."""
    values: dict[str, str | list[str]] = {}
    for name in dict.fromkeys(form.keys()):
        if name in ("csrf", HONEYPOT):
            continue
        texts = [v for v in form.getall(name) if isinstance(v, str)]
        values[name] = texts if name in signup.MULTIPLE else (texts[0] if texts else "")
    return values


def short_days(request: web.Request) -> list[str]:
    """Monday to Sunday as the reader's language shortens them ("Mon", "lun"): the grid's rows
    on a phone, where the full names leave its columns too narrow."""
    names = get_day_names("abbreviated", locale=reader_words(request).locale)
    return [names[n] for n in range(len(DAYS))]


def _private(response: web.Response) -> web.Response:
    response.headers.update(PRIVATE)
    return response


async def _page(
    request: web.Request, hub: LocalActor, template: str, values: dict[str, str | list[str]],
    error: str | None = None, status: int = 200, **context: Any,
) -> web.Response:  # fmt: skip
    """A page with the sign-up form: the public one or a volunteer's own."""
    svc = request.app[services_key]
    return await form_page(
        request, template, status=status, hub=hub, effort=await service.effort(svc, hub),
        values=values, error=error, skills=SKILLS, days=DAYS, parts=PARTS,
        transports=TRANSPORTS, consent_choices=CONSENT_MONTHS, limits=LIMITS,
        avail=signup.availability_field, short_days=short_days(request), honeypot=HONEYPOT,
        **context,
    )  # fmt: skip


# The public sign-up


async def _hub(request: web.Request) -> LocalActor:
    return await require_hub(request.app[services_key].db, request.match_info["username"])


async def signup_page(request: web.Request) -> web.Response:
    done = request.query.get("done", "")
    return await _page(request, await _hub(request), "volunteer_signup.html", dict(BLANK),
                       done=done if done in DONE else "")  # fmt: skip


def _count_from_address(request: web.Request) -> None:
    """One more sign-up or save from the visitor's address; TooManyRequests past the limit."""
    if not request.app[signup_limits_key].allow(client_address(request)):
        raise TooManyRequests(
            "%(count)s sign-ups were sent from your address in the last hour: please wait"
            " before sending more",
            count=request.app[services_key].config.volunteer_signups_per_address_hour,
        )


async def _sign_up(request: web.Request, form: Any, hub: LocalActor) -> str:
    svc = request.app[services_key]
    if not (await service.effort(svc, hub)).signup_open:
        raise Forbidden("sign-up for this effort is closed")
    given = signup.read_form(typed(form), language=language_of(request))
    if form_text(form, HONEYPOT):
        raise BadRequest(
            "leave the last field empty: it is there to catch programs that fill in every field"
        )
    _count_from_address(request)
    done = await service.sign_up(svc, hub, given)
    here = f"/hubs/{hub.username}/volunteer"
    if done.told_by_mail:  # the same answer, new or not: the link is in their mail
        return f"{here}?done=mailed"
    if done.token is not None:
        return f"{here}/me/{done.token}?new=1"
    return f"{here}?done=updated"


async def _signup_again(
    request: web.Request, form: Any, hub: LocalActor, error: str, status: int
) -> web.Response:
    return await _page(request, hub, "volunteer_signup.html", typed(form), error, status, done="")


async def send_signup(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _hub, _sign_up, _signup_again)


# A volunteer's own record, by their private link

Mine = tuple[LocalActor, Volunteer]


async def _mine(request: web.Request) -> Mine:
    """The hub and the volunteer whose link this is: 404, and nothing more, for any other."""
    hub = await _hub(request)
    svc = request.app[services_key]
    return hub, await service.by_token(svc, hub, request.match_info["token"])


def _link(request: web.Request, hub: LocalActor) -> str:
    base = request.app[services_key].config.base_url
    return f"{base}/hubs/{hub.username}/volunteer/me/{request.match_info['token']}"


async def _me_page(
    request: web.Request, mine: Mine, values: dict[str, str | list[str]] | None = None,
    error: str | None = None, status: int = 200,
) -> web.Response:  # fmt: skip
    hub, volunteer = mine
    svc = request.app[services_key]
    if values is None:
        values = signup.form_values(volunteer, hub.languages, svc.clock.now())
    return _private(await _page(
        request, hub, "volunteer_me.html", values, error, status, volunteer=volunteer,
        token=request.match_info["token"], link=_link(request, hub),
        new=request.query.get("new") == "1" and error is None,
        saved=request.query.get("saved") == "1" and error is None,
    ))  # fmt: skip


async def me_page(request: web.Request) -> web.Response:
    return await _me_page(request, await _mine(request))


async def _save(request: web.Request, form: Any, mine: Mine) -> str:
    hub, _ = mine
    given = signup.read_form(typed(form), language=language_of(request))
    # Counted with sign-ups: a refused contact says another registration holds it, so saves
    # must not become a way to test addresses and numbers by the thousand.
    _count_from_address(request)
    token = request.match_info["token"]
    await service.update_by_token(request.app[services_key], hub, token, given)
    return f"/hubs/{hub.username}/volunteer/me/{token}?saved=1"


async def _me_again(
    request: web.Request, form: Any, mine: Mine, error: str, status: int
) -> web.Response:
    return await _me_page(request, mine, typed(form), error, status)


async def save_mine(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _mine, _save, _me_again)


async def _delete_page(
    request: web.Request, mine: Mine, error: str | None = None, status: int = 200
) -> web.Response:
    hub, _ = mine
    return _private(await form_page(
        request, "volunteer_me_delete.html", status=status, hub=hub, error=error,
        token=request.match_info["token"],
    ))  # fmt: skip


async def delete_page(request: web.Request) -> web.Response:
    return await _delete_page(request, await _mine(request))


async def _delete(request: web.Request, form: Any, mine: Mine) -> str:
    hub, _ = mine
    await service.delete_by_token(request.app[services_key], hub, request.match_info["token"])
    return f"/hubs/{hub.username}/volunteer?done=deleted"


async def _delete_again(
    request: web.Request, form: Any, mine: Mine, error: str, status: int
) -> web.Response:
    return await _delete_page(request, mine, error, status)


async def delete_mine(request: web.Request) -> web.StreamResponse:
    return await form_action(request, _mine, _delete, _delete_again)


def add_volunteer_routes(app: web.Application) -> None:
    """The pages, and this app's per-address count of sign-ups (its limit from the config)."""
    hourly = app[config_key].volunteer_signups_per_address_hour
    app[signup_limits_key] = PerAddressLimit(hourly, 3600.0)
    app.router.add_get(SIGNUP, signup_page)
    app.router.add_post(SIGNUP, send_signup)
    app.router.add_get(ME, me_page)
    app.router.add_post(ME, save_mine)
    app.router.add_get(ME + "/delete", delete_page)
    app.router.add_post(ME + "/delete", delete_mine)
