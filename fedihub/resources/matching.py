"""How well a need and an offer fit: a number in (0, 1], or None when they do not. Pure.

The score is a sum of weighted parts, each in [0, 1], so a perfect fit is exactly 1:

    CATEGORY  0.30  the same category (or "other" with a shared word): every match has this
    WORDS     0.40  × the share of their words in common (|A ∩ B| / |A ∪ B|, Jaccard)
    QUANTITY  0.15  × how much of what is still needed the offer covers (1: all of it, or
                    either side says "as many as there are")
    DISTANCE  0.10  × (1 − km / radius) when both have coordinates; the whole 0.10 when either
                    has none (no coordinates is no penalty: many say only a town)
    PLACE     0.05  when both name the same place (compared without case and accents)

A pair with no shared word still matches in the same specific category (a need for "bedding"
and an offer of "sleeping bags" are worth showing), with 0.30 to 0.60; "other" says too little
for that, so there a shared word is required. Long distances are the point (Tampa's sleeping
bags reach Vancouver): only beyond `radius_km` (the `match_radius_km` setting) is there no match.
"""

from __future__ import annotations

import math
import unicodedata

from fedihub.resources.model import Intent

CATEGORY_WEIGHT = 0.30
WORDS_WEIGHT = 0.40
QUANTITY_WEIGHT = 0.15
DISTANCE_WEIGHT = 0.10
PLACE_WEIGHT = 0.05
OTHER = "other"
EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _plain_place(place: str) -> str:
    plain = unicodedata.normalize("NFKD", place.casefold())
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())


def covered(need: Intent, offer: Intent) -> float:
    """How much of what is still needed the offer covers, in (0, 1]; 0 if it has nothing left."""
    if need.remaining is None or offer.remaining is None:
        return 1.0
    if offer.remaining <= 0 or need.remaining <= 0:
        return 0.0
    return min(1.0, offer.remaining / need.remaining)


def score(a: Intent, b: Intent, now: float, radius_km: float) -> float | None:
    """The score of a need and an offer in either order (score(a, b) == score(b, a)); None
    when they are no match: the same side, either closed or past its date (an offer available
    until before today is gone), categories apart, nothing left, or farther than `radius_km`."""
    if a.side == b.side or not a.is_open(now) or not b.is_open(now):
        return None
    need, offer = (a, b) if a.side == "need" else (b, a)
    shared = set(need.words) & set(offer.words)
    same = need.category == offer.category != OTHER
    if not same and (OTHER not in (need.category, offer.category) or not shared):
        return None
    cover = covered(need, offer)
    if cover <= 0:
        return None
    nearness = 1.0
    if None not in (need.latitude, need.longitude, offer.latitude, offer.longitude):
        assert need.latitude is not None and need.longitude is not None
        assert offer.latitude is not None and offer.longitude is not None
        km = haversine_km(need.latitude, need.longitude, offer.latitude, offer.longitude)
        if km > radius_km:
            return None
        nearness = 1.0 - km / radius_km if radius_km > 0 else 1.0
    union = set(need.words) | set(offer.words)
    overlap = len(shared) / len(union) if union else 0.0
    same_place = bool(need.place.strip()) and _plain_place(need.place) == _plain_place(offer.place)
    total = (
        CATEGORY_WEIGHT
        + WORDS_WEIGHT * overlap
        + QUANTITY_WEIGHT * cover
        + DISTANCE_WEIGHT * nearness
        + (PLACE_WEIGHT if same_place else 0.0)
    )
    return min(1.0, round(total, 6))
