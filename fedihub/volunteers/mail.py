"""An assignment by e-mail (the mail queue's purpose 'assignment'): queued in the transaction
that asks the volunteer, composed when the worker sends it, from the rows as they are then. A
mail whose invitation was withdrawn, asked again with a newer link, or whose shift was
cancelled or is over, is not sent. It names the hub, the shift and its site; never anyone else.
"""

from __future__ import annotations

from email.message import EmailMessage
from html import escape

from fedihub.actors import store as actors
from fedihub.mail import message as mails
from fedihub.mail.store import MailJob, Purpose
from fedihub.mail.worker import Mailer
from fedihub.services import Services
from fedihub.volunteers import assignments, sites, store
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
        hub_id = await assignments.hub_of(svc.db, job.ref_id)
        hub = None if hub_id is None else await actors.get_actor_by_id(svc.db, hub_id)
        if hub is None:
            return None
        found = await assignments.by_token(svc.db, hub.id, assignments.hash_token(job.token))
        if found is None or found.id != job.ref_id or found.state == "cancelled":
            return None  # withdrawn, or asked again with a newer link (that mail goes)
        shift = await sites.shift(svc.db, hub.id, found.shift_id)
        site = None if shift is None else await sites.site(svc.db, hub.id, shift.site_id)
        volunteer = await store.volunteer(svc.db, hub.id, found.volunteer_id)
        if shift is None or site is None or volunteer is None or not volunteer.email:
            return None
        if shift.state == "cancelled" or shift.ends_at <= now:
            return None
        invitation = await assignments.invitation_of(svc, hub, shift, site, job.token)
        content = assignment_mail(volunteer.email, volunteer.name, invitation,
                                  words_for(volunteer.language))  # fmt: skip
        return mails.build(content, sender=svc.config.mail_from, sender_name=hub.name,
                           domain=svc.config.host, now=now)  # fmt: skip


def mailers(svc: Services) -> dict[Purpose, Mailer]:
    """Dispatch's purpose of mail, for the mail worker (fedihub/app.py gathers them)."""
    return {"assignment": Mailer(Composer(svc))}
