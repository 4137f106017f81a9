"""What a newswire item is, and the words for its states. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from fedihub.config import NEWSWIRE_REVIEWS, NewswireReview

# Where an item came from: the web form, a fediverse account mentioning @newswire, one of our
# hubs ("send to the newswire"), or another instance's newswire that ours follows.
Origin = Literal["web", "fediverse", "hub", "shared"]
ORIGINS: tuple[Origin, ...] = get_args(Origin)
State = Literal["queued", "published", "rejected", "unpublished"]
STATES: tuple[State, ...] = get_args(State)
# The `newswire_review` setting: hold first-time submitters for an editor (the default),
# publish everything at once and moderate afterwards, or hold everything.
Review = NewswireReview
REVIEWS: tuple[Review, ...] = NEWSWIRE_REVIEWS
# What followers are shown: the newswire's own Note (web submissions), or a boost of the
# original post.
OWN_NOTE_ORIGINS: frozenset[Origin] = frozenset({"web"})


@dataclass(frozen=True)
class Submission:
    """An item as submitted, checked (fields.py) but not yet stored."""

    origin: Origin
    headline: str
    summary: str = ""  # plain text
    link: str = ""  # http(s) or ""
    hub_name: str = ""
    hub_uri: str = ""
    place: str = ""
    language: str = "en"
    tags: tuple[str, ...] = ()  # lower-case, without '#'
    submitter_uri: str = ""  # "" for the anonymous web form
    source_host: str = ""  # the sending host, or "web"
    object_uri: str = ""  # the post boosted (all but web submissions); "" for our own Note
    via_uri: str = ""  # shared: the newswire it came from
    contact_email: str = ""  # web form only; personal data, never federated


@dataclass(frozen=True)
class Item:
    id: int
    object_uri: str
    origin: Origin
    state: State
    headline: str
    summary: str
    link: str
    hub_name: str
    hub_uri: str
    place: str
    language: str
    tags: tuple[str, ...]
    submitter_uri: str
    source_host: str
    via_uri: str
    activity_uri: str | None
    submitted_at: float
    published_at: float | None
    decided_at: float | None
    decided_by: str
    reason: str

    @property
    def own_note(self) -> bool:
        """Published as the newswire's own Note (else as a boost of `object_uri`)."""
        return self.origin in OWN_NOTE_ORIGINS


def item_path(item_id: int) -> str:
    return f"/newswire/items/{item_id}"
