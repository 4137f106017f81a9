"""Checks that need the database, made after the signature is verified and before the activity
is stored, so a refusal reaches the sender as a 4xx with its reason instead of a silent drop.

Kept to cheap reads: everything else waits for the inbox worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fedihub.activitystreams import id_of, same_host
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.errors import Forbidden, NotFound, OriginError
from fedihub.events.participation import EventClosed, check_joinable, reject
from fedihub.groups.membership import is_member
from fedihub.inbox.validate import Incoming, foreign_author, vote_in
from fedihub.moderation import remote
from fedihub.moderation.sanctions.service import banned
from fedihub.network import store as network
from fedihub.polls.service import check_open, choice_for, question_kind
from fedihub.polls.store import question_fields
from fedihub.posts.service import local_post
from fedihub.reports.flags import read_flag
from fedihub.services import Services


async def _authorship(svc: Services, activity: Incoming) -> None:
    author = foreign_author(activity)
    if author is not None:
        # Same host already checked; a member may publish for a group (Mobilizon), not for
        # another person.
        owner = await svc.resolver.actor(author)
        if owner.type != "Group":
            raise OriginError("the object is attributed to another actor")
    if activity.type == "Update":
        object_id = id_of(activity.document.get("object")) or ""
        holder = await network.holder(svc.db, object_id)
        if holder is not None and activity.actor not in holder and author not in holder:
            raise Forbidden("only the actor who sent an object (or its group) can update it")


async def _create(svc: Services, activity: Incoming) -> None:
    await _authorship(svc, activity)
    obj = activity.document.get("object")
    if not isinstance(obj, dict):
        return
    vote = vote_in(obj)
    target = await local_post(svc, vote[1]) if vote else None
    if vote is None or target is None or not svc.kinds.of(target[1]).is_question:
        return
    hub, post = target
    if id_of(obj.get("attributedTo")) != activity.actor:
        raise OriginError("a vote must be attributed to the actor who sends it")
    check_open(svc.kinds, post, svc.clock.now())
    choice_for(post, vote[0])
    refused = question_kind(svc.kinds, post).refuses_non_members
    if (
        refused
        and question_fields(post).members_only
        and not await is_member(svc, hub, activity.actor)
    ):
        raise Forbidden("only members of the hub may respond to this proposal")


async def local_hub(svc: Services, uri: str) -> LocalActor | None:
    actor = await actors.actor_for_uri(svc.db, svc.config.base_url, uri)
    return actor if actor is not None and actor.kind == "group" else None


async def _not_banned(svc: Services, activity: Incoming) -> bool:
    """Forbidden when the activity's object is a hub that banned its sender; True when it is
    a hub at all."""
    hub = await local_hub(svc, id_of(activity.document.get("object")) or "")
    if hub is not None and await banned(svc, hub, activity.actor):
        raise Forbidden("the moderators of %(hub)s have banned you from it", hub=hub.name)
    return hub is not None


async def _follow(svc: Services, activity: Incoming) -> None:
    await _not_banned(svc, activity)


async def _join(svc: Services, activity: Incoming) -> None:
    object_id = id_of(activity.document.get("object")) or ""
    if await _not_banned(svc, activity):
        return  # joining a hub: its policy decides, in the worker
    target = await local_post(svc, object_id)
    if target is None:
        raise NotFound("no event or hub here with that id")
    try:
        check_joinable(svc.kinds, target[1], svc.clock.now())
    except EventClosed:
        # The sender's server learns of the refusal twice: a 409 now, and a Reject, which is
        # what Mobilizon waits for before it stops showing the participation as pending.
        join = {"id": activity.id, "type": "Join", "actor": activity.actor,
                "object": id_of(activity.document.get("object"))}  # fmt: skip
        await reject(svc, target[0], join, svc.clock.now())
        raise


async def _leave(svc: Services, activity: Incoming) -> None:
    object_id = id_of(activity.document.get("object")) or ""
    if await local_hub(svc, object_id) is None and await local_post(svc, object_id) is None:
        raise NotFound("no event or hub here with that id")


async def _flag(svc: Services, activity: Incoming) -> None:
    read_flag(activity.id, activity.actor, activity.document)  # a report says what it reports


async def _delete(svc: Services, activity: Incoming) -> None:
    """Someone else's post may be deleted only by a moderator of a hub carrying it."""
    object_id = id_of(activity.document.get("object")) or ""
    if same_host(object_id, activity.actor):
        return  # its author's own (validate checked the rest)
    if not await remote.check_removal(svc, activity.document, activity.actor):
        raise Forbidden("only its author or a moderator of a hub carrying it may delete a post")


async def _remove(svc: Services, activity: Incoming) -> None:
    await remote.check_removal(svc, activity.document, activity.actor)


async def _answer(svc: Services, activity: Incoming) -> None:
    """An Accept or Reject of a held post comes from a listed moderator of a hub holding it."""
    await remote.check_answer(svc, activity.document, activity.actor)


PRECHECKS: dict[str, Callable[[Services, Incoming], Awaitable[None]]] = {
    "Create": _create,
    "Update": _authorship,
    "Follow": _follow,
    "Join": _join,
    "Leave": _leave,
    "Flag": _flag,
    "Delete": _delete,
    "Remove": _remove,
    "Accept": _answer,
    "Reject": _answer,
}


async def precheck(svc: Services, activity: Incoming) -> None:
    check = PRECHECKS.get(activity.type)
    if check is not None:
        await check(svc, activity)
