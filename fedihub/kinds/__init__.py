"""The kinds of hub post, one module each, and the registry that holds them.

A kind's module (update.py, event.py, …) declares `KIND`, an instance of a `PostKind` subclass
(fedihub/posts/kind.py): its fields dataclass, its front matter, its ActivityStreams shape, who
hears of it and its part of the post's page. `registry()` finds the modules in this package the
first time it is asked, not when this package is imported; the server and the CLI hand it down in
`Services.kinds`, so posts, below events and polls, reaches their hooks without importing them.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest
from fedihub.posts import render
from fedihub.posts.kind import KINDS, Kind, PostDraft, PostKind
from fedihub.posts.kind import parse_draft as parse_as
from fedihub.posts.store import Post
from fedihub.reactions import store as reactions
from fedihub.reactions.store import Reactions

__all__ = ["KINDS", "Registry", "parse_draft", "post_object", "registry"]


class Registry:
    """Every kind by its name, in the order of `Kind`; and the reactions every post may have."""

    def __init__(self, kinds: list[PostKind]) -> None:
        self._kinds: dict[str, PostKind] = {
            kind.name: kind for kind in sorted(kinds, key=lambda k: KINDS.index(k.name))
        }

    @property
    def names(self) -> tuple[Kind, ...]:
        return tuple(kind.name for kind in self._kinds.values())

    def get(self, kind: str) -> PostKind:
        found = self._kinds.get(kind)
        if found is None:
            raise BadRequest(
                "unknown kind of post %(kind)r: one of %(choices)s",
                kind=kind,
                choices=", ".join(self._kinds),
            )
        return found

    async def reactions(self, db: Database | Transaction, post_id: int) -> Reactions:
        return await reactions.counts(db, post_id)


@functools.cache
def registry() -> Registry:
    """The kinds declared in this package's modules, found once."""
    modules = [
        importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)
    ]
    return Registry([module.KIND for module in modules])


def parse_draft(kind: str, text: str, hub_timezone: str, language: str | None = None) -> PostDraft:
    """A post of the kind named `kind`, checked (posts/kind.py's parse_draft)."""
    return parse_as(registry().get(kind), text, hub_timezone, language)


def post_object(
    hub_uri: str,
    post: Post,
    *,
    series: Post | None = None,
    loaded: object = None,
    by_group: bool = True,
    language: str | None = None,
    reactions: Reactions | None = None,
) -> dict[str, Any]:
    """The post's object as its kind renders it (posts/render.py's post_object)."""
    return render.post_object(
        hub_uri, post, registry().get(post.kind), series=series, loaded=loaded,
        by_group=by_group, language=language, reactions=reactions,
    )  # fmt: skip
