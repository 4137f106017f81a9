"""Appeals: the person an action was about answers it once, and a moderator of the same scope
who did not take the action reviews it.

A person on another server appeals by replying to the notice that told them (notices.tell
remembers which log entry each notice was about); an account here, on the appeal page (which
also takes the username and password, since a suspended account cannot sign in). The review
upholds or overturns, logged (`appeal_upheld` / `appeal_overturned`) with the reviewer's note,
which the person is sent (or, here, shown on the appeal page). Overturning undoes the action
where it can be undone (`_reverse`).
"""

from __future__ import annotations

from html import escape

from fedihub.accounts import store as accounts
from fedihub.accounts.store import Account
from fedihub.activitystreams import JsonObject, id_of
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.content import html_text, sanitize_html
from fedihub.errors import BadRequest, Conflict, FedihubError, FetchError, Forbidden, NotFound
from fedihub.moderation import log, notices
from fedihub.moderation import store as log_store
from fedihub.moderation.appeals import store
from fedihub.moderation.appeals.store import Appeal, Decision
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.blocking import service as blocking
from fedihub.moderation.sanctions import service as sanctions
from fedihub.moderation.sanctions.service import Sanction
from fedihub.moderation.store import Entry
from fedihub.services import Services
from fedihub.words import N_, words_for

# Actions on a person or their post: what may be appealed, and how each reads to that person.
APPEALABLE: dict[str, str] = {
    "warn": N_("a warning"),
    "ban": N_("a ban from the hub"),
    "remove_member": N_("a removal from the hub"),
    "remove_post": N_("a post removed from the hub"),
    "reject_post": N_("a post the hub would not carry"),
    "suspend": N_("the suspension of an account"),
    "silence_actor": N_("an account silenced on this server"),
    "block_actor": N_("an account blocked on this server"),
}
# The actions that undo one: once one is logged, there is nothing left to appeal.
UNDONE_BY: dict[str, tuple[str, ...]] = {
    "ban": ("unban",), "suspend": ("unsuspend",),
    "silence_actor": ("unblock_actor",), "block_actor": ("unblock_actor",),
}  # fmt: skip
MAX_APPEAL_CHARS = 5000
MAX_NOTE_CHARS = 1500  # kept in the log with words naming the entry, within its reason's bound
LISTED = 100


def read_appeal_text(text: str) -> str:
    appeal = text.replace("\r\n", "\n").strip()
    if not appeal:
        raise BadRequest("write your appeal: what happened, and why the decision should change")
    if len(appeal) > MAX_APPEAL_CHARS:
        raise BadRequest("an appeal may be at most %(max)s characters", max=MAX_APPEAL_CHARS)
    return appeal


def read_decision(value: str) -> Decision:
    if value == "uphold":
        return "upheld"
    if value == "overturn":
        return "overturned"
    raise BadRequest("choose: uphold the action or overturn it")


def read_note(text: str) -> str:
    note = text.strip()
    if not note:
        raise BadRequest("say why: the note is sent to the person and shown in the public log")
    if len(note) > MAX_NOTE_CHARS:
        raise BadRequest("the note may be at most %(max)s characters", max=MAX_NOTE_CHARS)
    return note


async def entry_of(svc: Services, entry_id: int) -> Entry:
    entry = await log_store.entry(svc.db, entry_id)
    if entry is None:
        raise NotFound("there is no moderation action %(id)s here", id=entry_id)
    return entry


def check_affected(entry: Entry, actor_uri: str) -> None:
    """Only the person an action was about may appeal it."""
    if entry.target_uri != actor_uri:
        raise Forbidden("only the person this action was about may appeal it")


async def check_appealable(svc: Services, entry: Entry) -> None:
    if entry.action not in APPEALABLE:
        raise BadRequest("only actions on a person or their post can be appealed")
    undone = UNDONE_BY.get(entry.action, ())
    if await store.undone_since(svc.db, entry.hub_id, entry.target_uri, undone, entry.id):
        raise Conflict("that action was undone since: there is nothing to appeal")


async def _file(
    svc: Services, entry: Entry, appellant_uri: str, text: str, note_uri: str | None
) -> Appeal:
    await check_appealable(svc, entry)
    async with svc.db.transaction() as tx:
        appeal_id = await store.add(tx, entry.id, appellant_uri, text, note_uri, svc.clock.now())
        appeal = await store.by_id(tx, appeal_id) if appeal_id is not None else None
    if appeal is None:
        raise Conflict("this action was appealed already: one appeal per action")
    return appeal


async def appeal_from_account(svc: Services, account: Account, entry_id: int, text: str) -> Appeal:
    """An account here appeals an action about it (the page at /moderation/ID/appeal)."""
    entry = await entry_of(svc, entry_id)
    check_affected(entry, account.actor.uri(svc.config.base_url))
    return await _file(svc, entry, entry.target_uri, read_appeal_text(text), None)


async def answer_to_notice(svc: Services, actor_uri: str, obj: JsonObject) -> str | None:
    """A Create's object in reply to one of our moderation notices: the appeal of the action it
    told of, if the one it was sent to wrote it (the inbox's note of what was done), or None
    when it replies to no notice of ours."""
    notice = id_of(obj.get("inReplyTo"))
    if notice is None or not await store.is_notice(svc.db, notice):
        return None
    entry_id = await log_store.entry_noticed(svc.db, notice, actor_uri)
    if entry_id is None or id_of(obj.get("attributedTo")) not in (None, actor_uri):
        return "ignored: a reply to a moderation notice sent to someone else"
    content = obj.get("content")
    text = html_text(sanitize_html(content)) if isinstance(content, str) else ""
    text = text[:MAX_APPEAL_CHARS].strip()
    if not text:
        return "ignored: an empty reply to a moderation notice"
    try:
        appeal = await _file(svc, await entry_of(svc, entry_id), actor_uri, text, str(obj["id"]))
    except FedihubError as e:
        return f"ignored: not an appeal of entry {entry_id}: {e.message}"
    return f"appeal {appeal.id} of entry {entry_id} from {actor_uri}"


async def open_for(svc: Services, hub: LocalActor | None) -> list[tuple[Appeal, Entry]]:
    """Appeals waiting for a review in a scope, each with the action it answers."""
    found = []
    for appeal in await store.open_appeals(svc.db, None if hub is None else hub.id, LISTED):
        entry = await log_store.entry(svc.db, appeal.entry_id)
        if entry is not None:
            found.append((appeal, entry))
    return found


async def scope_of(svc: Services, appeal_id: int) -> tuple[Appeal, LocalActor | None]:
    """An appeal and the hub whose action it answers (None: the instance's)."""
    appeal = await store.by_id(svc.db, appeal_id)
    entry = await log_store.entry(svc.db, appeal.entry_id) if appeal else None
    if appeal is None or entry is None:
        raise NotFound("there is no appeal %(id)s here", id=appeal_id)
    hub = await actors.get_actor_by_id(svc.db, entry.hub_id) if entry.hub_id else None
    return appeal, hub


async def decide(
    svc: Services,
    account: Account,
    hub: LocalActor | None,
    appeal_id: int,
    decision_value: str,
    note_text: str,
) -> tuple[Appeal, bool]:
    """`account`, a moderator of `hub` (None: an admin, for the instance's actions), upholds or
    overturns an appeal of an action taken in that scope by someone else. Returns the appeal
    as decided, and whether the action was undone."""
    decision, note = read_decision(decision_value), read_note(note_text)
    reviewer = await local_moderator(svc, account, hub)
    appeal = await store.by_id(svc.db, appeal_id)
    entry = await log_store.entry(svc.db, appeal.entry_id) if appeal else None
    if appeal is None or entry is None or entry.hub_id != (None if hub is None else hub.id):
        raise NotFound("there is no appeal %(id)s here", id=appeal_id)
    if appeal.decided_at is not None:
        raise Conflict("this appeal was decided already")
    if reviewer.uri == entry.by_uri:
        raise Forbidden("you took this action: another moderator reviews the appeal")
    sender = hub or await actors.get_instance_actor(svc.db)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        logged = await log.record(
            tx, reviewer, "appeal_upheld" if decision == "upheld" else "appeal_overturned",
            target_uri=entry.target_uri, target_label=entry.target_label, clause=entry.clause,
            reason=f"Appeal of entry {entry.id} ({entry.action}): {note}", now=now,
        )  # fmt: skip
        if not await store.decide(tx, appeal.id, decision, reviewer.uri, reviewer.label, note,
                                  logged, now):  # fmt: skip
            raise Conflict("this appeal was decided already")
    # The lifting call takes its own transaction and logs its own entry (unban, unsuspend,
    # unblock_actor) after the decision's: a decision stands even if the action was already
    # lifted by hand meanwhile, which is then said, not hidden.
    undone = decision == "overturned" and await _reverse(svc, entry, reviewer, note)
    person = await _remote_person(svc, appeal.appellant_uri)  # after a block is lifted
    if person is not None:
        told = _decision_html(sender, entry, decision, note, undone)
        async with svc.db.transaction() as tx:
            await notices.tell(tx, svc, sender, person, told, in_reply_to=appeal.note_uri)
        svc.wake_delivery()
    decided = await store.by_id(svc.db, appeal.id)
    assert decided is not None
    return decided, undone


async def _remote_person(svc: Services, uri: str) -> RemoteActor | None:
    """The appellant to send the decision to; None for an account here (its page shows it),
    and for one we cannot reach (blocked and not unblocked, or gone): the log still says it."""
    if await actors.actor_for_uri(svc.db, svc.config.base_url, uri) is not None:
        return None
    try:
        return await svc.resolver.actor(uri)
    except FetchError:
        return None


async def _reverse(svc: Services, entry: Entry, reviewer: Moderator, note: str) -> bool:
    """Lifts an overturned action by the same path a moderator would take by hand; False where
    it cannot be undone (a warning was read; a removed post's Delete went out) or where it was
    lifted already."""
    why = f"Appeal of entry {entry.id} overturned: {note}"
    try:
        match entry.action:
            case "ban":
                hub = await actors.get_actor_by_id(svc.db, entry.hub_id or 0)
                if hub is None:
                    return False
                await sanctions.unban(svc, reviewer, hub, entry.target_uri, Sanction(why))
            case "suspend":
                local = await actors.actor_for_uri(svc.db, svc.config.base_url, entry.target_uri)
                account = await accounts.get_account(svc.db, local.username) if local else None
                if account is None:
                    return False
                await sanctions.unsuspend(svc, reviewer, account, Sanction(why))
            case "block_actor" | "silence_actor":
                await blocking.unblock_actor(svc, reviewer, entry.target_uri, reason=why)
            case _:  # warn, remove_member, remove_post, reject_post: the overturn is recorded
                return False
    except (NotFound, BadRequest):
        return False  # lifted by hand already
    return True


def _decision_html(
    sender: LocalActor, entry: Entry, decision: Decision, note: str, undone: bool
) -> str:
    words = words_for(sender.language)
    action = words(APPEALABLE[entry.action])
    if decision == "upheld":
        said = words("Your appeal against %(action)s was reviewed: the action stands.",
                     action=action)  # fmt: skip
    elif undone:
        said = words("Your appeal against %(action)s was reviewed: it is overturned and undone.",
                     action=action)  # fmt: skip
    else:
        said = words("Your appeal against %(action)s was reviewed: it is overturned.",
                     action=action)  # fmt: skip
    return f"<p>{escape(said)}</p><p>{escape(note)}</p>"
