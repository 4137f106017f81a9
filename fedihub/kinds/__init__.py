"""The kinds of hub post, one module each, and the registry that holds them.

A kind's module (update.py, event.py, …) declares `KIND`, an instance of a `PostKind` subclass
(fedihub/posts/kind.py): its name and label, its fields dataclass, its front matter, its
ActivityStreams shape, who hears of it and its part of the post's page. Adding a kind is adding a
module here: nothing else lists the kinds (the database stores any name, migration 0013), and
code that treats some kinds alike asks the registry for them by what they are (`names_where`).

`registry()` finds the modules in this package the first time it is asked, not when this package
is imported; the server and the CLI hand it down in `Services.kinds`, so posts, below events and
polls, reaches their hooks without importing them. `discover` finds the kinds of any packages.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest
from fedihub.posts import render
from fedihub.posts.kind import KindName, PostDraft, PostKind
from fedihub.posts.kind import parse_draft as parse_as
from fedihub.posts.store import Post
from fedihub.reactions import store as reactions
from fedihub.reactions.store import Reactions
from fedihub.words import Words

__all__ = ["Registry", "discover", "parse_draft", "post_object", "registry"]


class Registry:
    """Every kind by its name, in their `position` order; and the reactions every post may
    have."""

    def __init__(self, kinds: list[PostKind]) -> None:
        self._kinds: dict[str, PostKind] = {}
        for kind in sorted(kinds, key=lambda k: (k.position, k.name)):
            if kind.name in self._kinds:
                raise ValueError(f"two modules declare the kind {kind.name!r}")
            self._kinds[kind.name] = kind

    @property
    def names(self) -> tuple[KindName, ...]:
        return tuple(kind.name for kind in self._kinds.values())

    @property
    def kinds(self) -> tuple[PostKind, ...]:
        return tuple(self._kinds.values())

    def names_where(self, test: Callable[[PostKind], bool]) -> tuple[KindName, ...]:
        """The kinds that are alike in some way (`lambda k: k.is_question`), for SQL to select."""
        return tuple(kind.name for kind in self._kinds.values() if test(kind))

    def of(self, post: Post) -> PostKind:
        return self.get(post.kind)

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


def discover(*packages: str) -> Registry:
    """The kinds the modules of `packages` (importable names) declare, one `KIND` each."""
    found = []
    for package in packages:
        paths = importlib.import_module(package).__path__
        for module in pkgutil.iter_modules(paths):
            found.append(importlib.import_module(f"{package}.{module.name}").KIND)
    return Registry(found)


@functools.cache
def registry() -> Registry:
    """The kinds declared in this package's modules, found once."""
    return discover(__name__)


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
    reader: Words | None = None,
) -> dict[str, Any]:
    """The post's object as its kind renders it (posts/render.py's post_object)."""
    return render.post_object(
        hub_uri, post, registry().get(post.kind), series=series, loaded=loaded,
        by_group=by_group, language=language, reactions=reactions, reader=reader,
    )  # fmt: skip
