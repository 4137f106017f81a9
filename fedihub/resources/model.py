"""What a need or an offer is to the matcher, and a match between one of each. Pure.

The ValueFlows vocabulary calls either an `Intent` (someone means to receive, or to provide, a
resource); we keep its words on the wire (fedihub/resources/render.py) and our plain ones here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

from fedihub.activitystreams import host_of, site_of

Side = Literal["need", "offer"]
IntentState = Literal["open", "closed"]
MatchState = Literal["proposed", "accepted", "declined", "partly_fulfilled", "fulfilled"]
FoundBy = Literal["here", "told"]  # our matcher, or the other side's hub told us
SIDES: tuple[Side, ...] = get_args(Side)
MATCH_STATES: tuple[MatchState, ...] = get_args(MatchState)
# A match still to be settled: listed on the dashboard until fulfilled or declined.
LIVE_MATCH_STATES: tuple[MatchState, ...] = ("proposed", "accepted", "partly_fulfilled")

# The shared list every instance starts from; `resource_categories` in the config adds its own.
# Kept short and concrete, so that two movements that never spoke pick the same word.
CATEGORIES: tuple[str, ...] = (
    "food", "water", "shelter", "bedding", "clothing", "hygiene", "medical", "transport",
    "tools", "equipment", "space", "skills", "money", "other",
)  # fmt: skip
MAX_QUANTITY = 1_000_000
MAX_UNIT = 60  # characters
# A need's or an offer's date: from this year, and at most this many years ahead.
FIRST_YEAR = 2000
MAX_YEARS_AHEAD = 5
MAX_WORDS = 40

# Words that say nothing about what is needed, in the languages hubs write in (English and
# Spanish); left out of `words`, so two posts do not match on "para" or "with".
STOP_WORDS = frozenset((
    "and", "are", "for", "from", "has", "have", "our", "the", "their", "with", "need", "needed",
    "offer", "offered", "some", "any", "please", "can", "who", "will", "this", "that", "all",
    "para", "por", "con", "los", "las", "del", "una", "uno", "unos", "unas", "que", "nuestro",
    "nuestra", "necesitamos", "necesita", "ofrecemos", "ofrece", "hay", "muy", "mas", "sus",
))  # fmt: skip
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def singular(word: str) -> str:
    """A plural's singular, roughly, in English and Spanish: batteries → battery, boxes → box,
    mantas → manta; "glass" and "bus" stay as they are."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def other_side(side: Side) -> Side:
    return "offer" if side == "need" else "need"


def site_of_uri(uri: str) -> str:
    """What the index keeps as an intent's host (`Intent.host`) and the daily cap counts by:
    its site (a.evil.example and b.evil.example are one; ports and case as host_of makes
    them), so one server cannot split its matches across names."""
    return site_of(host_of(uri))


def words_of(*texts: str) -> tuple[str, ...]:
    """The words that say what it is: lower-case, without accents, plural `s` dropped, no stop
    words; at most MAX_WORDS, in order of first use."""
    seen: dict[str, None] = {}
    for text in texts:
        plain = unicodedata.normalize("NFKD", text.lower())
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        for word in WORD.findall(plain):
            if word not in STOP_WORDS:
                seen.setdefault(singular(word), None)
    return tuple(seen)[:MAX_WORDS]


@dataclass(frozen=True)
class Intent:
    """A need or an offer, ours or a followed hub's, as the matcher and the lists read it."""

    uri: str  # the post's object id
    hub_uri: str  # the hub that posted it
    host: str  # that hub's host, lower-case
    side: Side
    title: str
    category: str
    words: tuple[str, ...]
    quantity: int | None  # None: as many as there are
    remaining: int | None  # what is still needed or still on offer
    unit: str
    place: str  # name and town, as shown; "" when none was given
    latitude: float | None
    longitude: float | None
    until_at: float | None  # needed by / available until (the end of that day), UTC
    state: IntentState
    local_post_id: int | None  # ours: the post's id
    published_at: float
    updated_at: float
    until_day: str | None = None  # the day `until_at` ends, as the hub wrote it (YYYY-MM-DD)

    def is_open(self, now: float) -> bool:
        return self.state == "open" and (self.until_at is None or self.until_at >= now) and (
            self.remaining is None or self.remaining > 0
        )


@dataclass(frozen=True)
class Match:
    id: int
    hub_id: int  # our hub that sees it
    need_uri: str
    offer_uri: str
    score: float
    state: MatchState
    fulfilled_quantity: int
    found_by: FoundBy
    created_at: float
    updated_at: float
    # What the other hub says it delivered to our need (a notice); our organisers confirm it.
    reported_quantity: int = 0
    reported_whole: bool = False  # they say it was all delivered, with no quantity to say

    @property
    def report_pending(self) -> bool:
        """The other hub said more was delivered than our organisers have confirmed."""
        return self.state not in ("declined", "fulfilled") and (
            self.reported_quantity > self.fulfilled_quantity or self.reported_whole
        )
