"""Moderators on other servers act on a hub (FEP-1b12), checked against its moderators
collection every time: they remove posts it carries (a `Delete` of the post, as Lemmy sends, or
a `Remove` whose target is the hub), and decide on held posts: the hub asks them by direct
message, and a reply starting "approve" or "reject" decides, as does an `Accept` or `Reject`
of the held post (or of its Create). Queue decisions taken here, from the web or the CLI, are
logged the same way (`decide`)."""

from __future__ import annotations

from html import escape
from typing import Any

from fedihub.activitystreams import JsonObject, id_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.content import html_text, sanitize_html
from fedihub.db import Transaction
from fedihub.errors import FetchError, Forbidden
from fedihub.groups import membership, resharing
from fedihub.groups import store as groups
from fedihub.groups.membership import MODERATING
from fedihub.groups.store import Queued
from fedihub.moderation import log, notices, removal
from fedihub.moderation.authority import Moderator, remote_moderator
from fedihub.services import Services
from fedihub.words import words_for

QUOTE_CHARS = 500
# The first word of a moderator's reply, in the languages the question is asked in.
APPROVE, REJECT = frozenset({"approve", "aprobar"}), frozenset({"reject", "rechazar"})


async def decide(
    svc: Services, by: Moderator, hub: LocalActor, queued_id: int, approve: bool, reason: str = ""
) -> Queued:
    """A moderator approves or rejects a held post, logged approve_post or reject_post in the
    transaction that records the decision."""
    if by.hub_id != hub.id and not by.is_admin:
        raise Forbidden("%(actor)s does not moderate %(hub)s", actor=by.label, hub=hub.username)
    said = log.read_reason(reason, required=False)

    async def logged(tx: Transaction, item: Queued) -> None:
        await log.record(
            tx,
            by,
            "approve_post" if approve else "reject_post",
            target_uri=item.object_uri,
            target_label=_quote(item, 80),
            reason=said,
            now=svc.clock.now(),
        )

    decided: Queued = await resharing.decide_queued(svc, hub, queued_id, approve, then=logged)
    return decided


# Removals sent by a hub's moderators elsewhere.


def _hub_named(svc: Services, target: str | None, hub_uri: str) -> bool:
    """A Remove's target names the hub: the hub itself, its outbox or one of its collections."""
    return target is not None and (target == hub_uri or target.startswith(hub_uri + "/"))


async def _hubs_removing(svc: Services, activity: JsonObject, actor_uri: str) -> list[LocalActor]:
    """The hubs carrying the object that this Delete or Remove asks to remove it from."""
    object_uri = id_of(activity.get("object")) or ""
    target = id_of(activity.get("target"))
    base = svc.config.base_url
    found = []
    for hub_id in await groups.hubs_carrying(svc.db, object_uri):
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is None or (
            activity.get("type") == "Remove" and not _hub_named(svc, target, hub.uri(base))
        ):
            continue
        carried = await groups.carried(svc.db, hub.id, object_uri)
        if carried is not None and carried.removed_at is None and carried.author_uri != actor_uri:
            found.append(hub)
    return found


async def check_removal(svc: Services, activity: JsonObject, actor_uri: str) -> bool:
    """Before storing a Delete or Remove of someone else's post: True if it asks one of our
    hubs to remove a post it carries; Forbidden unless the sender moderates every such hub
    (and, for a Remove naming one of our hubs, one that carries the post)."""
    hubs = await _hubs_removing(svc, activity, actor_uri)
    target = id_of(activity.get("target"))
    named_ours = target is not None and target.startswith(svc.config.base_url + "/hubs/")
    if not hubs:
        if activity.get("type") == "Remove" and named_ours:
            raise Forbidden("that hub does not carry this post")
        return False
    for hub in hubs:
        await remote_moderator(svc, hub, actor_uri)  # Forbidden when not listed
    return True


async def removal_received(svc: Services, activity: JsonObject, actor_uri: str) -> str | None:
    """A listed moderator's Delete or Remove: each hub they moderate removes the post, the
    moderator's activity passed on as it came; None if it asks no hub of ours."""
    hubs = await _hubs_removing(svc, activity, actor_uri)
    if not hubs:
        return None
    summary = activity.get("summary")
    reason = log.read_reason(
        html_text(summary)[: log.MAX_REASON_CHARS] if isinstance(summary, str) else "",
        required=False,
    )
    done = []
    for hub in hubs:
        by = await remote_moderator(svc, hub, actor_uri)
        await removal.remove_post(
            svc,
            by,
            hub,
            id_of(activity.get("object")) or "",
            reason=reason,
            clause="",
            sent=activity,
        )
        done.append(hub.username)
    return f"removed from {', '.join(done)} by a moderator"


# Held posts: remote moderators are asked, and answer.


def _quote(item: Queued, chars: int = QUOTE_CHARS) -> str:
    obj = item.activity.get("object")
    content = obj.get("content") if isinstance(obj, dict) else None
    text = " ".join(html_text(content).split()) if isinstance(content, str) else ""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


async def ask_remote_moderators(svc: Services, object_uri: str) -> int:
    """A post was just held: each hub holding it asks its moderators on other servers, by direct
    message quoting it, to reply "approve" or "reject". Once per held post; returns how many
    messages were queued."""
    sent = 0
    for hub_id, item in await groups.pending_about(svc.db, object_uri):
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is None or await groups.noticed(svc.db, item.id):
            continue
        remote = await _remote_people(svc, await membership.moderators(svc, hub))
        async with svc.db.transaction() as tx:
            for person in remote:
                note = await notices.tell(tx, svc, hub, person, _question(hub, item))
                await groups.add_queue_notice(tx, note, item.id, person.uri, svc.clock.now())
                sent += 1
    if sent:
        svc.wake_delivery()
    return sent


async def _remote_people(svc: Services, uris: list[str]) -> list[RemoteActor]:
    """The moderators on other servers, looked up (a moderator added by an organiser may never
    have written to us); one that cannot be reached now is not asked."""
    found = []
    for uri in uris:
        if uri.startswith(svc.config.base_url + "/"):
            continue
        try:
            found.append(await svc.resolver.actor(uri))
        except FetchError:
            continue
    return found


def _question(hub: LocalActor, item: Queued) -> str:
    words = words_for(hub.languages[0] if hub.languages else None)
    link = f'<a href="{escape(item.object_uri)}">{escape(item.object_uri)}</a>'
    ask = words(
        "A post into %(hub)s waits for a moderator (%(reason)s): %(post)s",
        hub=escape(hub.name),
        reason=escape(item.reason),
        post=link,
    )
    answer = words('Reply "approve" to carry it to the hub\'s followers, or "reject".')
    return f"<p>{ask}</p><blockquote>{escape(_quote(item))}</blockquote><p>{answer}</p>"


def _answer_in(obj: dict[str, Any]) -> bool | None:
    """True for a reply starting "approve", False for "reject", else None. Pure."""
    content = obj.get("content")
    text = html_text(sanitize_html(content)) if isinstance(content, str) else ""
    # The mention of the hub that addresses the reply comes first on most servers.
    first = next((w for w in text.lower().split() if not w.startswith("@")), "")
    first = first.strip(".,!:;")
    return True if first in APPROVE else False if first in REJECT else None


async def reply_received(svc: Services, actor_uri: str, obj: dict[str, Any]) -> str | None:
    """A reply to a message asking `actor_uri` about a held post; None if it is not one."""
    asked = await groups.queue_noticed(svc.db, id_of(obj.get("inReplyTo")) or "", actor_uri)
    if asked is None:
        return None
    hub = await actors.get_actor_by_id(svc.db, asked[0])
    approve = _answer_in(obj)
    if hub is None or approve is None:
        return "ignored: a reply about a held post that neither approves nor rejects it"
    by = await remote_moderator(svc, hub, actor_uri)  # still listed?
    decided = await decide(svc, by, hub, asked[1], approve)
    return f"{'approved' if approve else 'rejected'} {decided.object_uri} by a moderator's reply"


async def _held_answered(svc: Services, activity: JsonObject) -> list[tuple[int, Queued]]:
    """The held posts an Accept or Reject names: by the post's id, its Create's, or an
    embedded Create's object."""
    answered = activity.get("object")
    held = await groups.pending_about(svc.db, id_of(answered) or "")
    if not held and isinstance(answered, dict):
        held = await groups.pending_about(svc.db, id_of(answered.get("object")) or "")
    return held


async def _deciders(
    svc: Services, activity: JsonObject, actor_uri: str
) -> list[tuple[LocalActor, Moderator, Queued]] | None:
    """(hub, the sender as its moderator, the held post) for each hub holding what the answer
    names that the sender moderates; None when it names nothing held. Forbidden when the
    sender moderates none of those hubs."""
    held = await _held_answered(svc, activity)
    if not held:
        return None
    found = []
    for hub_id, item in held:
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is not None and await membership.role_of(svc, hub, actor_uri) in MODERATING:
            found.append((hub, await remote_moderator(svc, hub, actor_uri), item))
    if not found:
        raise Forbidden("%(actor)s moderates no hub holding that post", actor=actor_uri)
    return found


async def check_answer(svc: Services, activity: JsonObject, actor_uri: str) -> None:
    """Before storing an Accept or Reject: one naming a held post comes from its moderator."""
    await _deciders(svc, activity, actor_uri)


async def answer_received(
    svc: Services, activity: JsonObject, actor_uri: str, approve: bool
) -> str | None:
    """An Accept or Reject of a held post (or of its Create) from a listed moderator decides
    it; None when nothing held is named."""
    deciders = await _deciders(svc, activity, actor_uri)
    if deciders is None:
        return None
    for hub, by, item in deciders:
        await decide(svc, by, hub, item.id, approve)
    names = ", ".join(hub.username for hub, _, _ in deciders)
    return f"{'approved' if approve else 'rejected'} in {names} by a moderator"
