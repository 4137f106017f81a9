"""The matcher's scoring (fedihub/resources/matching.py): which needs and offers fit, and how
well, on examples and as properties over generated pairs."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from fedihub.resources.matching import haversine_km, score
from fedihub.resources.model import CATEGORIES, SIDES, Intent, site_of_uri, words_of

NOW = 1_800_000_000.0
DAY = 86_400.0
RADIUS = 5000.0  # the default match_radius_km
TAMPA = (27.95, -82.46)
VANCOUVER = (49.28, -123.12)
ATLANTA = (33.75, -84.39)
LISBON = (38.72, -9.14)


def intent(side: str = "need", title: str = "warm sleeping bags", **kw: object) -> Intent:
    fields: dict[str, object] = dict(
        uri=f"https://a.example/posts/{side}-{title.replace(' ', '-')}",
        hub_uri="https://a.example/hubs/h", host="a.example", side=side, title=title,
        category="bedding", words=words_of(title), quantity=50, remaining=50, unit="",
        place="", latitude=None, longitude=None, until_at=NOW + 10 * DAY, state="open",
        local_post_id=None, published_at=NOW - DAY, updated_at=NOW - DAY,
    )  # fmt: skip
    fields.update(kw)
    return Intent(**fields)  # type: ignore[arg-type]


def test_same_words_category_quantity_and_place_is_a_full_match() -> None:
    need, offer = intent("need", place="Tampa"), intent("offer", place="Tampa")
    assert score(need, offer, NOW, RADIUS) == 1.0
    assert score(need, replace(offer, place=""), NOW, RADIUS) == 0.95


def test_same_side_closed_and_expired_are_no_match() -> None:
    need = intent("need")
    assert score(need, intent("need", "sleeping bags"), NOW, RADIUS) is None
    assert score(need, intent("offer", state="closed"), NOW, RADIUS) is None
    # An offer available until before now (yesterday's end) is gone.
    assert score(need, intent("offer", until_at=NOW - DAY), NOW, RADIUS) is None
    assert score(intent("need", until_at=NOW - 1), intent("offer"), NOW, RADIUS) is None
    assert score(need, intent("offer", remaining=0), NOW, RADIUS) is None


def test_categories_apart_and_other_needs_a_shared_word() -> None:
    need = intent("need", category="bedding")
    assert score(need, intent("offer", category="food"), NOW, RADIUS) is None
    shared = score(need, intent("offer", "sleeping bags", category="other"), NOW, RADIUS)
    assert shared is not None
    assert score(need, intent("offer", "tarpaulins", category="other"), NOW, RADIUS) is None
    both_other = (intent("need", "tents", category="other"),
                  intent("offer", "tarpaulins", category="other"))  # fmt: skip
    assert score(*both_other, NOW, RADIUS) is None


def test_no_shared_word_in_a_specific_category_matches_lower() -> None:
    need = intent("need", "warm sleeping bags")
    words = score(need, intent("offer", "sleeping bags"), NOW, RADIUS)
    none = score(need, intent("offer", "duvets blankets"), NOW, RADIUS)
    assert words is not None and none is not None
    assert 0 < none < words


def test_partial_offer_matches_lower_than_full() -> None:
    need = intent("need", remaining=50)
    full = score(need, intent("offer", remaining=80), NOW, RADIUS)
    partial = score(need, intent("offer", remaining=10), NOW, RADIUS)
    assert full == 0.95
    assert partial is not None and partial < full
    assert score(need, intent("offer", remaining=None, quantity=None), NOW, RADIUS) == 0.95


def test_distance_tampa_reaches_vancouver_but_not_past_the_radius() -> None:
    km = haversine_km(*TAMPA, *VANCOUVER)
    assert 4_100 < km < 4_250
    need = intent("need", latitude=VANCOUVER[0], longitude=VANCOUVER[1])
    offer = intent("offer", latitude=TAMPA[0], longitude=TAMPA[1])
    far = score(need, offer, NOW, RADIUS)
    assert far is not None and far < 0.95
    assert score(need, offer, NOW, 1_500.0) is None  # a narrower radius a server may set
    atlanta = intent("offer", latitude=ATLANTA[0], longitude=ATLANTA[1])
    near = score(replace(need, latitude=TAMPA[0], longitude=TAMPA[1]), atlanta, NOW, RADIUS)
    assert near is not None and near > far
    lisbon = intent("offer", latitude=LISBON[0], longitude=LISBON[1])
    assert score(need, lisbon, NOW, RADIUS) is None  # 7,600 km
    # Without coordinates on one side there is no distance penalty.
    assert score(need, intent("offer"), NOW, RADIUS) == 0.95


def test_same_place_text_raises_the_score_slightly() -> None:
    need = intent("need", "sleeping bags", remaining=50, place="Tampa, FL")
    elsewhere = score(need, intent("offer", "warm bags", place="Miami"), NOW, RADIUS)
    same = score(need, intent("offer", "warm bags", place="tampa,  fl"), NOW, RADIUS)
    assert elsewhere is not None and same is not None
    assert round(same - elsewhere, 6) == 0.05


# Properties over generated pairs

WORDS = st.lists(st.sampled_from(["sleeping", "bag", "tent", "water", "rice", "blanket",
                                  "stove", "warm"]), max_size=5)  # fmt: skip
COORD = st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180)))
QUANTITY = st.one_of(st.none(), st.integers(0, 1_000_000))


@st.composite
def intents(draw: st.DrawFn) -> Intent:
    coords = draw(COORD)
    remaining = draw(QUANTITY)
    return intent(
        draw(st.sampled_from(SIDES)),
        category=draw(st.sampled_from((*CATEGORIES[:3], "other"))),
        words=tuple(dict.fromkeys(draw(WORDS))),
        remaining=remaining,
        quantity=remaining,
        latitude=coords[0] if coords else None,
        longitude=coords[1] if coords else None,
        place=draw(st.sampled_from(["", "Tampa", "Vancouver"])),
        until_at=draw(st.one_of(st.none(), st.floats(NOW - 5 * DAY, NOW + 5 * DAY))),
        state=draw(st.sampled_from(["open", "closed"])),
    )


@given(intents(), intents(), st.floats(0, 20_000))
def test_score_is_symmetric_and_in_range(a: Intent, b: Intent, radius: float) -> None:
    forth, back = score(a, b, NOW, radius), score(b, a, NOW, radius)
    assert forth == back
    if forth is not None:
        assert 0 < forth <= 1


@given(intents(), intents())
def test_never_for_the_same_side_closed_or_expired(a: Intent, b: Intent) -> None:
    if a.side == b.side or not a.is_open(NOW) or not b.is_open(NOW):
        assert score(a, b, NOW, RADIUS) is None


@given(intents())
def test_never_with_itself(a: Intent) -> None:
    assert score(a, a, NOW, RADIUS) is None


def test_words_are_singular_and_say_something_in_english_and_spanish() -> None:
    assert words_of("Batteries, boxes and glasses") == words_of("a battery, a box, a glass")
    assert words_of("Mantas calientes para los niños") == ("manta", "caliente", "nino")
    # Two posts in "other" match on a shared word that says something, never on "para".
    food, clothes = intent(title="Comida para perros", category="other"), intent(
        "offer", title="Ropa para los niños", category="other")  # fmt: skip
    assert score(food, clothes, NOW, RADIUS) is None


def test_one_site_is_one_host_for_the_daily_cap() -> None:
    assert {site_of_uri(u) for u in (
        "https://evil.example/g", "https://EVIL.example:443/g", "https://evil.example./g",
        "https://x@evil.example/g", "https://a.evil.example/g", "https://b.c.evil.example/g",
    )} == {"evil.example"}  # fmt: skip
    assert site_of_uri("https://mastodon.social/u/a") == "mastodon.social"
