"""Counting favourites and boosts of our posts, and taking them back."""

from __future__ import annotations

from typing import Any

from fedihub.activitystreams import id_of
from fedihub.posts.service import local_post
from fedihub.reactions import store
from fedihub.reactions.store import Kind
from fedihub.services import Services


async def react(
    svc: Services, kind: Kind, actor_uri: str, activity_uri: str, object_uri: str
) -> str | None:
    """Counts a favourite or boost of one of our posts; None when the object is not ours."""
    found = await local_post(svc, object_uri, accounts_too=True)
    if found is None:
        return None
    _, post = found
    if post.deleted_at is not None:
        return "ignored: a reaction to a deleted post"
    added = await store.add(svc.db, post.id, kind, actor_uri, activity_uri, svc.clock.now())
    return f"counted a {kind} of post {post.id}" if added else f"already counted that {kind}"


async def take_back(svc: Services, kind: Kind, actor_uri: str, undone: Any) -> str:
    """Undo{Like} or Undo{Announce}: by the undone activity's id, else by the post it named."""
    undone_id = id_of(undone)
    if undone_id and await store.remove(svc.db, kind, actor_uri, undone_id):
        return f"took back a {kind}"
    found = (
        await local_post(svc, id_of(undone.get("object")) or "", accounts_too=True)
        if isinstance(undone, dict)
        else None
    )
    if found and await store.remove_for_post(svc.db, found[1].id, kind, actor_uri):
        return f"took back a {kind}"
    return f"ignored: undo of a {kind} not counted here"
