"""Reading a received Flag: what it names and why, as text, within limits."""

from __future__ import annotations

import pytest

from fedihub.errors import BadRequest
from fedihub.reports.flags import MAX_COMMENT_CHARS, MAX_OBJECTS, read_flag
from tests.support.fixtures import load


def test_mastodons_report_names_the_hub_and_the_post_with_a_comment() -> None:
    doc = load("mastodon-flag-from-instance-actor")
    flag = read_flag(doc["id"], doc["actor"], doc)
    assert flag.objects == (
        "https://fedihub.example/hubs/climate", "https://fedihub.example/hubs/climate/posts/42"
    )  # fmt: skip
    assert flag.comment == "Spam posted into the hub." and flag.reporter_uri == doc["actor"]


def test_a_comment_in_html_is_kept_as_text_and_cut_to_size() -> None:
    doc = {"object": "https://h.example/hubs/a", "content": "<p>Bad <script>x()</script>post</p>"}
    assert read_flag("https://m.example/1", "https://m.example/actor", doc).comment == "Bad post"
    long = {**doc, "content": "x" * (MAX_COMMENT_CHARS + 10)}
    assert len(read_flag("https://m.example/1", "https://m.example/a", long).comment) == (
        MAX_COMMENT_CHARS
    )
    no_text = {**doc, "content": {"en": "not a string"}}
    assert read_flag("https://m.example/1", "https://m.example/a", no_text).comment == ""


@pytest.mark.parametrize(
    ("named", "why"),
    [(None, "must name"), ([], "must name"), ([{"no": "id"}, 5], "must name"),
     ([f"https://h.example/hubs/a/posts/{n}" for n in range(MAX_OBJECTS + 1)], "at most 50")],
)  # fmt: skip
def test_a_report_that_names_nothing_or_too_much_is_refused(named: object, why: str) -> None:
    with pytest.raises(BadRequest) as refused:
        read_flag("https://m.example/1", "https://m.example/a", {"object": named})
    assert why in refused.value.message
