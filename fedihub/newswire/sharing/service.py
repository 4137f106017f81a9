"""Our newswire following other instances' newswires, and passing on what they publish.

What a followed newswire publishes reaches us as a Create of its own Note or an Announce of
someone's post. Items whose tags or language pass the filter an editor set become items of
ours (origin "shared") and are boosted at once. No loops and no duplicates: one item per object
(object_uri is unique), our own objects coming back are ignored, and an object we hold already
is not taken again, so two newswires following each other stop after one round."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from fedihub.activitystreams import host_of, id_of, same_host
from fedihub.errors import BadRequest, FedihubError
from fedihub.follows import service as follows
from fedihub.groups.resharing import fetch_original, is_public
from fedihub.moderation.authority import Moderator
from fedihub.newswire import fields, intake, service
from fedihub.newswire import store as items
from fedihub.newswire.model import Submission
from fedihub.newswire.sharing import store
from fedihub.newswire.sharing.store import Share
from fedihub.posts.fieldreaders import parse_language
from fedihub.services import Services

log = logging.getLogger(__name__)

MAX_LANGUAGES = 10


def read_languages(value: str | None) -> tuple[str, ...]:
    """'es, en' → ('es', 'en'); '' lets every language through."""
    words = [w for w in (value or "").replace(",", " ").split() if w]
    if len(words) > MAX_LANGUAGES:
        raise BadRequest("languages: at most %(max)s", max=MAX_LANGUAGES)
    return tuple(dict.fromkeys(parse_language(w) for w in words))


def passes(share: Share, submission: Submission) -> bool:
    """The filter an editor set: one of its tags (if any), in one of its languages (if any); a
    language matches its regional forms ('es' lets 'es-MX' through)."""
    if share.tags and not set(share.tags) & set(submission.tags):
        return False
    if not share.languages:
        return True
    language = submission.language.lower()
    return any(language == w.lower() or language.startswith(w.lower() + "-")
               for w in share.languages)  # fmt: skip


async def follow(
    svc: Services, by: Moderator, handle_or_uri: str, tags: str = "", languages: str = ""
) -> Share:
    """Our newswire follows another instance's (or changes what it takes from one it follows)."""
    wanted_tags, wanted_languages = fields.tags(tags), read_languages(languages)
    if await follows.local_target(svc, handle_or_uri) is not None:
        raise BadRequest("the newswire follows other instances' newswires, not this one's actors")
    newswire = await service.newswire_actor(svc)
    remote = await follows.resolve_handle_or_uri(svc, handle_or_uri)
    current = await store.get(svc.db, newswire.id, remote.uri)
    if current is None or current.state not in ("pending", "accepted"):
        await follows.follow(svc, newswire, remote.uri)
    async with svc.db.transaction() as tx:
        await store.save(tx, remote.uri, wanted_tags, wanted_languages, by.label,
                         svc.clock.now())  # fmt: skip
    share = await store.get(svc.db, newswire.id, remote.uri)
    assert share is not None, "saved just now"
    return share


async def unfollow(svc: Services, by: Moderator, handle_or_uri: str) -> str:
    newswire = await service.newswire_actor(svc)
    uri = await follows.unfollow(svc, newswire, handle_or_uri)
    async with svc.db.transaction() as tx:
        await store.remove(tx, uri)
    return uri


async def shares(svc: Services) -> list[Share]:
    newswire = await service.newswire_actor(svc)
    return await store.all_shares(svc.db, newswire.id)


async def _followed(svc: Services, sender: str) -> Share | None:
    newswire = await service.newswire_actor(svc)
    share = await store.get(svc.db, newswire.id, sender)
    return share if share is not None and share.state == "accepted" else None


def _ours(svc: Services, uri: str) -> bool:
    return host_of(uri) == host_of(svc.config.base_url)


async def _take(svc: Services, share: Share, sender: str, obj: dict[str, Any]) -> str:
    if id_of(obj.get("inReplyTo")) is not None or not is_public(obj):
        return "ignored: a reply or a non-public post is no newswire item"
    author = id_of(obj.get("attributedTo")) or sender
    if await svc.blocked.refuses(author):
        return "ignored: its author is blocked here"
    try:
        submission = intake.read_post(obj, origin="shared", submitter_uri=author,
                                      own=(svc.config.base_url + "/",))  # fmt: skip
    except BadRequest as e:
        return f"ignored: {e.message}"
    if not passes(share, submission):
        return "ignored: not among the tags and languages we take from that newswire"
    submission = replace(submission, via_uri=sender, source_host=host_of(sender))
    try:
        quiet = await svc.blocked.quiets(sender) or await svc.blocked.quiets(author)
        item = await service.submit(svc, submission, quiet=quiet)
    except FedihubError as e:
        return f"refused shared item: {e.message}"
    return f"shared newswire item {item.id}: {item.state}"


async def created(svc: Services, sender: str, obj: dict[str, Any]) -> str | None:
    """A followed newswire's own post (its Note for a web submission): an item of ours. None
    when the sender is no newswire we follow."""
    share = await _followed(svc, sender)
    if share is None:
        return None
    object_id = id_of(obj.get("id")) or ""
    if id_of(obj.get("attributedTo")) != sender or not same_host(object_id, sender):
        return "ignored: a followed newswire's Create of another actor's object"
    if await items.item_for_object(svc.db, object_id) is not None:
        return "ignored: a newswire item we have already"
    return await _take(svc, share, sender, obj)


async def announced(svc: Services, sender: str, object_id: str) -> str | None:
    """A followed newswire boosted a post: fetched from its own server (an embedded copy is the
    booster's claim, never trusted), it becomes an item of ours. None when the sender is no
    newswire we follow."""
    share = await _followed(svc, sender)
    if share is None or not object_id:
        return None
    if _ours(svc, object_id):
        return "ignored: our own object, come back"
    if await items.item_for_object(svc.db, object_id) is not None:
        return "ignored: a newswire item we have already"
    original = await fetch_original(svc, object_id)
    if id_of(original.get("id")) != object_id:
        return "ignored: the boosted object's server answered with another object"
    return await _take(svc, share, sender, original)


async def undone(svc: Services, sender: str, object_id: str) -> str | None:
    """A followed newswire undid its boost: our item from it is unpublished, our boost undone."""
    if not object_id:
        return None
    item = await items.item_for_object(svc.db, object_id)
    if item is None or item.origin != "shared" or item.via_uri != sender:
        return None
    withdrawn = await service.withdraw(svc, object_id, "withdrawn by the newswire it came from")
    return f"withdrew newswire item {item.id}" if withdrawn else None


async def deleted(svc: Services, sender: str, object_id: str) -> str | None:
    """Its author deleted a post that is a newswire item here (a mention, a followed newswire's
    Note, the original of a shared item): the item is unpublished, our boost undone."""
    if not object_id or not same_host(object_id, sender) or _ours(svc, object_id):
        return None
    item = await items.item_for_object(svc.db, object_id)
    # Its author (a mention's sender, a shared post's attributedTo), or the followed newswire
    # whose own Note it is: nobody else on that server.
    if item is None or sender not in (item.submitter_uri, item.via_uri):
        return None
    withdrawn = await service.withdraw(svc, object_id, "deleted by its author")
    return f"withdrew newswire item {item.id}" if withdrawn else None
