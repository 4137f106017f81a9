"""The local actor record and where each of its documents lives. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

# A service: the instance's newswire, followed like a hub but with no members or dashboard.
ActorKind = Literal["application", "group", "person", "service"]

USERNAME_RE = re.compile(r"^[a-z0-9_]{1,30}$")
PATH_PREFIX: dict[str, str] = {"group": "hubs", "person": "users"}
INSTANCE_ACTOR_PATH = "/actor"
# The one service actor: each instance's newswire, @newswire@DOMAIN, at /newswire.
NEWSWIRE_USERNAME = "newswire"
# Who may join a hub: anyone (as on Lemmy and Guppe), whom a moderator approves, or invitees.
JoinPolicy = Literal["open", "approval", "invite"]
JOIN_POLICIES: tuple[JoinPolicy, ...] = get_args(JoinPolicy)
# What a hub re-shares of those it follows: nothing, everything, or posts with its hashtags.
ResharePolicy = Literal["none", "all", "tags"]
RESHARE_POLICIES: tuple[ResharePolicy, ...] = get_args(ResharePolicy)


@dataclass(frozen=True)
class LocalActor:
    id: int
    kind: ActorKind
    username: str
    name: str
    summary: str
    manually_approves_followers: bool
    public_key_pem: str
    created_at: float
    timezone: str = "UTC"  # hubs: the zone their events and calls are shown in
    join_policy: JoinPolicy = "open"  # hubs
    posting_restricted_to_mods: bool = False
    reshare_policy: ResharePolicy = "none"  # hubs
    reshare_tags: tuple[str, ...] = ()  # lower-case, without '#'
    languages: tuple[str, ...] = ("en",)  # hubs: what they write in, the first by default
    icon: str | None = None  # media names of the avatar and the header image
    header: str | None = None

    @property
    def language(self) -> str:
        """A post's language when it names none: keys its contentMap."""
        return self.languages[0]

    def path(self) -> str:
        if self.kind == "application":
            return INSTANCE_ACTOR_PATH
        if self.kind == "service":
            return f"/{self.username}"
        return f"/{PATH_PREFIX[self.kind]}/{self.username}"

    def uri(self, base_url: str) -> str:
        return base_url + self.path()

    def key_id(self, base_url: str) -> str:
        return self.uri(base_url) + "#main-key"


def valid_username(username: str) -> bool:
    return bool(USERNAME_RE.match(username))
