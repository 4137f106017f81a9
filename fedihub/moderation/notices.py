"""Telling a person on another server what moderators decided about them: a direct message
(a Note addressed to them alone, mentioning them), which every fediverse app shows. Their reply
to it comes back as a Create in reply to the notice, which is how they can answer (appeal)."""

from __future__ import annotations

from html import escape

from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.db import Transaction
from fedihub.moderation import store
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.services import Services


def handle_of(person: RemoteActor) -> str:
    """@name@host as apps show it, or the address when the actor gave no username."""
    return (
        f"@{person.preferred_username}@{person.host}" if person.preferred_username else person.uri
    )


async def tell(
    tx: Transaction,
    svc: Services,
    sender: LocalActor,
    person: RemoteActor,
    content_html: str,
    *,
    about_entry: int | None = None,
    in_reply_to: str | None = None,
) -> str:
    """Queues a direct message from `sender` (a hub, or the instance actor) to `person` in the
    caller's transaction; returns the Note's id, which a reply names in `inReplyTo`.
    `content_html` is the message's paragraphs; the mention that addresses it comes first.
    `about_entry`: the log entry of the action it tells them of; their reply answers it."""
    activity_uri = svc.new_activity_uri()
    handle = handle_of(person)
    mention = (f'<p><span class="h-card"><a href="{escape(person.uri)}" class="u-url mention">'
               f"{escape(handle)}</a></span></p>")  # fmt: skip
    activity = compose.direct_note(activity_uri, sender.uri(svc.config.base_url), person.uri,
                                   handle, mention + content_html, in_reply_to)  # fmt: skip
    await outbox.enqueue(tx, actor_id=sender.id, activity=activity,
                         targets=[personal_target(person)], is_public=False,
                         now=svc.clock.now())  # fmt: skip
    note_uri = str(activity["object"]["id"])
    if about_entry is not None:
        await store.add_notice(tx, note_uri, about_entry, person.uri, svc.clock.now())
    return note_uri
