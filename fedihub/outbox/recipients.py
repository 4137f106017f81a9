"""Turn followers into the inboxes a post must reach. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from fedihub.activitystreams import host_of
from fedihub.actors.store import RemoteActor


class Addressee(Protocol):
    """A follower as fan-out sees it (a `RemoteActor`, or the lean `FollowerInbox`)."""

    @property
    def uri(self) -> str: ...

    @property
    def delivery_inbox(self) -> str: ...


@dataclass(frozen=True)
class Target:
    inbox: str
    host: str


def fan_out_targets(
    followers: Iterable[Addressee], skip_hosts: frozenset[str] = frozenset()
) -> list[Target]:
    """One target per shared inbox (or personal inbox where a server has none), in first-seen
    order; hosts in `skip_hosts` (blocked, unavailable) are dropped."""
    seen: set[str] = set()
    targets: list[Target] = []
    for actor in followers:
        inbox = actor.delivery_inbox
        if inbox in seen:  # most followers share an inbox: looked at once
            continue
        seen.add(inbox)
        host = host_of(inbox)
        if host not in skip_hosts:
            targets.append(Target(inbox=inbox, host=host))
    return targets


def personal_target(actor: RemoteActor) -> Target:
    """Follow answers and votes go to the personal inbox, as Mastodon expects."""
    return Target(inbox=actor.inbox, host=host_of(actor.inbox))
