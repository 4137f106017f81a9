"""What each incoming activity type does. One coroutine per type, found in HANDLERS.

A handler returns a short note for the log, or raises a FedihubError: FetchError is retried
later (the other server may be back), anything else marks the item failed with its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fedihub.activitystreams import JsonObject, id_of, is_actor_type
from fedihub.actors import store
from fedihub.actors.resolver import parse_actor_document
from fedihub.content import sanitize_incoming
from fedihub.errors import NotFound, OriginError
from fedihub.events import participation
from fedihub.events.participation import EventClosed
from fedihub.follows import service as follows
from fedihub.follows import store as follow_store
from fedihub.groups import membership, resharing
from fedihub.groups import store as group_store
from fedihub.inbox.precheck import local_hub
from fedihub.inbox.store import InboxItem
from fedihub.inbox.validate import vote_in
from fedihub.moderation import remote, reporting
from fedihub.moderation.appeals import service as appeals
from fedihub.moderation.sanctions import service as sanctions
from fedihub.network import store as network
from fedihub.newswire import intake as news_intake
from fedihub.newswire.sharing import service as news_sharing
from fedihub.polls import service as polls
from fedihub.polls import store as poll_store
from fedihub.polls.service import choice_for
from fedihub.posts.service import local_post
from fedihub.reactions import service as reactions
from fedihub.reactions.store import Kind as ReactionKind
from fedihub.reports.flags import read_flag
from fedihub.resources import service as resource_matches
from fedihub.services import Services

Handler = Callable[[Services, InboxItem], Awaitable[str]]

UNDONE_REACTIONS: dict[str, ReactionKind] = {"Like": "like", "Announce": "share"}
# Activities a group's Announce passes on (FEP-1b12) that are no post to re-share. Any other
# embedded object (a Note, an Article) is a boost of that object, fetched from its own server.
PASSED_ON_CHANGES = frozenset({"Update", "Delete", "Undo", "Add", "Remove", "Like", "Dislike",
                               "Announce", "Flag", "Block", "Follow", "Accept", "Reject",
                               "Join", "Leave"})  # fmt: skip


async def on_follow(svc: Services, item: InboxItem) -> str:
    target = id_of(item.document.get("object"))
    local = await store.actor_for_uri(svc.db, svc.config.base_url, target or "")
    if local is None or local.kind == "application":
        return f"ignored: {target} is not a followable actor here"
    follower = await svc.resolver.actor(item.actor_uri)
    follow_activity = {"id": item.activity_uri, "actor": item.actor_uri, "object": target}
    if local.kind == "group" and await sanctions.banned(svc, local, item.actor_uri):
        await follows.refuse(svc, local, follower, follow_activity)  # banned since it arrived
        return f"refused: {item.actor_uri} is banned from {local.username}"
    state = await follows.follow_received(svc, local, follower, follow_activity)
    return f"{item.actor_uri} follows {local.username}: {state}"


async def _undo_follow(svc: Services, item: InboxItem, undone: Any) -> str:
    target = id_of(undone.get("object")) if isinstance(undone, dict) else None
    if target is None:
        local_id = await follow_store.local_actor_followed_by(svc.db, id_of(undone) or "")
        local = await store.get_actor_by_id(svc.db, local_id) if local_id else None
    else:
        local = await store.actor_for_uri(svc.db, svc.config.base_url, target)
    if local is None:
        return "ignored: undo of a follow we do not know"
    removed = await follows.follower_left(svc, local, item.actor_uri)
    return f"{item.actor_uri} unfollowed {local.username}" if removed else "already not following"


async def _event_of(svc: Services, event_uri: str | None) -> tuple[Any, Any]:
    target = await local_post(svc, event_uri or "")
    if target is None:
        raise NotFound("no event here with that id")
    return target


async def on_join(svc: Services, item: InboxItem) -> str:
    await svc.resolver.actor(item.actor_uri)  # its inbox, for the answer
    joined = await local_hub(svc, id_of(item.document.get("object")) or "")
    if joined is not None:
        outcome = await membership.join_received(svc, joined, item.actor_uri, item.activity_uri)
        return f"{item.actor_uri} joins hub {joined.username}: {outcome}"
    hub, post = await _event_of(svc, id_of(item.document.get("object")))
    message = item.document.get("participationMessage")
    join = {"id": item.activity_uri, "type": "Join", "actor": item.actor_uri,
            "object": id_of(item.document.get("object"))}  # fmt: skip
    try:
        state = await participation.join(
            svc, hub, post, item.actor_uri, item.activity_uri, svc.clock.now(),
            message=message if isinstance(message, str) else "",
        )  # fmt: skip
    except EventClosed as e:
        # Checked on arrival too, but the event may have filled or been cancelled since.
        await participation.reject(svc, hub, join, svc.clock.now())
        return f"rejected: {e.message}"
    return f"{item.actor_uri} joins post {post.id}: {state}"


async def _leave(svc: Services, item: InboxItem, event_uri: str | None) -> str:
    left_hub = await local_hub(svc, event_uri or "")
    if left_hub is not None:
        gone = await membership.left(svc, left_hub, item.actor_uri)
        return f"{item.actor_uri} left hub {left_hub.username}" if gone else "ignored: not a member"
    hub, post = await _event_of(svc, event_uri)
    left = await participation.leave(svc, hub, post, item.actor_uri, svc.clock.now())
    return f"{item.actor_uri} left post {post.id}" if left else "ignored: was not taking part"


async def on_leave(svc: Services, item: InboxItem) -> str:
    return await _leave(svc, item, id_of(item.document.get("object")))


async def on_undo(svc: Services, item: InboxItem) -> str:
    undone = item.document.get("object")
    if not isinstance(undone, dict):  # an id alone: looked up among the sender's follows
        return await _undo_follow(svc, item, undone)
    if id_of(undone.get("actor")) != item.actor_uri:
        raise OriginError("an actor can only undo its own activities")
    undone_type = undone.get("type")
    if undone_type == "Follow" or undone_type is None:
        return await _undo_follow(svc, item, undone)
    if undone_type == "Join":  # some servers send Undo{Join} where Mobilizon sends Leave
        return await _leave(svc, item, id_of(undone.get("object")))
    news = undone_type == "Announce" and await news_sharing.undone(
        svc, item.actor_uri, id_of(undone.get("object")) or ""
    )  # a followed newswire took back an item we passed on
    if undone_type == "Announce" and await network.forget_boost(
        svc.db, item.actor_uri, id_of(undone) or "", svc.clock.now()
    ):
        return news or "forgot a boost its sender took back"  # a followed hub removed a post
    if news:
        return news
    if isinstance(undone_type, str) and (kind := UNDONE_REACTIONS.get(undone_type)):
        return await reactions.take_back(svc, kind, item.actor_uri, undone)
    return f"ignored: undo of {undone_type}"


async def _follow_answered(svc: Services, item: InboxItem, accepted: bool) -> str:
    follow_uri = id_of(item.document.get("object"))
    if follow_uri is None:
        return "ignored: answer names no activity"
    matched = await follows.follow_answered(svc, follow_uri, item.actor_uri, accepted)
    verb = "accepted" if accepted else "rejected"
    return f"follow {follow_uri} {verb}" if matched else "ignored: not one of our follows"


async def on_accept(svc: Services, item: InboxItem) -> str:
    decided = await remote.answer_received(svc, item.document, item.actor_uri, approve=True)
    return decided or await _follow_answered(svc, item, accepted=True)


async def on_reject(svc: Services, item: InboxItem) -> str:
    decided = await remote.answer_received(svc, item.document, item.actor_uri, approve=False)
    return decided or await _follow_answered(svc, item, accepted=False)


async def _followed_sender_or_group(svc: Services, item: InboxItem, obj: JsonObject) -> bool:
    """A followed actor, or a member publishing for a followed group (Mobilizon)."""
    if await follow_store.is_followed_here(svc.db, item.actor_uri):
        return True
    group = id_of(obj.get("attributedTo"))
    return group is not None and await follow_store.is_followed_here(svc.db, group)


async def _answer_to_our_post(svc: Services, item: InboxItem, obj: JsonObject) -> str | None:
    """A vote in one of our polls, or a reply under one of our posts; None if neither."""
    target = await local_post(svc, id_of(obj.get("inReplyTo")) or "")
    if target is None:
        return None
    hub, post = target
    if await sanctions.banned(svc, hub, item.actor_uri):
        return f"ignored: {item.actor_uri} is banned from {hub.username}"
    vote = vote_in(obj)
    if vote is not None and svc.kinds.of(post).is_question:
        if id_of(obj.get("attributedTo")) != item.actor_uri:
            raise OriginError("a vote must be attributed to the actor who sends it")
        choice = choice_for(post, vote[0])
        recorded = await polls.vote(
            svc, hub, post, item.actor_uri, [choice], svc.clock.now(), obj["id"]
        )
        return f"vote for {vote[0]!r} in post {post.id}" if recorded else "ignored: repeated vote"
    note = await polls.record_reply(
        svc, post, item.actor_uri, sanitize_incoming(obj), svc.clock.now()
    )
    carried = await resharing.posted_into_hubs(svc, item.document, item.actor_uri)
    return f"{note}; {carried}" if carried else note


async def on_create(svc: Services, item: InboxItem) -> str:
    obj = item.document.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return "ignored: Create without an embedded object"
    # A reply to a moderation notice is an appeal; to a held post's notice, a remote
    # moderator's decision; to one of our posts, a vote or a comment.
    answered = await appeals.answer_to_notice(svc, item.actor_uri, obj)
    answered = answered or await resource_matches.notice_received(svc, item.actor_uri, obj)
    answered = answered or await _answer_to_our_post(svc, item, obj)
    if answered is None:
        answered = await remote.reply_received(svc, item.actor_uri, obj)
    if answered is not None:
        return answered
    published = await _as_published(svc, item, obj)  # verified before anything is done with it
    news = await news_intake.mentioned(svc, item.actor_uri, published)
    news = news or await news_sharing.created(svc, item.actor_uri, published)
    as_sent = {**item.document, "object": published}
    carried = await resharing.posted_into_hubs(svc, as_sent, item.actor_uri)
    if carried:
        await remote.ask_remote_moderators(svc, published["id"])
    if not await _followed_sender_or_group(svc, item, obj):
        return carried or news or "ignored: from an actor nobody here follows"
    await network.save(svc.db, item.actor_uri, sanitize_incoming(published), svc.clock.now())
    group = id_of(published.get("attributedTo")) or item.actor_uri
    activity = item.document if group == item.actor_uri else None
    passed_on = await resharing.by_policy(svc, group, published, activity)
    notes = [f"stored {published.get('type')} {published['id']}", carried or "", news or ""]
    notes.append(f"re-shared by {', '.join(passed_on)}" if passed_on else "")
    return "; ".join(n for n in notes if n)


async def _as_published(svc: Services, item: InboxItem, obj: JsonObject) -> JsonObject:
    """A member's copy of their group's object is only their word for it: keep the group's
    server's own copy instead (fetched from its id), and only if it names the same group."""
    group = id_of(obj.get("attributedTo"))
    if group is None or group == item.actor_uri:
        return obj
    published = await svc.resolver.fetch_object(obj["id"])
    if id_of(published.get("attributedTo")) != group:
        raise OriginError("the object's own server does not attribute it to that group")
    return published


async def on_update(svc: Services, item: InboxItem) -> str:
    obj = item.document.get("object")
    if not isinstance(obj, dict):
        return "ignored: Update without an embedded object"
    if is_actor_type(obj.get("type")) and obj.get("id") == item.actor_uri:
        actor = parse_actor_document(obj, svc.clock.now())
        await store.save_remote_actor(svc.db, actor, obj)
        return f"refreshed actor {item.actor_uri}"
    author = id_of(obj.get("attributedTo")) or item.actor_uri
    obj = sanitize_incoming(await _as_published(svc, item, obj))
    changed = await network.update(svc.db, item.actor_uri, author, obj, svc.clock.now())
    await resharing.pass_on_change(svc, item.document, item.actor_uri)
    return "updated" if changed else "ignored: update of an object we do not hold"


async def on_delete(svc: Services, item: InboxItem) -> str:
    object_id = id_of(item.document.get("object"))
    if object_id == item.actor_uri:
        async with svc.db.transaction() as tx:
            await store.forget_remote_actor(tx, item.actor_uri)
            await follow_store.forget_actor(tx, item.actor_uri)
            await network.delete_all_from(tx, item.actor_uri, svc.clock.now())
        return f"forgot deleted actor {item.actor_uri}"
    if object_id is None:
        return "ignored: delete of nothing"
    removed = await remote.removal_received(svc, item.document, item.actor_uri)
    if removed is not None:
        return removed  # a hub's moderator removed a post it carries
    if await poll_store.delete_reply(svc.db, object_id, item.actor_uri, svc.clock.now()):
        return f"deleted reply {object_id}"
    news = await news_sharing.deleted(svc, item.actor_uri, object_id)  # a newswire item's source
    passed_on = await resharing.pass_on_change(svc, item.document, item.actor_uri)
    if await group_store.withdraw(svc.db, object_id, item.actor_uri):
        return f"withdrew {object_id} from the moderation queue"
    if not passed_on and not await follow_store.is_followed_here(svc.db, item.actor_uri):
        return news or "ignored: delete from an actor nobody here follows"
    changed = await network.tombstone(svc.db, item.actor_uri, object_id, svc.clock.now())
    return "deleted" if changed else "ignored: delete of another actor's object"


async def on_like(svc: Services, item: InboxItem) -> str:
    liked = id_of(item.document.get("object")) or ""
    counted = await reactions.react(svc, "like", item.actor_uri, item.activity_uri, liked)
    return counted or "ignored: a favourite of something not ours"


async def on_announce(svc: Services, item: InboxItem) -> str:
    boosted_here = id_of(item.document.get("object")) or ""
    if counted := await reactions.react(
        svc, "share", item.actor_uri, item.activity_uri, boosted_here
    ):
        return counted  # a boost of one of our posts
    if not await follow_store.is_followed_here(svc.db, item.actor_uri):
        return "ignored: boost from an actor nobody here follows"
    boosted = id_of(item.document.get("object"))
    if boosted is None:
        return "ignored: boost of nothing"
    # Only the reference: an embedded copy is the booster's claim about someone else's post,
    # so whoever shows it fetches the original from its own host.
    reference = {"id": item.activity_uri, "type": "Announce", "actor": item.actor_uri,
                 "object": boosted}  # fmt: skip
    await network.save(svc.db, item.actor_uri, reference, svc.clock.now())
    shared = item.document.get("object")
    if isinstance(shared, dict) and shared.get("type") in PASSED_ON_CHANGES:
        return "stored boost"  # a group passing on an edit or a delete: nothing to re-share
    if isinstance(shared, dict):  # FEP-1b12: the group's Announce of its member's Create
        boosted = id_of(shared.get("object")) or boosted
    news = await news_sharing.announced(svc, item.actor_uri, boosted)  # a followed newswire's
    passed_on = await resharing.announced_by_followed(svc, item.actor_uri, boosted)
    shared = f"re-shared by {', '.join(passed_on)}" if passed_on else ""
    return "; ".join(n for n in ("stored boost", shared, news or "") if n)


async def on_remove(svc: Services, item: InboxItem) -> str:
    removed = await remote.removal_received(svc, item.document, item.actor_uri)
    return removed or "ignored: a Remove of nothing one of our hubs carries"


async def on_flag(svc: Services, item: InboxItem) -> str:
    flag = read_flag(item.activity_uri, item.actor_uri, item.document)
    return await reporting.receive_flag(svc, flag)


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Undo": on_undo,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Announce": on_announce,
    "Join": on_join,
    "Leave": on_leave,
    "Flag": on_flag,
    "Remove": on_remove,
    "Like": on_like,
}
