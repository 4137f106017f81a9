"""A newswire submission's fields as the form and the CLI give them: plain text kept as typed
(never markup), links http(s) only, tags as words, control characters dropped, limits named."""

from __future__ import annotations

import pytest

from fedihub.activitystreams import site_of
from fedihub.errors import BadRequest
from fedihub.newswire import fields
from fedihub.newswire.fields import read_form


def test_text_is_kept_as_typed_and_tags_become_words() -> None:
    got = read_form({"headline": "  <b>Rent</b>\n  strike ", "summary": "a\r\n\n<script>",
                     "tags": "#Housing, rent;#housing", "language": "pt-BR",
                     "link": "HTTPS://News.example/x", "contact": "me@example.org"})  # fmt: skip
    assert got.headline == "<b>Rent</b> strike"  # one line; escaped wherever it is shown
    assert got.summary == "a\n\n<script>"  # a browser's line ends as \n
    assert got.tags == ("housing", "rent") and got.language == "pt-BR"
    assert got.link == "HTTPS://News.example/x" and got.contact_email == "me@example.org"


def test_control_characters_are_dropped() -> None:
    assert read_form({"headline": "a\x07b\x1bc\x7f"}).headline == "abc"


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"headline": " \t "}, "headline: required"),
        ({"headline": "x", "link": "javascript:alert(1)"}, "link: expected an http(s) link"),
        ({"headline": "x", "link": "JaVaScRiPt:alert(1)"}, "link: expected an http(s) link"),
        ({"headline": "x", "link": "data:text/html;base64,PHNjcmlwdD4="}, "link: expected"),
        ({"headline": "x", "link": "https:///nohost"}, "link: expected"),
        ({"headline": "x", "link": "https://[::1"}, "link: expected"),
        ({"headline": "x" * 201}, "headline: at most 200"),
        ({"headline": "x", "summary": "x" * 2001}, "summary: at most 2000"),
        ({"headline": "x", "tags": "a<b"}, "tags: "),
        ({"headline": "x", "tags": "_x"}, "tags: "),
        ({"headline": "x", "contact": "a@b"}, "contact: "),
        ({"headline": "x", "contact": "<a@b.example>"}, "contact: "),
        ({"headline": "x", "language": "en;DROP"}, "language: "),
    ],
)
def test_bad_fields_are_named(values: dict[str, str], said: str) -> None:
    with pytest.raises(BadRequest) as e:
        read_form(values)
    assert e.value.message.startswith(said)


def test_the_limits_are_the_forms() -> None:
    assert read_form({"headline": "x" * fields.MAX_HEADLINE}).headline == "x" * 200


def test_the_per_host_limit_counts_a_site_not_each_subdomain() -> None:
    assert site_of("a.evil.example") == site_of("b.c.evil.example") == "evil.example"
    assert site_of("mastodon.social") == "mastodon.social"
    assert site_of("social.example:8443") == "social.example:8443"
    assert site_of("x.social.example:8443") == "social.example:8443"
    assert site_of("127.0.0.1:4000") == "127.0.0.1:4000"  # an address stays whole
    assert site_of("[::1]:4000") == "[::1]:4000"


def test_a_site_under_a_countrys_second_level_is_its_own() -> None:
    assert site_of("evil.co.uk") == site_of("x.evil.co.uk") == "evil.co.uk"
    assert site_of("hubs.good.co.uk") == "good.co.uk" != site_of("evil.co.uk")
    assert site_of("a.b.com.au") == "b.com.au"
    assert site_of("x.github.io") == "github.io"  # a shared suffix: stricter, not looser
