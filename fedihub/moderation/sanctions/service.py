"""What a hub's moderators (and the instance's admins) do to people, each in one transaction
with its entry in the public log: ban and unban, remove from a hub, warn, change a role;
suspend and unsuspend a local account.

A person on another server is told: a ban `Reject`s their stored Follow (Mastodon then drops
the follow: app/lib/activitypub/activity/reject.rb unfollows when the Reject names an accepted
Follow) and `Join`, sends Lemmy's `Block` (see activities.py), and a direct message from the hub
saying what, why and under which clause, which they may answer once to appeal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from fedihub.accounts import sessions
from fedihub.accounts import store as accounts
from fedihub.accounts.store import Account
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.actors.store import RemoteActor
from fedihub.content import sanitize_html
from fedihub.db import Transaction
from fedihub.errors import BadRequest, Conflict, Forbidden, NotFound
from fedihub.follows import store as follows
from fedihub.groups import membership
from fedihub.groups import store as groups
from fedihub.moderation import conduct, notices
from fedihub.moderation.authority import Moderator
from fedihub.moderation.log import read_reason, record
from fedihub.moderation.sanctions import activities
from fedihub.moderation.sanctions import store as sanctions
from fedihub.moderation.sanctions.store import Ban
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.recipients import personal_target
from fedihub.services import Services
from fedihub.words import words_for

MAX_BAN_DAYS = 3650


@dataclass(frozen=True)
class Person:
    """Someone acted on: one of our accounts (`local`) or an actor elsewhere (`remote`)."""

    uri: str
    label: str  # @name@host
    local: LocalActor | None
    remote: RemoteActor | None


async def person(svc: Services, actor_uri: str) -> Person:
    """The actor behind an id, fetched (once) if it is on another server."""
    if not actor_uri.startswith(("https://", "http://")):
        raise BadRequest("%(uri)r is not an actor id (https://…)", uri=actor_uri)
    local = await actors.actor_for_uri(svc.db, svc.config.base_url, actor_uri)
    if local is not None:
        return Person(actor_uri, f"@{local.username}@{svc.config.domain}", local, None)
    if actor_uri.startswith(svc.config.base_url + "/"):
        raise NotFound("There is no account %(handle)s on this server.", handle=actor_uri)
    remote = await svc.resolver.actor(actor_uri)
    return Person(actor_uri, notices.handle_of(remote), None, remote)


def read_days(value: str | int | None) -> int | None:
    """A ban's length in whole days; None (nothing given): until lifted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        days = int(value)
    except ValueError:
        raise BadRequest("days: a whole number from 1 to %(max)s", max=MAX_BAN_DAYS) from None
    if not 1 <= days <= MAX_BAN_DAYS:
        raise BadRequest("days: a whole number from 1 to %(max)s", max=MAX_BAN_DAYS)
    return days


def _in_scope(by: Moderator, hub: LocalActor) -> None:
    if by.hub_id != hub.id and not by.is_admin:
        raise Forbidden("%(account)s does not moderate %(hub)s", account=by.label,
                        hub=hub.username)  # fmt: skip


async def _may_act_on(svc: Services, by: Moderator, hub: LocalActor, actor_uri: str) -> None:
    """A moderator acts on others, and never on the hub's organisers."""
    _in_scope(by, hub)
    if actor_uri == by.uri:
        raise Forbidden("you cannot do this to yourself")
    base = svc.config.base_url
    if any(o.uri(base) == actor_uri for o in await actors.organizers(svc.db, hub.id)):
        raise Forbidden("the organisers of %(hub)s cannot be banned, removed or warned in it",
                        hub=hub.name)  # fmt: skip
    # A moderator acts on members; the hub's admins and moderators answer to its organisers
    # (and the instance's admins), not to each other.
    acting_as_organiser = by.is_admin or any(
        o.uri(base) == by.uri for o in await actors.organizers(svc.db, hub.id)
    )
    target = await groups.member(svc.db, hub.id, actor_uri)
    if not acting_as_organiser and target is not None and target.role in membership.MODERATING:
        raise Forbidden("only the organisers of %(hub)s may act on its moderators", hub=hub.name)


async def _signer(svc: Services, by: Moderator, hub: LocalActor) -> LocalActor:
    """Lemmy reads a Block only from a person who moderates the community: our moderator when
    they are an account here, else the hub itself."""
    local = await actors.actor_for_uri(svc.db, svc.config.base_url, by.uri)
    return local if local is not None and local.kind == "person" else hub


async def _send(
    tx: Transaction, svc: Services, sender: LocalActor, activity: dict[str, object],
    to: RemoteActor,
) -> None:  # fmt: skip
    await outbox.enqueue(tx, actor_id=sender.id, activity=activity, targets=[personal_target(to)],
                         is_public=False, now=svc.clock.now())  # fmt: skip


async def _refuse_follow_and_join(
    tx: Transaction, svc: Services, hub: LocalActor, who: Person, join_uri: str | None
) -> None:
    """`Reject` of their Follow and their Join, as a refused request is answered: Mastodon
    then stops following, Mobilizon stops showing the membership."""
    follow_uri = await follows.follower_follow_uri(tx, hub.id, who.uri)
    hub_uri = hub.uri(svc.config.base_url)
    if who.remote is None:
        if who.local is not None:  # one of ours: its own side of the follow goes too
            await follows.delete_following(tx, who.local.id, hub_uri)
        return
    for kind, uri in (("Follow", follow_uri), ("Join", join_uri)):
        if uri:
            answered = {"id": uri, "type": kind, "actor": who.uri, "object": hub_uri}
            await _send(tx, svc, hub, compose.answer("Reject", svc.new_activity_uri(), hub_uri,
                                                     answered), who.remote)  # fmt: skip


async def _out_of_the_hub(tx: Transaction, svc: Services, hub: LocalActor, who: Person) -> bool:
    """Membership and follow ended, their server told; False if they were in neither."""
    member = await groups.member(tx, hub.id, who.uri)
    await _refuse_follow_and_join(tx, svc, hub, who, member.join_activity_uri if member else None)
    return await membership.left_in(tx, svc, hub, who.uri, unfollow=True)


def _message(svc: Services, hub: LocalActor, what: str, reason: str, clause: str) -> str:
    """The direct message's paragraphs, in the hub's language."""
    words = words_for(hub.language)
    log_url = svc.config.base_url + "/hubs/" + hub.username + "/moderation"
    lines = [what, words("Reason: %(reason)s", reason=reason)]
    if clause:
        lines.append(words("Under: %(clause)s", clause=clause))
    lines.append(words("You may answer this message once to appeal; another moderator will "
                       "review it. The public log: %(url)s",
                       url=log_url))  # fmt: skip
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


@dataclass(frozen=True)
class Sanction:
    """What a moderator typed: the reason, the clause (a form's value) and the report it
    answers, if any."""

    reason: str
    clause: str = ""
    report_id: int | None = None


async def _read(svc: Services, hub: LocalActor | None, said: Sanction) -> tuple[str, str]:
    return read_reason(said.reason), await conduct.read_clause(svc, hub, said.clause)


async def ban(
    svc: Services, by: Moderator, hub: LocalActor, actor_uri: str, said: Sanction,
    days: int | None = None,
) -> int:  # fmt: skip
    """Bans someone from `hub`; returns the log entry's id."""
    await _may_act_on(svc, by, hub, actor_uri)
    reason, clause = await _read(svc, hub, said)
    who = await person(svc, actor_uri)
    signer = await _signer(svc, by, hub)
    now = svc.clock.now()
    expires = None if days is None else now + days * 86_400
    async with svc.db.transaction() as tx:
        await actors.lock_actor(tx, hub.id)  # two bans at once: the second sees the first
        if await groups.banned(tx, hub.id, who.uri, now):
            raise Conflict("%(person)s is already banned from %(hub)s", person=who.label,
                           hub=hub.name)  # fmt: skip
        await _out_of_the_hub(tx, svc, hub, who)
        await sanctions.drop_queued(tx, hub.id, who.uri)
        entry = await record(
            tx,
            by,
            "ban",
            target_uri=who.uri,
            target_label=who.label,
            clause=clause,
            reason=reason,
            report_id=said.report_id,
            now=now,
        )
        block_uri = None
        if who.remote is not None:
            block_uri = svc.new_activity_uri()
            hub_uri = hub.uri(svc.config.base_url)
            blocked = activities.block(block_uri, signer.uri(svc.config.base_url), who.uri,
                                       hub_uri, reason, expires)  # fmt: skip
            await _send(tx, svc, signer, blocked, who.remote)
            words = words_for(hub.language)
            what = words("The moderators of %(hub)s have banned you from it.", hub=hub.name)
            await notices.tell(tx, svc, hub, who.remote,
                               _message(svc, hub, what, reason, clause),
                               about_entry=entry)  # fmt: skip
        await sanctions.save_ban(tx, Ban(hub.id, who.uri, reason, clause, by.uri, entry,
                                         block_uri, now, expires))  # fmt: skip
    svc.wake_delivery()
    return entry


async def unban(
    svc: Services, by: Moderator, hub: LocalActor, actor_uri: str, said: Sanction
) -> int:
    """Lifts a ban (an expired one too, so its row goes); their server gets `Undo{Block}`."""
    _in_scope(by, hub)
    # Lifting a ban applies no rule: a clause is kept when given, not required.
    clause = await conduct.read_clause(svc, hub, said.clause) if said.clause.strip() else ""
    reason = read_reason(said.reason)
    who = await person(svc, actor_uri)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        gone = await sanctions.delete_ban(tx, hub.id, actor_uri)
        if gone is None:
            raise NotFound("%(actor)s is not banned from this hub", actor=actor_uri)
        entry = await record(
            tx,
            by,
            "unban",
            target_uri=who.uri,
            target_label=who.label,
            clause=clause,
            reason=reason,
            report_id=said.report_id,
            now=now,
        )
        if who.remote is not None and gone.block_uri:
            hub_uri = hub.uri(svc.config.base_url)
            original = await actors.actor_for_uri(svc.db, svc.config.base_url, gone.by_uri)
            blocker = original if original is not None and original.kind == "person" else hub
            blocked = activities.block(gone.block_uri, blocker.uri(svc.config.base_url), who.uri,
                                       hub_uri, gone.reason, gone.expires_at)  # fmt: skip
            signer = await _signer(svc, by, hub)
            undo = activities.undo_block(svc.new_activity_uri(),
                                         signer.uri(svc.config.base_url), blocked)  # fmt: skip
            await _send(tx, svc, signer, undo, who.remote)
    svc.wake_delivery()
    return entry


async def remove_member(
    svc: Services, by: Moderator, hub: LocalActor, actor_uri: str, said: Sanction
) -> int:
    """Removes a member (or a follower of an open hub); they may come back, unlike after a ban.
    Their server is told (`Reject` of their Follow and Join)."""
    await _may_act_on(svc, by, hub, actor_uri)
    reason, clause = await _read(svc, hub, said)
    who = await person(svc, actor_uri)
    async with svc.db.transaction() as tx:
        if not await _out_of_the_hub(tx, svc, hub, who):
            raise NotFound("%(actor)s is not a member of this hub", actor=actor_uri)
        entry = await record(tx, by, "remove_member", target_uri=who.uri, target_label=who.label,
                             clause=clause, reason=reason, report_id=said.report_id,
                             now=svc.clock.now())  # fmt: skip
    svc.wake_delivery()
    return entry


async def warn(
    svc: Services, by: Moderator, hub: LocalActor, actor_uri: str, said: Sanction
) -> int:
    """A direct message from the hub with the reason and clause, logged. An account here reads
    it in the log (it has no inbox of direct messages)."""
    await _may_act_on(svc, by, hub, actor_uri)
    reason, clause = await _read(svc, hub, said)
    who = await person(svc, actor_uri)
    async with svc.db.transaction() as tx:
        entry = await record(tx, by, "warn", target_uri=who.uri, target_label=who.label,
                             clause=clause, reason=reason, report_id=said.report_id,
                             now=svc.clock.now())  # fmt: skip
        if who.remote is not None:
            words = words_for(hub.language)
            what = words("The moderators of %(hub)s are warning you.", hub=hub.name)
            await notices.tell(tx, svc, hub, who.remote,
                               _message(svc, hub, what, reason, clause),
                               about_entry=entry)  # fmt: skip
    svc.wake_delivery()
    return entry


async def set_role(
    svc: Services, by: Moderator, hub: LocalActor, actor_uri: str, role: str, *,
    invite: bool = False, reason: str = "",
) -> None:  # fmt: skip
    """Adds a member or changes a role (membership.set_member), logging `role_change` when a
    role changes: a new member with a moderating role, or another role for a member."""
    _in_scope(by, hub)
    why = read_reason(reason, required=False)
    async with svc.db.transaction() as tx:
        before = await membership.set_member_in(tx, svc, hub, actor_uri, role=role, invite=invite)
        if before != role and (before is not None or role != "member"):
            label = (await actors.people(svc.db, svc.config.base_url, svc.config.domain,
                                         [actor_uri]))[actor_uri].handle or actor_uri  # fmt: skip
            await record(tx, by, "role_change", target_uri=actor_uri,
                         target_label=f"{label}: {before or 'none'} → {role}", reason=why,
                         now=svc.clock.now())  # fmt: skip
    svc.wake_delivery()


async def suspend(svc: Services, by: Moderator, account: Account, said: Sanction) -> int:
    """Suspends a local account (admins only): its sessions end, it cannot sign in or act for
    any hub; its actor document is still served."""
    if by.hub_id is not None or not by.is_admin:
        raise Forbidden("only the instance's admins may do this")
    uri = account.actor.uri(svc.config.base_url)
    if uri == by.uri:
        raise Forbidden("you cannot do this to yourself")
    reason, clause = await _read(svc, None, said)
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        entry = await record(
            tx,
            by,
            "suspend",
            target_uri=uri,
            target_label=f"@{account.actor.username}@{svc.config.domain}",
            clause=clause,
            reason=reason,
            report_id=said.report_id,
            now=now,
        )
        if not await sanctions.suspend(tx, account.actor.id, reason, clause, entry, now):
            raise Conflict("%(name)s is already suspended", name=account.actor.username)
    await sessions.end_all(svc.db, account.actor.id)
    return entry


async def unsuspend(svc: Services, by: Moderator, account: Account, said: Sanction) -> int:
    if by.hub_id is not None or not by.is_admin:
        raise Forbidden("only the instance's admins may do this")
    reason = read_reason(said.reason, required=False)
    async with svc.db.transaction() as tx:
        if not await sanctions.unsuspend(tx, account.actor.id):
            raise NotFound("%(name)s is not suspended", name=account.actor.username)
        entry = await record(
            tx,
            by,
            "unsuspend",
            target_uri=account.actor.uri(svc.config.base_url),
            target_label=f"@{account.actor.username}@{svc.config.domain}",
            reason=reason,
            report_id=said.report_id,
            now=svc.clock.now(),
        )
    return entry


async def account_named(svc: Services, username: str) -> Account:
    found = await accounts.get_account(svc.db, username)
    if found is None:
        raise NotFound("There is no account %(handle)s on this server.", handle=username)
    return found


@dataclass(frozen=True)
class Standing:
    """Where someone stands with a hub, for its moderators' page."""

    role: str | None  # their role while a member (None: not one)
    ban: Ban | None  # a ban in force
    history: list[sanctions.Past]


async def standing(svc: Services, hub: LocalActor, actor_uri: str) -> Standing:
    now = svc.clock.now()
    role = await membership.role_of(svc, hub, actor_uri)
    if role is None and await membership.is_member(svc, hub, actor_uri):
        role = "member"
    ban = await sanctions.ban_of(svc.db, hub.id, actor_uri)
    in_force = ban if ban is not None and (ban.expires_at is None or ban.expires_at > now) else None
    return Standing(role, in_force, await sanctions.history(svc.db, hub.id, actor_uri))


async def banned(svc: Services, hub: LocalActor, actor_uri: str) -> bool:
    return await groups.banned(svc.db, hub.id, actor_uri, svc.clock.now())


async def recent_posts(svc: Services, hub: LocalActor, actor_uri: str) -> list[dict[str, str]]:
    """Their latest posts the hub carried, as moderators read them (text sanitised here)."""
    found = []
    for document in await sanctions.recent_in_hub(svc.db, hub.id, actor_uri):
        obj = json.loads(document or "{}")
        content = obj.get("content")
        text = sanitize_html(content) if isinstance(content, str) else ""
        found.append({"url": str(obj.get("url") or obj.get("id") or ""), "html": text})
    return found
