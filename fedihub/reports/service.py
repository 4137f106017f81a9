"""Filing reports (received Flags and our own form's) with the moderators who answer for what
they are about, within limits per server and per reporter."""

from __future__ import annotations

from fedihub.db import Transaction
from fedihub.errors import BadRequest, FedihubError, TooManyRequests
from fedihub.reports import store, subjects
from fedihub.reports.flags import MAX_COMMENT_CHARS, Flag
from fedihub.reports.store import Filing, Report
from fedihub.services import Services

# Reports one account may make on our form in an hour (and one address, signed out: see
# web/report.py): enough for someone who meets several bad posts, not for a flood.
WEB_REPORTS_PER_HOUR = 5
HOUR_S = 3600.0
MAX_CONTACT_CHARS = 200


async def flag_scopes(svc: Services, flag: Flag) -> dict[int | None, list[str]]:
    """Which of a Flag's objects each scope (a hub, or None: the admins) is to answer for; what
    is not ours and shows in none of our hubs is left out (another server answers for it)."""
    concerns: dict[int | None, list[str]] = {}
    for uri in flag.objects:
        for scope in await subjects.scopes(svc, (uri,), flag=True):
            concerns.setdefault(scope, []).append(uri)
    return concerns


async def file(
    tx: Transaction, svc: Services, filing: Filing, concerns: dict[int | None, list[str]]
) -> list[Report]:
    """Files the report in each scope, in the caller's transaction; the reports filed (none
    when it was filed before, or its server or reporter has too many open here)."""
    now = svc.clock.now()
    filed: list[Report] = []
    for hub_id, uris in concerns.items():
        report_id = await store.save(tx, hub_id, filing.activity_uri, filing.reporter_uri, uris,
                                     filing.comment, now, filing=filing)  # fmt: skip
        if report_id is not None and (report := await store.report(tx, report_id)) is not None:
            filed.append(report)
    return filed


def read_comment(text: str) -> str:
    """What a person wrote about what is wrong: plain text (kept as typed, shown escaped)."""
    comment = text.replace("\r\n", "\n").strip()
    if not comment:
        raise BadRequest("say what is wrong: the moderators read it")
    if len(comment) > MAX_COMMENT_CHARS:
        raise BadRequest("a report may be at most %(max)s characters", max=MAX_COMMENT_CHARS)
    return comment


def read_contact(text: str) -> str:
    contact = text.strip()
    if len(contact) > MAX_CONTACT_CHARS or "\n" in contact:
        raise BadRequest("a contact address may be at most %(max)s characters on one line",
                         max=MAX_CONTACT_CHARS)  # fmt: skip
    return contact


async def check_account_limit(svc: Services, account_id: int) -> None:
    """TooManyRequests once an account has made WEB_REPORTS_PER_HOUR reports in the hour."""
    since = svc.clock.now() - HOUR_S
    if await store.made_by_account_since(svc.db, account_id, since) >= WEB_REPORTS_PER_HOUR:
        raise TooManyRequests(
            "you have sent %(count)s reports in the last hour: please wait before sending more",
            count=WEB_REPORTS_PER_HOUR,
        )


async def subjects_of(svc: Services, reports: list[Report]) -> dict[str, subjects.Subject]:
    """What each object the reports name is (its words and kind, for the moderators' page and
    their "take action" links). An object we no longer have is left out (shown as its link)."""
    found: dict[str, subjects.Subject] = {}
    for uri in dict.fromkeys(o for r in reports for o in r.objects):
        try:
            found[uri] = await subjects.find(svc, uri)
        except FedihubError:
            continue
    return found


async def what_it_is_about(svc: Services, reports: list[Report]) -> dict[str, str]:
    """Each object's words: a post's title (or the start of its text), an actor's name."""
    return {uri: s.label for uri, s in (await subjects_of(svc, reports)).items()}
