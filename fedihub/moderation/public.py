"""How the public log names what an action was taken on, under the instance's policy
(`moderation_log_names`): everyone named; people and posts of this instance described, not
named ("a member of this hub"); or nobody named. Servers and block lists are always named, as
Mastodon's public list of blocked domains names them. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fedihub.activitystreams import host_of
from fedihub.moderation.store import Entry

POST_ACTIONS = frozenset({"remove_post", "approve_post", "reject_post", "reject_news",
                          "unpublish_news"})  # fmt: skip
ALWAYS_NAMED = frozenset({"silence_domain", "block_domain", "unblock_domain", "subscribe_blocklist",
                          "unsubscribe_blocklist", "refresh_blocklist"})  # fmt: skip
# What a target left unnamed is described as; the words are in templates/_modlog.html.
Described = Literal["", "local_person", "local_post", "remote_person", "remote_post"]


@dataclass(frozen=True)
class Target:
    label: str  # the name shown ("" when described instead)
    uri: str  # a link to it, or "" (never for one left unnamed)
    described: Described = ""


def public_target(entry: Entry, policy: str, domain: str) -> Target:
    """What the log shows of `entry`'s target; `domain` is this instance's host[:port]."""
    label = entry.target_label or entry.target_uri
    link = entry.target_uri if "://" in entry.target_uri else ""
    if entry.action == "conduct_change" or entry.action in ALWAYS_NAMED or not entry.target_uri:
        return Target(label, link)
    local = "://" in entry.target_uri and host_of(entry.target_uri) == host_of(f"https://{domain}")
    post = entry.action in POST_ACTIONS
    if policy == "nobody" or (policy == "remote-only" and local):
        if local:
            return Target("", "", "local_post" if post else "local_person")
        return Target("", "", "remote_post" if post else "remote_person")
    return Target(label, link)
