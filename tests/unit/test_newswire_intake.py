"""Reading a fediverse post as a newswire submission (intake.read_post) and a followed
newswire's filter (sharing.passes): pure, on posts shaped as Mastodon and fedihub send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fedihub.errors import BadRequest
from fedihub.newswire.intake import first_link, is_reply, language_of, mentions, read_post
from fedihub.newswire.model import Submission
from fedihub.newswire.sharing.service import passes, read_languages
from fedihub.newswire.sharing.store import Share

NEWSWIRE = "https://ours.example/newswire"
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"


def mastodon_post(**changes: Any) -> dict[str, Any]:
    """Mastodon's Create-of-Note mentioning a group, turned to mention our newswire."""
    fixture = FIXTURES / "mastodon-create-note-mentioning-group.json"
    if fixture.exists():
        obj: dict[str, Any] = json.loads(fixture.read_text())["object"]
    else:  # the fixture's shape, for a checkout without shared/
        obj = {"id": "https://mastodon.example/users/alice/statuses/112233445566",
               "type": "Note", "attributedTo": "https://mastodon.example/users/alice",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [],
               "inReplyTo": None, "summary": None}  # fmt: skip
    obj["content"] = (
        '<p><span class="h-card" translate="no"><a href="https://ours.example/newswire" '
        'class="u-url mention">@<span>newswire</span></a></span> The Tampa group has 50 '
        "sleeping bags for Vancouver. Bring them Friday. "
        '<a href="https://news.example/bags?a=1&amp;b=2" rel="nofollow noopener">'
        "news.example/bags</a> "
        '<a href="https://mastodon.example/tags/mutualaid" class="mention hashtag" rel="tag">'
        "#<span>mutualaid</span></a></p>"
    )
    obj["contentMap"] = {"es": obj["content"]}
    obj["tag"] = [
        {"type": "Mention", "href": NEWSWIRE, "name": "@newswire@ours.example"},
        {"type": "Hashtag", "href": "https://mastodon.example/tags/mutualaid",
         "name": "#MutualAid"},
    ]  # fmt: skip
    obj.update(changes)
    return obj


def test_a_mastodon_mention_reads_as_a_submission() -> None:
    obj = mastodon_post()
    assert mentions(obj, NEWSWIRE) and not is_reply(obj)
    s = read_post(obj, origin="fediverse", submitter_uri=obj["attributedTo"],
                  own=("https://ours.example/",))  # fmt: skip
    assert s.headline == "The Tampa group has 50 sleeping bags for Vancouver."
    assert "@newswire" not in s.summary and s.summary.startswith("The Tampa group")
    assert s.link == "https://news.example/bags?a=1&b=2"
    assert s.tags == ("mutualaid",) and s.language == "es"
    assert s.object_uri == obj["id"] and s.source_host == "mastodon.example"


def test_a_name_or_content_warning_is_the_headline() -> None:
    named = read_post(mastodon_post(name="Sleeping bags"), origin="fediverse", submitter_uri="")
    assert named.headline == "Sleeping bags"
    warned = read_post(mastodon_post(summary="<p>Bags @newswire</p>"), origin="fediverse",
                       submitter_uri="")  # fmt: skip
    assert warned.headline == "Bags"


def test_a_mention_in_the_addressing_counts_and_others_do_not() -> None:
    obj = mastodon_post(tag=[], to=[NEWSWIRE])
    assert mentions(obj, NEWSWIRE)
    assert not mentions(mastodon_post(tag=[]), NEWSWIRE)
    assert not mentions(mastodon_post(tag=[{"type": "Mention", "href": NEWSWIRE + "x"}]),
                        NEWSWIRE)  # fmt: skip


def test_html_and_scripts_become_plain_text() -> None:
    obj = mastodon_post(
        content="<p>Hi <script>alert(1)</script><b>bold</b> <img src=x "
        "onerror=alert(2)> &lt;i&gt;</p>",
        name="<em>Head</em> <script>x</script>",
    )
    s = read_post(obj, origin="fediverse", submitter_uri="")
    assert s.headline == "Head" and s.summary == "Hi bold <i>"
    assert "script" not in s.summary and "alert" not in s.summary


def test_the_link_skips_mentions_hashtags_its_own_site_and_non_web_schemes() -> None:
    content = ('<a href="https://ours.example/hubs/x" class="u-url mention">@x</a> '
               '<a href="javascript:alert(1)">j</a> <a href="https://ours.example/newswire/items/3">'
               'ours</a> <a href="https://news.example/a">a</a>')  # fmt: skip
    assert first_link({"content": content}, ("https://ours.example/",)) == "https://news.example/a"
    page = {"content": "<p>no link</p>",
            "attachment": [{"type": "Link", "href": "ftp://x"},
                           {"type": "Page", "url": "https://news.example/p"}]}  # fmt: skip
    assert first_link(page) == "https://news.example/p"


def test_language_place_and_long_text() -> None:
    assert language_of({"contentMap": {"not a tag!": "", "pt-BR": ""}}) == "pt-BR"
    assert language_of({}, "fr") == "fr"
    obj = mastodon_post(content="<p>" + "word " * 800 + "</p>",
                        location={"type": "Place", "name": "Leeds <b>centre</b>"})  # fmt: skip
    s = read_post(obj, origin="fediverse", submitter_uri="")
    assert len(s.headline) <= 200 and len(s.summary) <= 2000 and s.place == "Leeds centre"


def test_a_post_with_no_text_is_refused() -> None:
    with pytest.raises(BadRequest):
        read_post(mastodon_post(content='<p><a href="x" class="mention">@newswire</a></p>'),
                  origin="fediverse", submitter_uri="")  # fmt: skip


def share(tags: tuple[str, ...] = (), languages: tuple[str, ...] = ()) -> Share:
    return Share("https://them.example/newswire", tags, languages, "root", 0.0, "accepted")


def test_a_followed_newswires_filter() -> None:
    item = Submission(origin="shared", headline="h", language="es-MX", tags=("housing",))
    assert passes(share(), item)
    assert passes(share(tags=("housing", "climate")), item)
    assert not passes(share(tags=("climate",)), item)
    assert passes(share(languages=("es",)), item)
    assert not passes(share(languages=("en",)), item)
    assert read_languages("es, en pt-BR") == ("es", "en", "pt-BR")
    with pytest.raises(BadRequest):
        read_languages("not a language!")
