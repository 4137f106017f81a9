"""The newsletter's pure parts: when an issue is due, the settings checked with clear errors,
the digest grouped and escaped, the mail's headers, and what an SMTP answer means."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest

from fedihub.config import Config, load_config, write_config
from fedihub.errors import BadRequest, ConfigError
from fedihub.mail import message
from fedihub.mail.smtp import classify
from fedihub.mail.store import MAX_ATTEMPTS, MailJob
from fedihub.mail.worker import next_state, redact
from fedihub.newswire.model import Item
from fedihub.newswire.newsletter import build, schedule
from fedihub.words import ENGLISH


def config(tmp_path: Path, **values: str) -> Config:
    base = Config(data_dir=tmp_path, domain="hubs.example")
    return replace(base, **values)


def at(zone: str, *parts: int) -> float:
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone)).timestamp()  # type: ignore[misc]


def test_the_issue_is_due_at_the_configured_day_and_time_in_its_zone(tmp_path: Path) -> None:
    c = config(tmp_path, newsletter_day="friday", newsletter_time="17:30",
               newsletter_timezone="America/New_York")  # fmt: skip
    friday = at("America/New_York", 2026, 12, 11, 17, 30)
    assert schedule.latest_due(c, friday) == schedule.Week("2026-W50", friday)
    # A minute before, last Friday's is the latest.
    week = schedule.latest_due(c, friday - 60)
    assert week.key == "2026-W49" and week.moment == friday - 7 * 86_400
    # Sunday morning in New York, already Monday in UTC: still this Friday's week.
    assert schedule.latest_due(c, at("America/New_York", 2026, 12, 13, 22, 0)).key == "2026-W50"
    # Across the change to summer time the local hour holds.
    march = schedule.latest_due(c, at("America/New_York", 2027, 3, 19, 18, 0))
    local = dt.datetime.fromtimestamp(march.moment, ZoneInfo("America/New_York"))
    assert (local.hour, local.minute, local.weekday()) == (17, 30, 4)


@pytest.mark.parametrize(
    "line, error",
    [
        ('newsletter_day = "someday"', "newsletter_day 'someday': expected one of monday"),
        ('newsletter_time = "25:00"', "newsletter_time '25:00': expected a time such as 09:00"),
        ('newsletter_time = "9am"', "newsletter_time '9am'"),
        ('newsletter_timezone = "Mars/Olympus"', "newsletter_timezone 'Mars/Olympus': not a"),
        ('newsletter_timezone = "../../etc/passwd"', "not a time zone"),
        ('smtp_security = "ssl"', "smtp_security 'ssl': expected one of starttls, tls, none"),
        ('smtp_host = "mail.example"', "mail_from '': smtp_host is set"),
    ],
)
def test_bad_newsletter_settings_are_refused_with_the_setting_named(
    tmp_path: Path, line: str, error: str
) -> None:
    write_config(tmp_path, "hubs.example", False)
    with (tmp_path / "config.toml").open("a") as f:
        f.write(line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert error in str(caught.value)


def item(n: int, headline: str, tags: tuple[str, ...] = (), place: str = "", **kw: str) -> Item:
    return Item(id=n, object_uri=f"https://hubs.example/newswire/items/{n}", origin="web",
                state="published", headline=headline, summary=kw.get("summary", ""),
                link=kw.get("link", ""), hub_name="", hub_uri="", place=place, language="en",
                tags=tags, submitter_uri="", source_host="web", via_uri="", activity_uri=None,
                submitted_at=0.0, published_at=0.0, decided_at=None, decided_by="",
                reason="")  # fmt: skip


def test_the_digest_groups_by_tag_and_place_and_escapes_everything() -> None:
    items = [
        item(1, "Rent strike", ("housing",), "Leeds"),
        item(2, "Eviction stopped", ("housing", "rent"), "Leeds"),
        item(
            3,
            "Port <b>shutdown</b>",
            ("labour",),
            "Oakland",
            summary="<script>x</script>",
            link='https://news.example/"><script>',
        ),
        item(4, "Untagged"),
    ]
    happening = build.Happening("Teach-in <i>", "https://hubs.example/hubs/a/posts/1",
                                "Friday, 18:00", "Union hall", "Climate <hub>")  # fmt: skip
    d = build.digest(items, [happening], title="Weekly", base_url="https://hubs.example",
                     words=ENGLISH)  # fmt: skip
    assert [t for t, _ in build.by_tag(items)] == ["housing", "labour", ""]
    assert d.html.index("#housing") < d.html.index("#labour") < d.html.index("Other news")
    assert "<b>" not in d.html and "<script>" not in d.html and "<i>" not in d.html
    assert "Port &lt;b&gt;shutdown&lt;/b&gt;" in d.html and "Climate &lt;hub&gt;" in d.html
    assert 'href="https://news.example/&quot;&gt;&lt;script&gt;"' in d.html
    assert "<li><strong>Leeds</strong>: Rent strike, Eviction stopped</li>" in d.html
    assert "Port <b>shutdown</b>" in d.text and "* Leeds: Rent strike, Eviction stopped" in d.text
    assert "https://hubs.example/newswire/items/1" in d.text  # no link: its page here
    empty = build.digest([], [], title="Weekly", base_url="https://hubs.example", words=ENGLISH)
    assert "No news was published this week." in empty.text
    assert "No calls or events in the coming week." in empty.html


def test_a_mail_has_both_parts_a_message_id_and_one_click_headers() -> None:
    mail = message.Mail("ana@example.org", "Weekly", "plain text", "<p>html</p>",
                        unsubscribe_url="https://hubs.example/newswire/unsubscribe/abc",
                        list_id="Hubs <newsletter.hubs.example>")  # fmt: skip
    built = message.build(mail, sender="news@hubs.example", sender_name="Hubs",
                          domain="hubs.example:8443", now=1.8e9)  # fmt: skip
    assert built["List-Unsubscribe"] == "<https://hubs.example/newswire/unsubscribe/abc>"
    assert built["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert built["Message-ID"].endswith("@hubs.example>")
    assert built.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in built.iter_parts()] == ["text/plain", "text/html"]
    other = message.build(mail, sender="news@hubs.example", sender_name="Hubs",
                          domain="hubs.example", now=1.8e9)  # fmt: skip
    assert other["Message-ID"] != built["Message-ID"]


@pytest.mark.parametrize("field", ["to", "subject", "unsubscribe_url"])
def test_a_line_break_in_a_header_is_refused(field: str) -> None:
    mail = replace(message.Mail("ana@example.org", "Weekly", "text"),
                   **{field: "x@example.org\r\nBcc: all@example.org"})  # fmt: skip
    with pytest.raises(BadRequest):
        message.build(mail, sender="n@hubs.example", sender_name="Hubs", domain="hubs.example",
                      now=0)  # fmt: skip


def refused(code: int, said: str = "no") -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(code, said, "ana@example.org")]
    )


@pytest.mark.parametrize(
    "error, result",
    [
        (refused(550), "bounced"),
        (refused(451), "retry"),
        # At DATA, or a relay's policy (5.7.x): about the sender or the message, and it would
        # hit every address alike, so no subscriber is marked for it.
        (aiosmtplib.SMTPDataError(554, "5.7.1 content rejected"), "retry"),
        (refused(550, "5.7.1 Relaying denied"), "retry"),
        (refused(550, "5.1.1 No such user"), "bounced"),
        (refused(552, "5.2.2 Mailbox full"), "bounced"),
        (aiosmtplib.SMTPDataError(452, "try later"), "retry"),
        (aiosmtplib.SMTPConnectError("refused"), "retry"),
        (aiosmtplib.SMTPServerDisconnected("gone"), "retry"),
        (aiosmtplib.SMTPSenderRefused(550, "not you", "n@hubs.example"), "retry"),
        (ConnectionRefusedError(), "retry"),
    ],
)
def test_what_an_smtp_answer_means(error: BaseException, result: str) -> None:
    assert classify(error).result == result


def test_a_temporary_failure_is_retried_with_backoff_then_given_up() -> None:
    retry = classify(refused(451))
    waits = []
    for attempts in range(MAX_ATTEMPTS - 1):
        job = MailJob(1, "issue", 1, 1, "a@example.org", "t", attempts)
        state, when = next_state(job, retry, 1000.0, 0.0)
        assert state == "pending" and when is not None
        waits.append(when - 1000.0)
    assert waits == sorted(waits) and waits[0] == 60.0
    last = MailJob(1, "issue", 1, 1, "a@example.org", "t", MAX_ATTEMPTS - 1)
    assert next_state(last, retry, 1000.0, 0.0) == ("gave_up", None)
    assert next_state(last, classify(refused(550)), 1000.0, 0.0) == ("gave_up", None)


def test_the_logs_and_the_queue_keep_what_went_wrong_not_whom_it_was_for() -> None:
    said = "550 5.1.1 <Ana@Example.org>: Recipient address rejected"
    assert redact(said, "ana@example.org") == "550 5.1.1 <<address>>: Recipient address rejected"
