"""A hub carries what its members post into it to everyone who follows it, and passes on what
the hubs it follows post, by its own policy (FEP-1b12).

Each re-share goes out in the two forms the fediverse uses: `Announce` of the whole `Create` for
group-aware servers (Lemmy, PieFed, Mbin, Friendica), and `Announce` of the object's id, a
boost, which Mastodon shows (it ignores an Announce of an activity, so nothing shows twice).
Replies are carried in the first form only: boosting every comment floods timelines. A hub
never re-shares the same object twice nor its own posts coming back, so two hubs following each
other cannot loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fedihub.activitystreams import PUBLIC, JsonObject, host_of, id_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.content import sanitize_incoming
from fedihub.db import Transaction
from fedihub.errors import BadRequest, NotFound, OriginError
from fedihub.follows import store as follows
from fedihub.groups import membership, store
from fedihub.groups.store import Queued
from fedihub.network import store as network
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.posts import federate
from fedihub.posts.tags import hashtags
from fedihub.services import Services

ADDRESS_FIELDS = ("to", "cc", "audience")
MAX_HUBS_PER_POST = 5  # an activity naming hundreds of our hubs is not a post, it is a flood


def addressed_hub_uris(obj: dict[str, Any], base_url: str) -> list[str]:
    """Our hubs an object is addressed to: in to/cc/audience, or mentioned. Pure."""
    found: list[str] = []
    for field in ADDRESS_FIELDS:
        value = obj.get(field)
        found += [id_of(v) or "" for v in (value if isinstance(value, list) else [value])]
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            found.append(id_of(tag.get("href")) or "")
    prefix = f"{base_url}/hubs/"
    hubs = (u for u in found if u.startswith(prefix) and "/" not in u[len(prefix) :])
    return list(dict.fromkeys(hubs))[:MAX_HUBS_PER_POST]


def is_public(obj: dict[str, Any]) -> bool:
    """Only public (or unlisted) posts are re-shared: a hub never turns a direct or
    followers-only message into a public one (Mastodon boosts only these, too)."""
    audience: list[object] = []
    for field in ("to", "cc"):
        value = obj.get(field)
        audience += value if isinstance(value, list) else [value]
    return any(id_of(a) in (PUBLIC, "as:Public", "Public") for a in audience)


def tags_of(obj: dict[str, Any]) -> set[str]:
    """An object's hashtags, lower-case without '#', from its tags and its text."""
    tags = obj.get("tag")
    names = {
        str(t.get("name", "")).lstrip("#").lower()
        for t in (tags if isinstance(tags, list) else [])
        if isinstance(t, dict) and t.get("type") == "Hashtag"
    }
    content = obj.get("content")
    return (names | set(hashtags(content))) - {""} if isinstance(content, str) else names - {""}


async def _hubs_for(svc: Services, obj: dict[str, Any]) -> list[LocalActor]:
    uris = addressed_hub_uris(obj, svc.config.base_url)
    reply_to = id_of(obj.get("inReplyTo"))
    hubs = [h for u in uris if (h := await actors.actor_for_uri(svc.db, svc.config.base_url, u))]
    if reply_to:  # a reply in a thread the hub carries belongs to the hub too
        for hub_id in await store.hubs_carrying(svc.db, reply_to):
            hub = await actors.get_actor_by_id(svc.db, hub_id)
            hubs += [hub] if hub is not None else []
    return list({h.id: h for h in hubs if h.kind == "group"}.values())


async def posted_into_hubs(svc: Services, activity: JsonObject, sender: str) -> str | None:
    """A Create addressed to our hubs: re-shared by each, or queued for its moderators.
    None when it is addressed to none of them."""
    obj = activity["object"]
    hubs = await _hubs_for(svc, obj)
    if not hubs:
        return None
    notes = [await _received_for(svc, hub, activity, sender) for hub in hubs]
    return "; ".join(notes)


async def _in_thread(svc: Services, hub: LocalActor, parent: str | None) -> bool:
    """A reply counts as one in the hub's threads only where the hub carries the thread (or
    wrote the post): any other `inReplyTo` is a top-level post in disguise."""
    if parent is None:
        return False
    if parent.startswith(hub.uri(svc.config.base_url) + "/posts/"):
        return True
    return hub.id in await store.hubs_carrying(svc.db, parent)


async def _received_for(svc: Services, hub: LocalActor, activity: JsonObject, sender: str) -> str:
    obj = activity["object"]
    if await store.banned(svc.db, hub.id, sender, svc.clock.now()):
        return f"banned from {hub.username}: neither carried nor held"
    if not is_public(obj):
        return f"not public: {hub.username} does not re-share it"
    is_reply = await _in_thread(svc, hub, id_of(obj.get("inReplyTo")))
    role = await membership.role_of(svc, hub, sender)
    author = id_of(obj.get("attributedTo")) or sender
    if await svc.blocked.quiets(sender) or await svc.blocked.quiets(author):
        return await _hold(svc, hub, activity, sender, "from a silenced server or account",
                           stranger=role is None)  # fmt: skip
    if role is None and not await membership.is_member(svc, hub, sender):
        if is_reply:  # a non-member's reply stays in the thread but is not carried
            return f"a reply from a non-member: {hub.username} does not carry it"
        return await _hold(svc, hub, activity, sender, "not a member", stranger=True)
    if hub.posting_restricted_to_mods and not is_reply and role not in membership.MODERATING:
        return await _hold(svc, hub, activity, sender, "only moderators post here", stranger=False)
    if role not in membership.MODERATING and await _first_posts(svc, hub, sender):
        return await _hold(svc, hub, activity, sender, "first posts", stranger=False)
    shared = await reshare(svc, hub, obj, sender, activity=activity, is_reply=is_reply)
    return f"{hub.username} re-shared {obj['id']}" if shared else "already re-shared"


MAX_REVIEW_FIRST_POSTS = 100


def read_review_first_posts(value: str) -> int:
    """How many of a new actor's first posts wait for review, as typed: 0 (none) to 100."""
    given = value.strip() or "0"
    if not given.isdigit() or int(given) > MAX_REVIEW_FIRST_POSTS:
        raise BadRequest("first posts to review: a number from 0 to %(max)s",
                         max=MAX_REVIEW_FIRST_POSTS)  # fmt: skip
    return int(given)


async def _first_posts(svc: Services, hub: LocalActor, sender: str) -> bool:
    """Whether the hub reviews a new actor's first posts and `sender` has had fewer carried."""
    wanted = await store.review_first_posts(svc.db, hub.id)
    return wanted > 0 and await store.carried_count(svc.db, hub.id, sender) < wanted


async def _hold(
    svc: Services,
    hub: LocalActor,
    activity: JsonObject,
    sender: str,
    reason: str,
    *,
    stranger: bool,
) -> str:
    outcome = await store.queue(svc.db, hub.id, sender, activity["object"]["id"], activity,
                                reason, svc.clock.now(), stranger=stranger)  # fmt: skip
    if outcome == "too many waiting":
        return f"not held: too many posts from {sender} or its server already wait"
    return f"held for {hub.username}'s moderators: {reason}"


async def reshare(
    svc: Services,
    hub: LocalActor,
    obj: dict[str, Any],
    author: str,
    *,
    activity: JsonObject | None,
    is_reply: bool,
) -> bool:
    """Sends the re-share to the hub's followers, once per object. `activity` is the author's
    own Create when we have it (then both forms go out), else only the boost."""
    if host_of(obj["id"]) == host_of(svc.config.base_url):
        return False  # our own posts coming back
    if not is_public(obj) or await svc.blocked.refuses(author):
        return False
    original_author = id_of(obj.get("attributedTo")) or author
    if await svc.blocked.refuses(original_author):
        return False
    now = svc.clock.now()
    # A ban holds whichever way a post comes: sent to the hub, or boosted by someone it follows.
    if await store.banned(svc.db, hub.id, original_author, now) or (
        await store.banned(svc.db, hub.id, author, now)
    ):
        return False
    clean = sanitize_incoming(obj)
    await network.save(svc.db, author, clean, now)  # shown on the dashboard
    hub_uri = hub.uri(svc.config.base_url)
    targets = await federate.follower_targets(svc, hub)
    boost_uri = None if is_reply else svc.new_activity_uri()
    create_uri = svc.new_activity_uri() if activity is not None else None
    async with svc.db.transaction() as tx:
        if not await store.record_reshare(tx, hub.id, obj["id"], author, boost_uri, now,
                                          create_uri):  # fmt: skip
            return False
        announces = []
        if activity is not None and create_uri is not None:
            shared = {**activity, "object": {**clean, "audience": hub_uri}}
            announces.append(compose.announce(create_uri, hub_uri, shared, now, author))
        if boost_uri is not None:
            announces.append(compose.announce(boost_uri, hub_uri, obj["id"], now, author))
        for announce in announces:
            await outbox.enqueue(tx, actor_id=hub.id, activity=announce, targets=targets,
                                 is_public=True, now=now)  # fmt: skip
    svc.wake_delivery()
    return True


async def pass_on_change(svc: Services, activity: JsonObject, sender: str) -> int:
    """The author edited or deleted something hubs re-shared: they pass the change on to
    group-aware servers, and on a delete each hub also undoes its boost, so Mastodon's
    followers of the hub, who may never hear of the author's Delete, stop showing it."""
    object_id = id_of(activity.get("object"))
    if object_id is None:
        return 0
    resharers = await store.hubs_that_reshared(svc.db, object_id, sender)
    now = svc.clock.now()
    for hub_id, _ in resharers:
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is None:
            continue
        targets = await federate.follower_targets(svc, hub)
        hub_uri = hub.uri(svc.config.base_url)
        passed = dict(activity)
        if isinstance(passed.get("object"), dict) and passed["object"].get("type") != "Tombstone":
            passed["object"] = {**sanitize_incoming(passed["object"]), "audience": hub_uri}
        outgoing = [compose.announce(svc.new_activity_uri(), hub_uri, passed, now, sender)]
        async with svc.db.transaction() as tx:
            deleted = activity.get("type") == "Delete"
            boost_uri = await store.take_boost(tx, hub_id, object_id) if deleted else None
            if boost_uri is not None:
                boost = compose.announce(boost_uri, hub_uri, object_id, now, sender)
                outgoing.append(compose.undo(svc.new_activity_uri(), hub_uri, boost))
            for sent in outgoing:
                await outbox.enqueue(tx, actor_id=hub.id, activity=sent, targets=targets,
                                     is_public=True, now=now)  # fmt: skip
    if resharers:
        svc.wake_delivery()
    return len(resharers)


async def _hubs_following(svc: Services, actor_uri: str) -> list[LocalActor]:
    """Our hubs that follow `actor_uri` and pass on something of what they follow."""
    hubs = []
    for hub_id in await follows.local_actors_following(svc.db, actor_uri):
        hub = await actors.get_actor_by_id(svc.db, hub_id)
        if hub is not None and hub.kind == "group" and hub.reshare_policy != "none":
            hubs.append(hub)
    return hubs


async def announced_by_followed(svc: Services, booster: str, object_id: str) -> list[str]:
    """A followed actor boosted something: hubs whose policy wants it re-share the original,
    fetched from its own server (a forged re-share never gets further than this)."""
    hubs = await _hubs_following(svc, booster)
    if not hubs or host_of(object_id) == host_of(svc.config.base_url):
        return []
    if await svc.blocked.covers(host_of(object_id)) or await svc.blocked.refuses(booster):
        return []  # blocks apply to boosted originals too
    original = await fetch_original(svc, object_id)
    if id_of(original.get("inReplyTo")) is not None:
        return []
    author = id_of(original.get("attributedTo")) or booster
    return [
        hub.username
        for hub in hubs
        if wanted(hub, original)
        and await reshare(svc, hub, original, author, activity=None, is_reply=False)
    ]


def wanted(hub: LocalActor, obj: dict[str, Any]) -> bool:
    """Whether a hub's policy re-shares this top-level post of someone it follows."""
    if hub.reshare_policy == "all":
        return True
    return hub.reshare_policy == "tags" and bool(tags_of(obj) & set(hub.reshare_tags))


async def by_policy(
    svc: Services, sender: str, obj: dict[str, Any], activity: JsonObject | None
) -> list[str]:
    """Hubs that follow `sender` pass on its top-level posts as their policy says."""
    if id_of(obj.get("inReplyTo")) is not None:
        return []
    shared = []
    for hub in await _hubs_following(svc, sender):
        if not wanted(hub, obj):
            continue
        author = id_of(obj.get("attributedTo")) or sender
        if await reshare(svc, hub, obj, author, activity=activity, is_reply=False):
            shared.append(hub.username)
    return shared


async def fetch_original(svc: Services, object_id: str) -> dict[str, Any]:
    """What a boost points at, as its own server serves it: an Announce's embedded copy is the
    booster's claim about someone else's post, never trusted."""
    original = await svc.resolver.fetch_object(object_id)
    author = id_of(original.get("attributedTo"))
    if author is None or host_of(author) != host_of(object_id):
        raise OriginError("the re-shared object is not attributed to an actor on its own server")
    return original


async def decide_queued(
    svc: Services,
    hub: LocalActor,
    queued_id: int,
    approve: bool,
    then: Callable[[Transaction, Queued], Awaitable[None]] | None = None,
) -> Any:
    """A moderator's decision on a held post: approved, it is re-shared as if a member sent it.
    `then` does more in the transaction that records the decision (the moderation log)."""
    waiting = await store.queued_item(svc.db, hub.id, queued_id)
    if waiting is None:
        raise NotFound(
            "no post waiting with number %(number)s in %(hub)s's queue",
            number=queued_id,
            hub=hub.username,
        )
    if approve:  # re-shared first: if that fails, the post is still waiting, not lost
        obj = waiting.activity["object"]
        is_reply = await _in_thread(svc, hub, id_of(obj.get("inReplyTo")))
        await reshare(svc, hub, obj, waiting.actor_uri, activity=waiting.activity,
                      is_reply=is_reply)  # fmt: skip
    async with svc.db.transaction() as tx:
        decided = await store.decide(tx, hub.id, queued_id, "approved" if approve else "rejected")
        if decided is not None and then is not None:
            await then(tx, decided)
    return decided or waiting
