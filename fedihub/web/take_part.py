"""Taking part from the browser, for accounts on this instance: voting in a poll, responding to
a proposal with a reason, asking a question under a poll, going to an event; following, joining
and leaving hubs here; and the same on any other server, from the confirm page
(`/authorize_interaction`). Each form calls the same capability the CLI and the inbox call; a
refusal shows on the error page (or the confirm page), translated."""

from __future__ import annotations

import secrets
from html import escape
from typing import Any
from urllib.parse import quote

from aiohttp import web

from fedihub.accounts.store import Account
from fedihub.actors.model import LocalActor
from fedihub.errors import BadRequest, FedihubError
from fedihub.events import participation
from fedihub.follows import service as following
from fedihub.groups import membership
from fedihub.hubs.service import require_hub
from fedihub.keys import services_key
from fedihub.polls import service as polls
from fedihub.polls.kind import QuestionKind
from fedihub.posts import render
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.web.auth import csrf_form, require_signed_in
from fedihub.web.conduct import join_after_accepting
from fedihub.web.forms import form_text
from fedihub.web.pages import Interaction, interact_page, interaction_for
from fedihub.web.respond import in_their_words

routes = web.RouteTableDef()
POST_PATH = r"/hubs/{username}/posts/{post_id:\d{1,18}}"
MAX_QUESTION_CHARS = 2000


async def _taking_part(request: web.Request) -> tuple[Any, Services, LocalActor, Post, str]:
    """The form, the hub and post it is about, and the id of the account taking part."""
    form = await csrf_form(request)
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    post = await posts.require_post(svc, hub, int(request.match_info["post_id"]))
    return form, svc, hub, post, account.actor.uri(svc.config.base_url)


def _back_to(hub: LocalActor, post: Post) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(render.post_uri(hub.path(), post.id) + "#take-part")


@routes.post(POST_PATH + "/vote")
async def vote(request: web.Request) -> web.StreamResponse:
    form, svc, hub, post, voter = await _taking_part(request)
    kind = svc.kinds.of(post)
    if not isinstance(kind, QuestionKind) or kind.takes_reasons:
        raise BadRequest("only polls take votes here; respond to a proposal with a reason")
    names = [n for n in form.getall("choice", []) if isinstance(n, str)]
    if not names:
        raise BadRequest("choose an option")
    choices = list(dict.fromkeys(polls.choice_for(post, name) for name in names))
    await polls.vote(svc, hub, post, voter, choices, svc.clock.now())
    raise _back_to(hub, post)


@routes.post(POST_PATH + "/respond")
async def respond(request: web.Request) -> web.StreamResponse:
    form, svc, hub, post, voter = await _taking_part(request)
    answer, reason = form_text(form, "answer"), form_text(form, "reason")
    await polls.respond(svc, hub, post, voter, answer, reason, svc.clock.now())
    raise _back_to(hub, post)


@routes.post(POST_PATH + "/question")
async def ask(request: web.Request) -> web.StreamResponse:
    """A question under a poll or proposal, kept in its thread on this page."""
    form, svc, hub, post, asker = await _taking_part(request)
    if not svc.kinds.of(post).is_question:
        raise BadRequest("questions are asked under polls and proposals")
    now = svc.clock.now()
    polls.check_open(svc.kinds, post, now)
    question = form_text(form, "question")
    if not question:
        raise BadRequest("write your question")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest("a question may be at most %(max)s characters", max=MAX_QUESTION_CHARS)
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in question.splitlines() if p.strip())
    reply = {"id": f"{asker}/questions/{secrets.token_urlsafe(12)}", "type": "Note",
             "attributedTo": asker, "content": paragraphs}  # fmt: skip
    await polls.record_reply(svc, post, asker, reply, now, as_reason=False)
    raise _back_to(hub, post)


@routes.post(POST_PATH + "/attend")
async def attend(request: web.Request) -> web.StreamResponse:
    form, svc, hub, post, person = await _taking_part(request)
    action = form_text(form, "action")
    if action == "join":
        await participation.join(svc, hub, post, person, svc.new_activity_uri(), svc.clock.now())
    elif action == "leave":
        await participation.leave(svc, hub, post, person, svc.clock.now())
    else:
        raise BadRequest("join or leave?")
    raise _back_to(hub, post)


# Hubs of this instance: the buttons on a hub's page.


async def _hub_and_person(request: web.Request) -> tuple[Any, Services, LocalActor, LocalActor]:
    form = await csrf_form(request)
    account = await require_signed_in(request)
    svc = request.app[services_key]
    hub = await require_hub(svc.db, request.match_info["username"])
    return form, svc, hub, account.actor


@routes.post("/hubs/{username}/follow")
async def follow_hub(request: web.Request) -> web.StreamResponse:
    _, svc, hub, person = await _hub_and_person(request)
    await membership.refuse_banned(svc, hub, person.uri(svc.config.base_url))
    await following.follow_local(svc, person, hub)
    raise web.HTTPSeeOther(hub.path() + "#follow")


@routes.post("/hubs/{username}/join")
async def join_hub(request: web.Request) -> web.StreamResponse:
    """Joining asks first for the codes of conduct not yet accepted (web/conduct.py)."""
    form, svc, hub, person = await _hub_and_person(request)
    account = await require_signed_in(request)
    if hub.kind == "group" and (
        page := await join_after_accepting(request, form, svc, hub, account)
    ):
        return page
    await membership.join_local(svc, hub, person)
    raise web.HTTPSeeOther(hub.path() + "#follow")


@routes.post("/hubs/{username}/leave")
async def leave_hub(request: web.Request) -> web.StreamResponse:
    _, svc, hub, person = await _hub_and_person(request)
    await membership.leave_local(svc, hub, person)
    raise web.HTTPSeeOther(hub.path() + "#follow")


# Anything on another server, from the confirm page: the address is fetched again, so what is
# sent never rests on what the form claims the address was.

ACTIONS = {"actor": ("follow",), "event": ("join", "leave"), "proposal": ("respond",),
           "poll": ("vote",)}  # fmt: skip


async def _act_elsewhere(
    svc: Services, account: Account, found: Interaction, action: str, form: Any
) -> str:
    if action not in ACTIONS[found.what]:
        raise BadRequest("This address does not take that action.")
    if action == "follow":
        return (await following.follow(svc, account.actor, found.uri)).state
    if action in ("join", "leave"):
        message = form_text(form, "message")
        rsvp: participation.Rsvp = "join" if action == "join" else "leave"
        await participation.rsvp_remote(svc, account, found.uri, rsvp, message=message)
        return action
    if action == "respond":
        answer, reason = form_text(form, "answer"), form_text(form, "reason")
        await polls.respond_remote(svc, account, found.uri, answer, reason)
        return "respond"
    names = [n for n in form.getall("choice", []) if isinstance(n, str)]
    if not names:
        raise BadRequest("choose an option")
    await polls.vote_remote(svc, account, found.uri, names)
    return "vote"


@routes.post("/authorize_interaction")
async def act_elsewhere(request: web.Request) -> web.StreamResponse:
    form = await csrf_form(request)
    account = await require_signed_in(request)
    svc = request.app[services_key]
    uri = form_text(form, "uri")[:2000]
    try:
        found = await interaction_for(svc, uri)
        if isinstance(found, str):
            raise web.HTTPSeeOther(found)
        done = await _act_elsewhere(svc, account, found, form_text(form, "action"), form)
    except FedihubError as e:
        return await interact_page(request, uri, in_their_words(request, e), e.http_status)
    raise web.HTTPSeeOther(f"/authorize_interaction?uri={quote(uri, safe='')}&done={done}")
