"""A volunteer's mail, queued in the transaction that gives them cause and composed when the
worker sends it, from the rows as they are then:

- 'volunteer': their private link, after they sign up (or sign up again: the link is then a new
  one, and the old stops working). Not sent once a newer link was made or they are gone.
- 'assignment': a shift they are asked to come to. Not sent when the invitation was withdrawn,
  asked again with a newer link, or the shift was cancelled or is over.

Each names the hub, and for an assignment the shift and its site; never anyone else.
"""

from __future__ import annotations

from email.message import EmailMessage
from html import escape

from fedihub.actors import store as actors
from fedihub.db import Transaction
from fedihub.mail import message as mails
from fedihub.mail import store as mail
from fedihub.mail.store import MailJob, Purpose
from fedihub.mail.worker import Mailer
from fedihub.services import Services
from fedihub.tokens import hash_token
from fedihub.volunteers import assignments, assignments_store, sites_store, store
from fedihub.volunteers.invitation import (
    Invitation,
    asked,
    lines,
    please_answer,
    subject,
    text,
)
from fedihub.words import Words, words_for


def assignment_mail(to: str, name: str, invitation: Invitation, words: Words) -> mails.Mail:
    """The mail to one volunteer (`name` greets them): the shift, its site and address, what
    to bring, and the confirm and decline links. Pure."""
    title = subject(invitation, words)
    greeting = words("Hello %(name)s,", name=name)
    details = "".join(f"<li>{escape(label)}: {escape(value)}</li>"
                      for label, value in lines(invitation, words))  # fmt: skip
    body = (
        f"<p>{escape(greeting)}</p><p>{escape(asked(invitation, words))}</p>"
        f"<ul>{details}</ul><p>{escape(please_answer(words))}</p>"
        f'<p><a class="button" href="{escape(invitation.confirm_url)}">'
        f"{escape(words('I can come'))}</a> "
        f'<a class="button" href="{escape(invitation.decline_url)}">'
        f"{escape(words('I cannot come'))}</a></p>"
        f"<p>{escape(invitation.answer_url)}</p>"
    )
    return mails.Mail(to, title, text(invitation, words, greeting),
                mails.html_document(title, body, words.language))  # fmt: skip


class Composer:
    """Builds an assignment's mail when the worker sends it; None when it is not to be sent."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def __call__(self, job: MailJob) -> EmailMessage | None:
        svc, now = self.svc, self.svc.clock.now()
        if job.ref_id is None or not job.token:
            return None
        hub_id = await assignments_store.hub_of(svc.db, job.ref_id)
        hub = None if hub_id is None else await actors.get_actor_by_id(svc.db, hub_id)
        if hub is None:
            return None
        found = await assignments_store.by_token(svc.db, hub.id, hash_token(job.token))
        if found is None or found.id != job.ref_id or found.state == "cancelled":
            return None  # withdrawn, or asked again with a newer link (that mail goes)
        shift = await sites_store.shift(svc.db, hub.id, found.shift_id)
        site = None if shift is None else await sites_store.site(svc.db, hub.id, shift.site_id)
        volunteer = await store.volunteer(svc.db, hub.id, found.volunteer_id)
        if shift is None or site is None or volunteer is None or volunteer.email != job.recipient:
            return None  # gone, or their address changed since: not to the old one
        if shift.state == "cancelled" or shift.ends_at <= now:
            return None
        invitation = await assignments.invitation_of(svc, hub, shift, site, job.token)
        content = assignment_mail(volunteer.email, volunteer.name, invitation,
                                  words_for(volunteer.language))  # fmt: skip
        return mails.build(content, sender=svc.config.mail_from, sender_name=hub.name,
                           domain=svc.config.host, now=now)  # fmt: skip


async def queue_link(
    tx: Transaction, volunteer_id: int, email: str, token: str, now: float
) -> None:
    """Their private link by mail, in the caller's transaction (wake the mail worker after)."""
    await mail.enqueue(tx, [mail.Queued("volunteer", email, token=token, ref_id=volunteer_id)],
                       now)  # fmt: skip


async def forget_volunteers(tx: Transaction, volunteer_ids: list[int]) -> None:
    """Their mail, queued or sent, goes with them (it holds their address): call before the
    deletion that takes their assignments."""
    await mail.forget(tx, "volunteer", volunteer_ids)
    await mail.forget(tx, "assignment", await assignments_store.ids_of(tx, volunteer_ids))


async def link_mailed_since(tx: Transaction, volunteer_id: int, since: float) -> bool:
    return await mail.queued_since(tx, "volunteer", volunteer_id, since)


def link_mail(to: str, name: str, hub_name: str, link: str, words: Words) -> mails.Mail:
    """The mail that gives a volunteer their private link. Pure."""
    title = words("Your registration as a volunteer with %(hub)s", hub=hub_name)
    greeting = words("Hello %(name)s,", name=name)
    thanks = words("Thank you for offering to help %(hub)s.", hub=hub_name)
    what = words("With your private link you can see, change or delete what you told us:")
    keep = words("Keep it to yourself: anyone with this link can see your details.")
    not_you = words("If you did not sign up, open the link and delete the registration.")
    text = f"{greeting}\n\n{thanks}\n\n{what}\n{link}\n\n{keep}\n{not_you}\n"
    body = (
        f"<p>{escape(greeting)}</p><p>{escape(thanks)}</p><p>{escape(what)}</p>"
        f'<p><a class="button" href="{escape(link)}">{escape(words("My registration"))}</a></p>'
        f"<p>{escape(link)}</p><p>{escape(keep)}</p><p>{escape(not_you)}</p>"
    )
    return mails.Mail(to, title, text, mails.html_document(title, body, words.language))


class LinkComposer:
    """Builds a private link's mail when the worker sends it; None when it is not to be sent."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def __call__(self, job: MailJob) -> EmailMessage | None:
        svc = self.svc
        if job.ref_id is None or not job.token:
            return None
        volunteer = await store.volunteer_by_token(svc.db, hash_token(job.token))
        if volunteer is None or volunteer.id != job.ref_id or volunteer.email != job.recipient:
            return None  # gone, a newer link was made, or the address changed since
        hub = await actors.get_actor_by_id(svc.db, volunteer.hub_id)
        if hub is None:
            return None
        link = f"{svc.config.base_url}/hubs/{hub.username}/volunteer/me/{job.token}"
        content = link_mail(job.recipient, volunteer.name, hub.name, link,
                            words_for(volunteer.language))  # fmt: skip
        return mails.build(content, sender=svc.config.mail_from, sender_name=hub.name,
                           domain=svc.config.host, now=svc.clock.now())  # fmt: skip


def mailers(svc: Services) -> dict[Purpose, Mailer]:
    """The volunteers' purposes of mail, for the mail worker (fedihub/app.py gathers them)."""
    return {"assignment": Mailer(Composer(svc)), "volunteer": Mailer(LinkComposer(svc))}
