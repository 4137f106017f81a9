"""Reports as moderators meet them: filed (a received Flag, or a report from our form) with the
hubs and admins who answer for what they name, a hub's moderators on other servers told by a
direct message; sent on to the server a report is about, as a Flag from our instance actor (with
the reporter's consent, or later by an admin); resolved with a note. Sending on and resolving
are actions, in the public log."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from fedihub.accounts.store import Account
from fedihub.activitystreams import host_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.db import Transaction
from fedihub.errors import BadRequest, Conflict, Forbidden, NotFound
from fedihub.groups import store as groups
from fedihub.moderation.authority import Moderator
from fedihub.moderation.conduct import read_clause
from fedihub.moderation.log import read_reason, record
from fedihub.moderation.notices import tell
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import Target
from fedihub.reports import service as reports
from fedihub.reports import store as report_store
from fedihub.reports.flags import Flag, compose_flag
from fedihub.reports.store import Filing, Report
from fedihub.reports.subjects import Subject, scopes
from fedihub.services import Services
from fedihub.words import words_for

FORWARDED_WITH_CONSENT = "Sent on to its server, as the reporter asked."


async def receive_flag(svc: Services, flag: Flag) -> str:
    """A Flag another server sent: filed with each hub whose posts, members or the posts it
    carried it names, and with the admins; a hub's moderators elsewhere are told."""
    concerns = await reports.flag_scopes(svc, flag)
    if not concerns:
        return "ignored: a report that names nothing of ours"
    async with svc.db.transaction() as tx:
        filed = await reports.file(tx, svc, Filing(flag.activity_uri, flag.reporter_uri,
                                                   flag.comment), concerns)  # fmt: skip
        await _tell_moderators(tx, svc, filed)
    if not filed:
        return "ignored: filed before, or its server has too many reports open here"
    return f"report filed for {len(filed)} hub(s) or admins"


@dataclass(frozen=True)
class WebReport:
    """What someone filled in on the report form (already read: see reports.service)."""

    subject: Subject
    comment: str
    clause: str  # a clause's value from the form ("hub:2"), or empty
    contact: str
    forward: bool  # "also send it to their server"


async def file_web_report(svc: Services, account: Account | None, given: WebReport) -> list[Report]:
    """Files a report made on our form with whoever answers for its subject; with consent, and
    when the subject lives on another server, sends it there at once (without the reporter)."""
    if account is not None:
        await reports.check_account_limit(svc, account.actor.id)
    concerns = await scopes(svc, (given.subject.uri,), flag=False)
    if given.subject.kind == "hub" and None not in concerns:
        concerns.append(None)  # a hub's own organisers may be what is wrong: the admins see it
    if not concerns:
        raise NotFound("We know nothing at that address, so there is nothing here to report.")
    hub_scope = next((s for s in concerns if s is not None), None)
    hub = await actors.get_actor_by_id(svc.db, hub_scope) if hub_scope is not None else None
    clause = await read_clause(svc, hub, given.clause) if given.clause.strip() else ""
    filing = Filing(svc.new_activity_uri(), "", given.comment, "web",
                    account.actor.id if account else None, given.contact, clause,
                    given.forward and given.subject.home is not None)  # fmt: skip
    objects = list(given.subject.objects)
    async with svc.db.transaction() as tx:
        filed = await reports.file(tx, svc, filing, {scope: objects for scope in concerns})
        await _tell_moderators(tx, svc, filed)
        # Sent on where we know where to send it (and do not block it); else the admins see
        # the report was not sent, and may send it later.
        if filing.forward_consent and filed and await _destinations(svc, filed[0].objects):
            by = await _instance_moderator(svc)
            await _forward(tx, svc, by, filed[0], FORWARDED_WITH_CONSENT)
    return filed


async def _instance_moderator(svc: Services) -> Moderator:
    instance = await actors.get_instance_actor(svc.db)
    return Moderator(instance.uri(svc.config.base_url), svc.config.domain, None, True)


async def forward(svc: Services, by: Moderator, report_id: int, reason: str) -> int:
    """An admin sends an open report on to the server it is about; returns how many servers."""
    if by.hub_id is not None or not by.is_admin:
        raise Forbidden("only the instance's admins send reports to other servers")
    why = read_reason(reason)
    report = await report_store.report(svc.db, report_id)
    if report is None or report.resolved_at is not None:
        raise NotFound("no open report %(id)s here", id=report_id)
    async with svc.db.transaction() as tx:
        return await _forward(tx, svc, by, report, why)


async def _forward(
    tx: Transaction, svc: Services, by: Moderator, report: Report, reason: str
) -> int:
    destinations = await _destinations(svc, report.objects)
    if not destinations:
        raise BadRequest("this report names nothing on another server we can send it to")
    now = svc.clock.now()
    if not await report_store.mark_forwarded(tx, report.activity_uri, now):
        raise Conflict("this report was sent to its server already")
    instance = await actors.get_instance_actor(svc.db)
    # The reporter's words go only where they agreed (or came from another server already);
    # otherwise the admin's reason says why.
    comment = report.comment if report.source == "flag" or report.forward_consent else reason
    for host, (target, objects) in destinations.items():
        flag = compose_flag(svc.new_activity_uri(), instance.uri(svc.config.base_url), objects,
                            comment)  # fmt: skip
        await outbox.enqueue(tx, actor_id=instance.id, activity=flag, targets=[target],
                             is_public=False, now=now)  # fmt: skip
        await record(tx, by, "forward_report", target_uri=objects[0], target_label=host,
                     reason=reason, now=now)  # fmt: skip
    return len(destinations)


async def _destinations(
    svc: Services, objects: tuple[str, ...]
) -> dict[str, tuple[Target, list[str]]]:
    """Per server, where its Flag goes (its shared inbox) and what it names, accounts first
    (as Mastodon sends them); servers we block are left out."""
    found: dict[str, tuple[Target, list[str]]] = {}
    base = svc.config.base_url
    for uri in objects:
        if uri.startswith(base + "/"):
            continue
        person = await actors.get_remote_actor(svc.db, uri)
        known = None if person else await report_store.known_object(svc.db, uri)
        if person is None and known is not None:
            person = await actors.get_remote_actor(svc.db, known.author_uri)
        if person is None or await svc.blocked.covers(person.host):
            continue
        inbox = person.delivery_inbox
        named = found.setdefault(person.host, (Target(inbox, host_of(inbox)), []))[1]
        if person.uri not in named:
            named.insert(0, person.uri)
        if uri not in named:
            named.append(uri)
    return found


async def _tell_moderators(tx: Transaction, svc: Services, filed: list[Report]) -> None:
    """A hub's moderators on other servers cannot see its reports page: each gets a direct
    message from the hub saying what was reported and why (never who reported it)."""
    for report in filed:
        if report.hub_id is None:
            continue
        hub = await actors.get_actor_by_id(svc.db, report.hub_id)
        if hub is None:
            continue
        for uri in await groups.moderator_uris(svc.db, hub.id):
            if uri.startswith(svc.config.base_url + "/"):
                continue
            person = await actors.get_remote_actor(svc.db, uri)
            if person is not None:
                await tell(tx, svc, hub, person, await _message(svc, hub, report))


async def _message(svc: Services, hub: LocalActor, report: Report) -> str:
    words = words_for(hub.language)
    about = await reports.what_it_is_about(svc, [report])
    links = ", ".join(f'<a href="{escape(o)}">{escape(about.get(o, o))}</a>'
                      for o in report.objects)  # fmt: skip
    html = "<p>" + escape(words("A report for %(hub)s's moderators about:", hub=hub.name))
    html += f" {links}</p>"
    if report.comment:
        html += "<p>" + escape(words("What is wrong: %(comment)s", comment=report.comment))
        html += "</p>"
    if report.clause:
        html += "<p>" + escape(words("Clause: %(clause)s", clause=report.clause)) + "</p>"
    return html


async def resolve(
    svc: Services, by: Moderator, report_id: int, note: str, clause_value: str = ""
) -> None:
    """Resolves an open report of `by`'s scope with a note and no other action; logged."""
    reason = read_reason(note)
    hub = await actors.get_actor_by_id(svc.db, by.hub_id) if by.hub_id is not None else None
    clause = await read_clause(svc, hub, clause_value) if clause_value.strip() else ""
    report = await report_store.report(svc.db, report_id)
    if report is None or report.hub_id != by.hub_id:
        raise NotFound("no open report %(id)s here", id=report_id)
    about = await reports.what_it_is_about(svc, [report])
    target = report.objects[0] if report.objects else ""
    async with svc.db.transaction() as tx:
        await record(tx, by, "resolve_report", target_uri=target,
                     target_label=about.get(target, ""), clause=clause, reason=reason,
                     report_id=report_id, now=svc.clock.now())  # fmt: skip
