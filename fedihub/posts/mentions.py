"""Resolving the @name@host handles a post mentions to the actors they name (WebFinger)."""

from __future__ import annotations

from typing import Any

from fedihub.actors import store as actors
from fedihub.errors import BadRequest, FedihubError
from fedihub.follows.service import parse_handle, resolve_handle_or_uri
from fedihub.posts.tags import find_mentions
from fedihub.services import Services


async def resolve_mentions(svc: Services, text: str) -> list[dict[str, Any]]:
    """Mention tags for every handle in `text`; a handle that cannot be found is an error, so a
    post never goes out addressed to someone it does not reach."""
    resolved = []
    for handle in find_mentions(text):
        username, domain = parse_handle(handle)
        if domain in (svc.config.domain, svc.config.host):
            local = await actors.get_actor_by_username(svc.db, username)
            if local is None or local.kind == "application":
                raise BadRequest("no one here is called %(handle)s", handle=handle)
            kind = "Group" if local.kind == "group" else "Person"
            resolved.append({"type": "Mention", "href": local.uri(svc.config.base_url),
                             "name": handle, "actor_type": kind})  # fmt: skip
            continue
        try:
            actor = await resolve_handle_or_uri(svc, handle)
        except FedihubError as e:
            raise BadRequest(
                "could not find %(handle)s: %(reason)s", handle=handle, reason=e
            ) from e
        resolved.append({"type": "Mention", "href": actor.uri, "name": handle,
                         "actor_type": actor.type})  # fmt: skip
    return resolved
