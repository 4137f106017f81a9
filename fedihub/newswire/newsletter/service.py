"""The weekly issue: put together when it is due (the scheduler, under its lease) or at once
(`send-now`), stored once per week, sent as a Create of an Article from @newswire to its
followers, and queued as one mail per confirmed subscriber, all in one transaction; and the
mails themselves, composed as the mail worker sends them."""

from __future__ import annotations

import logging
from dataclasses import replace
from email.message import EmailMessage
from functools import partial
from html import escape

from fedihub.activitystreams import AS_CONTEXT, PUBLIC, JsonObject, iso
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.events import render as event_render
from fedihub.events.fields import scheduled_fields
from fedihub.jobs import JobState
from fedihub.mail import message as mails
from fedihub.mail import store as mail
from fedihub.mail.smtp import Sent
from fedihub.mail.store import MailJob, Purpose
from fedihub.mail.worker import Mailer
from fedihub.newswire import store as items_store
from fedihub.newswire.newsletter import build, schedule, store, subscribers
from fedihub.newswire.newsletter.schedule import Week
from fedihub.newswire.newsletter.store import Issue
from fedihub.newswire.service import newswire_actor
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.posts import render as post_render
from fedihub.posts import store as posts
from fedihub.posts.federate import follower_targets
from fedihub.services import MAIL_CHANNEL, Services
from fedihub.tokens import new_token
from fedihub.words import Words, words_for

log = logging.getLogger(__name__)

MAX_ITEMS = 500
MAX_WEEKS_BACK = 4
MAX_HAPPENINGS = 200
# A subscriber whose copy was given up (the server kept answering 4xx, or was unreachable)
# for this many issues in a row is marked bounced.
GIVEN_UP_ISSUES_TO_BOUNCE = 3


def issue_path(issue_id: int) -> str:
    return f"/newswire/newsletters/{issue_id}"


# How long a web submitter's contact address is kept once an editor no longer needs it.
CONTACTS_KEPT_S = 90 * 86400.0


async def run_due(svc: Services, now: float) -> int:
    """The scheduler's step: forgets subscribers who never confirmed and old submitters'
    addresses, builds again issues holding an item since unpublished, and makes this week's
    issue once its time has come (up to CATCH_UP_S late). Returns 1 if it made one."""
    await subscribers.forget_unconfirmed(svc, now)
    await items_store.forget_contacts(svc.db, now - CONTACTS_KEPT_S)
    week = schedule.latest_due(svc.config, now)
    if now - week.moment > schedule.CATCH_UP_S:
        return 0
    await revise_due(svc, now)
    if await store.issue_of_week(svc.db, week.key) is not None:
        return 0
    return 1 if await make_issue(svc, week, now) is not None else 0


async def revise_due(svc: Services, now: float) -> int:
    """Issues holding an item an editor (or its source) unpublished since are built again
    without it: their page, the mails not sent yet, and followers by an Update of the Article.
    What was already mailed stays mailed."""
    revised = 0
    for issue in await store.issues_to_revise(svc.db):
        start, end = issue.period_start, issue.period_end
        words = words_for(None)
        kept = list(reversed(await items_store.published(svc.db, before=end, since=start,
                                                         limit=MAX_ITEMS)))  # fmt: skip
        happenings = await _happenings(svc, end, end + schedule.WEEK_S, words)
        digest = build.digest(kept, happenings, title=issue.title, base_url=svc.config.base_url,
                              words=words)  # fmt: skip
        newswire = await newswire_actor(svc)
        newswire_uri = newswire.uri(svc.config.base_url)
        targets = await follower_targets(svc, newswire)
        async with svc.db.transaction() as tx:
            await store.revise_issue(tx, issue, digest.html, digest.text, len(kept))
            revised_issue = replace(issue, html=digest.html, text=digest.text, revised_at=now)
            update = compose.update(svc.new_activity_uri(), newswire_uri,
                                    article(revised_issue, newswire_uri, svc.config.base_url),
                                    now)  # fmt: skip
            await outbox.enqueue(tx, actor_id=newswire.id, activity=update, targets=targets,
                                 is_public=True, now=now)  # fmt: skip
        log.info("newsletter issue %d built again without an unpublished item", issue.id)
        revised += 1
    if revised:
        svc.wake_delivery()
    return revised


async def send_now(svc: Services) -> tuple[Issue | None, bool]:
    """This week's issue, made now if it was not made yet: (the issue, whether it is new). None
    when the week had nothing to say."""
    now = svc.clock.now()
    week = schedule.current_week(svc.config, now)
    existing = await store.issue_of_week(svc.db, week.key)
    if existing is not None:
        return existing, False
    made = await make_issue(svc, week, now)
    return made, made is not None


async def _happenings(
    svc: Services, start: float, end: float, words: Words
) -> list[build.Happening]:
    """Calls and events of the instance's hubs starting between `start` and `end`."""
    base = svc.config.base_url
    dated = svc.kinds.names_where(lambda kind: kind.dated)
    listed = [
        p for p in await posts.upcoming(svc.db, None, start, MAX_HAPPENINGS, dated)
        if p.starts_at is not None and p.starts_at < end and p.status != "cancelled"
    ]  # fmt: skip
    series = await posts.posts_by_id(svc.db, {p.series_id for p in listed if p.series_id})
    owners: dict[int, LocalActor | None] = {}
    found = []
    for post in listed:
        if post.actor_id not in owners:
            owners[post.actor_id] = await actors.get_actor_by_id(svc.db, post.actor_id)
        owner = owners[post.actor_id]
        if owner is None:
            continue
        of = series.get(post.series_id) if post.series_id else None
        assert post.starts_at is not None and post.ends_at is not None
        zone = event_render.zone_of(post, of)
        found.append(build.Happening(
            title=(of or post).title or "",
            url=post_render.post_uri(owner.uri(base), post.id),
            when=event_render.when_line(post.starts_at, post.ends_at, zone, words),
            where=event_render.place_line(scheduled_fields(post, of), words),
            hub_name=owner.name,
        ))  # fmt: skip
    return found


def article(issue: Issue, newswire_uri: str, base_url: str) -> JsonObject:
    """The issue as followers get it: an Article whose page is its `url`."""
    page = base_url + issue_path(issue.id)
    return {
        "@context": AS_CONTEXT,
        "id": page,
        "type": "Article",
        "attributedTo": newswire_uri,
        "name": issue.title,
        "content": issue.html,
        "url": page,
        "published": iso(issue.created_at),
        "to": [PUBLIC],
        "cc": [f"{newswire_uri}/followers"],
    }


async def make_issue(svc: Services, week: Week, now: float) -> Issue | None:
    """Builds and stores `week`'s issue from the items published since the last issue (a week
    back for the first) and the calls and events of the coming week; federates it and queues
    its mails. None when the week has neither (no issue that says nothing) or another pass
    made it."""
    # From where the last issue ended (a week skipped as too late is carried by the next), a
    # week back for the first, and never more than MAX_WEEKS_BACK.
    last_end = await store.last_period_end(svc.db)
    start = last_end if last_end is not None else week.moment - schedule.WEEK_S
    start = max(start, week.moment - MAX_WEEKS_BACK * schedule.WEEK_S)
    end = week.moment
    words = words_for(None)
    items = list(reversed(await items_store.published(svc.db, before=end, since=start,
                                                      limit=MAX_ITEMS)))  # fmt: skip
    happenings = await _happenings(svc, end, end + schedule.WEEK_S, words)
    if not items and not happenings:
        log.info("newsletter %s: no news and nothing coming up: no issue", week.key)
        return None
    title = build.title_of(words, svc.config.instance_name, week.key)
    digest = build.digest(items, happenings, title=title, base_url=svc.config.base_url,
                          words=words)  # fmt: skip
    newswire = await newswire_actor(svc)
    newswire_uri = newswire.uri(svc.config.base_url)
    targets = await follower_targets(svc, newswire)
    async with svc.db.transaction() as tx:
        issue = await store.insert_issue(
            tx, week.key, digest.title, digest.html, digest.text, (start, end), len(items),
            len(happenings), now,
        )  # fmt: skip
        if issue is None:
            return None
        activity = compose.create(svc.new_activity_uri(), newswire_uri,
                                  article(issue, newswire_uri, svc.config.base_url))  # fmt: skip
        await outbox.enqueue(tx, actor_id=newswire.id, activity=activity, targets=targets,
                             is_public=True, now=now)  # fmt: skip
        await store.set_issue_activity(tx, issue.id, activity["id"])
        queued, tokens = [], []
        for subscriber_id, email in await store.confirmed(tx):
            token, token_hash = new_token()
            tokens.append((token_hash, subscriber_id))
            queued.append(mail.Queued("issue", email, subscriber_id, issue.id, token))
        await store.add_unsubscribe_tokens(tx, tokens, now)
        await mail.enqueue(tx, queued, now)
    log.info("newsletter %s: issue %d, %d items, %d to mail", week.key, issue.id, len(items),
             len(queued))  # fmt: skip
    svc.wake_delivery()
    svc.wakeups.wake(MAIL_CHANNEL)
    return issue


class Composer:
    """Builds each queued mail as the worker sends it, from the issue as it is then (an issue
    built again without an unpublished item is mailed as it now stands)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def __call__(self, job: MailJob) -> EmailMessage | None:
        svc = self.svc
        if job.subscriber_id is None:
            return None
        subscriber = await store.subscriber(svc.db, job.subscriber_id)
        wanted = "unconfirmed" if job.purpose == "confirm" else "confirmed"
        if subscriber is None or subscriber.state != wanted or not job.token:
            return None  # unsubscribed, bounced or confirmed meanwhile: not to be sent
        words = words_for(subscriber.language)
        if job.purpose == "confirm":
            content = confirmation(svc, words, job)
        else:
            issue = await store.issue(svc.db, job.issue_id or 0)
            if issue is None:
                return None
            content = issue_mail(svc, words, job, issue)
        return mails.build(content, sender=svc.config.mail_from,
                           sender_name=svc.config.instance_name, domain=svc.config.host,
                           now=svc.clock.now())  # fmt: skip


def confirmation(svc: Services, words: Words, job: MailJob) -> mails.Mail:
    base, name = svc.config.base_url, svc.config.instance_name
    link = f"{base}/newswire/subscribe/confirm/{job.token}"
    subject = words("Confirm your subscription to the %(name)s newsletter", name=name)
    asked = words("Someone, probably you, asked to receive the %(name)s newsletter at this"
                  " address.", name=name)  # fmt: skip
    open_link = words("To confirm, open this link:")
    ignore = words("If it was not you, ignore this mail: you will get nothing more from us.")
    text = f"{asked}\n\n{open_link}\n{link}\n\n{ignore}\n"
    body = (f"<p>{escape(asked)}</p><p><a class=\"button\" href=\"{escape(link)}\">"
            f"{escape(words('Confirm my subscription'))}</a></p>"
            f"<p>{escape(open_link)}<br>{escape(link)}</p><p>{escape(ignore)}</p>")  # fmt: skip
    document = mails.html_document(subject, body, words.language)
    return mails.Mail(job.recipient, subject, text, document)


def issue_mail(svc: Services, words: Words, job: MailJob, issue: Issue) -> mails.Mail:
    base = svc.config.base_url
    unsubscribe = f"{base}/newswire/unsubscribe/{job.token}"
    page = base + issue_path(issue.id)
    online = words("Read it on the web:")
    leave = words("Unsubscribe")
    why = words("You receive this because you subscribed to the %(name)s newsletter.",
                name=svc.config.instance_name)  # fmt: skip
    text = f"{issue.text}\n--\n{online} {page}\n{why}\n{leave}: {unsubscribe}\n"
    foot = (
        f'<div class="foot"><p>{escape(online)} <a href="{escape(page)}">{escape(page)}</a>'
        f'</p><p>{escape(why)} <a href="{escape(unsubscribe)}">{escape(leave)}</a></p></div>'
    )
    host = svc.config.host
    return mails.Mail(job.recipient, issue.title, text,
                      mails.html_document(issue.title, issue.html + foot, words.language),
                      unsubscribe_url=unsubscribe,
                      list_id=f"{svc.config.instance_name} <newsletter.{host}>")  # fmt: skip


async def settle(svc: Services, job: MailJob, sent: Sent, state: JobState) -> None:
    """A bounce marks the subscriber, never mailed again; a copy given up on after retries
    counts toward it (GIVEN_UP_ISSUES_TO_BOUNCE in a row); a copy delivered ends the streak."""
    if job.subscriber_id is None or sent.result == "skipped":
        return
    if sent.result == "bounced":
        await store.mark_bounced(svc.db, job.subscriber_id)
    elif job.purpose == "issue" and state == "gave_up":
        await store.count_given_up(svc.db, job.subscriber_id, GIVEN_UP_ISSUES_TO_BOUNCE)
    elif job.purpose == "issue" and state == "done":
        await store.reset_streak(svc.db, job.subscriber_id)


def mailers(svc: Services) -> dict[Purpose, Mailer]:
    """The newsletter's purposes of mail, for the mail worker (fedihub/app.py gathers them)."""
    mailer = Mailer(Composer(svc), partial(settle, svc))
    return {"confirm": mailer, "issue": mailer}
