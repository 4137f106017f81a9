"""Removing a post from a hub, with a reason and the clause it applies, logged `remove_post`.

A hub's own post is deleted as its organisers delete one (a `Delete` with a Tombstone; the URL
answers 410). A post a member on another server posted into the hub is taken back: the hub
undoes both Announces it sent (the boost Mastodon shows and the Announce of the Create), and
tells group-aware servers as Lemmy does, with the moderator's `Delete` (its `summary` the
reason) wrapped in the hub's `Announce` (FEP-1b12). The re-share stays recorded, marked
removed, so the post is never carried again and leaves the hub's dashboard and outbox; its
author gets a direct message saying why."""

from __future__ import annotations

from html import escape
from typing import Any

from fedihub.activitystreams import PUBLIC, JsonObject
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.content import html_text
from fedihub.db import Transaction
from fedihub.errors import Forbidden, NotFound
from fedihub.groups import store as groups
from fedihub.groups.store import Carried
from fedihub.moderation import conduct, log, notices
from fedihub.moderation.authority import Moderator
from fedihub.network import store as network
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.posts import federate
from fedihub.posts import service as posts
from fedihub.posts.store import Post
from fedihub.services import Services
from fedihub.words import words_for

LABEL_CHARS = 80


async def read_grounds(svc: Services, hub: LocalActor, reason: str, clause: str) -> tuple[str, str]:
    """(reason, the clause as the log keeps it), as a moderator here typed them: a reason is
    required, and a clause whenever the hub's or the instance's code has clauses."""
    return log.read_reason(reason), await conduct.read_clause(svc, hub, clause)


def _label(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LABEL_CHARS else flat[: LABEL_CHARS - 1].rstrip() + "…"


def _object_label(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    name, content = obj.get("name"), obj.get("content")
    if isinstance(name, str) and name.strip():
        return _label(name)
    return _label(html_text(content)) if isinstance(content, str) else ""


async def what_it_is(
    svc: Services, hub: LocalActor, object_uri: str
) -> tuple[Post | None, Carried | None]:
    """The hub's own post `object_uri` names, or the post it carries; NotFound if neither (a
    post of another hub, one it does not carry, or one already removed)."""
    found = await posts.local_post(svc, object_uri)
    if found is not None and found[0].id == hub.id and found[1].deleted_at is None:
        return found[1], None
    carried = await groups.carried(svc.db, hub.id, object_uri)
    if found is None and carried is not None and carried.removed_at is None:
        return None, carried
    raise NotFound("%(hub)s carries no post %(post)s", hub=hub.username, post=object_uri)


async def remove_post(
    svc: Services,
    by: Moderator,
    hub: LocalActor,
    object_uri: str,
    *,
    reason: str,
    clause: str,
    report_id: int | None = None,
    sent: JsonObject | None = None,
) -> str:
    """Removes a post from `hub` (reason and clause already read); returns "deleted" (the hub's
    own post) or "removed" (a carried one). `sent`: a remote moderator's own Delete or Remove,
    passed on as it came, in place of one the hub writes."""
    if by.hub_id != hub.id and not by.is_admin:
        raise Forbidden("%(actor)s does not moderate %(hub)s", actor=by.label, hub=hub.username)
    own, carried = await what_it_is(svc, hub, object_uri)
    now = svc.clock.now()
    if own is not None:
        label = own.title or _label(html_text(own.content_html))

        async def logged(tx: Transaction, post: Post) -> None:
            await log.record(
                tx,
                by,
                "remove_post",
                target_uri=object_uri,
                target_label=label,
                clause=clause,
                reason=reason,
                report_id=report_id,
                now=now,
            )

        await posts.delete(svc, hub, own.id, now, then=logged)
        return "deleted"
    assert carried is not None
    await _take_back(svc, by, hub, carried, reason, clause, report_id, sent)
    return "removed"


def _moderators_delete(
    svc: Services, by: Moderator, hub_uri: str, object_uri: str, reason: str
) -> JsonObject:
    """What Lemmy sends when a moderator removes a post (its remove_note.json): the moderator's
    Delete of the post, addressed to the community, the reason as its summary."""
    return {
        "id": svc.new_activity_uri(),
        "type": "Delete",
        "actor": by.uri,
        "object": object_uri,
        "to": [PUBLIC],
        "cc": [hub_uri],
        "audience": hub_uri,
        "summary": reason,
    }


async def _take_back(
    svc: Services,
    by: Moderator,
    hub: LocalActor,
    carried: Carried,
    reason: str,
    clause: str,
    report_id: int | None,
    sent: JsonObject | None,
) -> None:
    hub_uri = hub.uri(svc.config.base_url)
    now = svc.clock.now()
    obj = await network.document(svc.db, carried.object_uri)
    label = _object_label(obj)
    targets = await federate.follower_targets(svc, hub)
    author = await actors.get_remote_actor(svc.db, carried.author_uri)
    async with svc.db.transaction() as tx:
        taken = await groups.mark_removed(tx, hub.id, carried.object_uri, now)
        if taken is None:  # removed meanwhile by someone else
            raise NotFound(
                "%(hub)s carries no post %(post)s", hub=hub.username, post=carried.object_uri
            )
        outgoing: list[JsonObject] = []
        for announce_uri, shared in (
            (taken.boost_uri, carried.object_uri),
            (taken.create_announce_uri, None),
        ):
            if announce_uri is not None:
                announced = {
                    "id": announce_uri,
                    "type": "Announce",
                    "actor": hub_uri,
                    "object": shared or carried.object_uri,
                }
                outgoing.append(compose.undo(svc.new_activity_uri(), hub_uri, announced))
        removal = sent or _moderators_delete(svc, by, hub_uri, carried.object_uri, reason)
        outgoing.append(
            compose.announce(svc.new_activity_uri(), hub_uri, removal, now, carried.author_uri)
        )
        for activity in outgoing:
            await outbox.enqueue(
                tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True, now=now
            )
        await outbox.hide_public(
            tx, hub.id, [u for u in (taken.boost_uri, taken.create_announce_uri) if u]
        )
        entry = await log.record(
            tx,
            by,
            "remove_post",
            target_uri=carried.object_uri,
            target_label=label,
            clause=clause,
            reason=reason,
            report_id=report_id,
            now=now,
        )
        if author is not None:
            await notices.tell(
                tx,
                svc,
                hub,
                author,
                _notice(hub, carried.object_uri, reason, clause),
                about_entry=entry,
            )
    svc.wake_delivery()


def _notice(hub: LocalActor, object_uri: str, reason: str, clause: str) -> str:
    """The direct message to the author, in the hub's language."""
    words = words_for(hub.languages[0] if hub.languages else None)
    link = f'<a href="{escape(object_uri)}">{escape(object_uri)}</a>'
    lines = [
        words(
            "The moderators of %(hub)s removed your post %(post)s from the hub.",
            hub=escape(hub.name),
            post=link,
        )
    ]
    if clause:
        lines.append(words("Under: %(clause)s", clause=escape(clause)))
    lines.append(words("Why: %(reason)s", reason=escape(reason)))
    lines.append(words("You may answer this message once to ask another moderator to review it."))
    return "".join(f"<p>{line}</p>" for line in lines)
