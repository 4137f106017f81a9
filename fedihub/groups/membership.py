"""Who belongs to a hub and with which role: local accounts and remote actors alike.

A remote actor joins with `Join` (or `Follow`, on an open hub) and leaves with `Leave` or `Undo`.
Open hubs take everyone; on `approval` hubs a moderator decides; `invite` hubs take those
invited. Organisers (local accounts that may post as the hub) are its admins. Moderators are
listed in the hub's FEP-1b12 moderators collection, and changes to it go out as Add/Remove.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from fedihub.activitystreams import AS_CONTEXT, JsonObject
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor, valid_username
from fedihub.db import Transaction
from fedihub.errors import BadRequest, FedihubError, FetchError, Forbidden, NotFound
from fedihub.follows import service as following
from fedihub.follows import store as follows
from fedihub.groups import store
from fedihub.outbox import compose
from fedihub.outbox import store as outbox
from fedihub.outbox.compose import ModeratorsChange
from fedihub.outbox.recipients import personal_target
from fedihub.posts import federate
from fedihub.services import Services

Role = Literal["admin", "moderator", "member"]
ROLES: tuple[Role, ...] = ("admin", "moderator", "member")
MODERATING: tuple[Role, ...] = ("admin", "moderator")
# What became of a Join: a member, waiting for a moderator, or refused (not invited).
JoinOutcome = Literal["member", "pending", "refused"]
# An address longer than this is no one's: refused before anything is looked up.
MAX_HANDLE_CHARS = 300
log = logging.getLogger(__name__)


async def role_of(svc: Services, hub: LocalActor, actor_uri: str) -> str | None:
    """'admin', 'moderator' or 'member' for members (organisers are admins), else None."""
    base = svc.config.base_url
    if any(o.uri(base) == actor_uri for o in await actors.organizers(svc.db, hub.id)):
        return "admin"
    found = await store.member(svc.db, hub.id, actor_uri)
    return found.role if found is not None and found.state == "member" else None


async def is_member(svc: Services, hub: LocalActor, actor_uri: str) -> bool:
    """Members, and on an open hub its followers too: there, following is joining (as on
    Lemmy and Guppe), and unfollowing is leaving."""
    if await role_of(svc, hub, actor_uri) is not None:
        return True
    if hub.join_policy != "open":
        return False
    return await follows.follower_state(svc.db, hub.id, actor_uri) == "accepted"


async def moderators(svc: Services, hub: LocalActor) -> list[str]:
    """The FEP-1b12 moderators collection: organisers, then members given a moderating role."""
    base = svc.config.base_url
    uris = [o.uri(base) for o in await actors.organizers(svc.db, hub.id)]
    return uris + [u for u in await store.moderator_uris(svc.db, hub.id) if u not in uris]


def _join(hub_uri: str, actor_uri: str, join_uri: str) -> JsonObject:
    return {"id": join_uri, "type": "Join", "actor": actor_uri, "object": hub_uri}


async def _answer_join(
    tx: Transaction, svc: Services, hub: LocalActor, kind: str, actor_uri: str, join_uri: str
) -> None:
    remote = await actors.get_remote_actor(svc.db, actor_uri)
    if remote is None:
        return  # a local account needs no answer
    hub_uri = hub.uri(svc.config.base_url)
    answer = compose.answer(
        kind, svc.new_activity_uri(), hub_uri, _join(hub_uri, actor_uri, join_uri)
    )
    await outbox.enqueue(tx, actor_id=hub.id, activity=answer, targets=[personal_target(remote)],
                         is_public=False, now=svc.clock.now())  # fmt: skip


async def join_received(
    svc: Services, hub: LocalActor, actor_uri: str, join_uri: str
) -> JoinOutcome:
    now = svc.clock.now()
    async with svc.db.transaction() as tx:
        existing = await store.member(tx, hub.id, actor_uri)
        silenced = await svc.blocked.quiets(actor_uri)  # its join waits for a moderator
        if await store.banned(tx, hub.id, actor_uri, now):
            state: JoinOutcome = "refused"  # banned: told so, and nothing recorded
        elif (
            (existing is not None and existing.state == "member")
            or (hub.join_policy == "open" and not silenced)
            or (existing and existing.state == "invited")
        ):
            state = "member"
        elif hub.join_policy == "approval" or silenced:
            state = "pending"
        else:
            state = "refused"
        if state == "refused":
            await _answer_join(tx, svc, hub, "Reject", actor_uri, join_uri)
        else:
            await store.save_member(tx, hub.id, actor_uri, state=state, now=now,
                                    join_activity_uri=join_uri)  # fmt: skip
        if state == "member":
            await _answer_join(tx, svc, hub, "Accept", actor_uri, join_uri)
            was_invited = existing is not None and existing.state == "invited"
            if was_invited and existing is not None and existing.role in MODERATING:
                await _announce_moderators(tx, svc, hub, "Add", actor_uri)
    svc.wake_delivery()
    return state


async def left(svc: Services, hub: LocalActor, actor_uri: str) -> bool:
    """Leaving a hub; on an open hub, where following is joining, it ends the following too."""
    async with svc.db.transaction() as tx:
        gone = await left_in(tx, svc, hub, actor_uri, unfollow=hub.join_policy == "open")
    svc.wake_delivery()
    return gone


async def left_in(
    tx: Transaction, svc: Services, hub: LocalActor, actor_uri: str, *, unfollow: bool
) -> bool:
    """`left` in the caller's transaction (a moderator's removal is logged in it too);
    `unfollow`: the follow ends as well. False if they were neither member nor follower."""
    gone = await store.remove_member(tx, hub.id, actor_uri)
    if gone is not None and gone.role in MODERATING and gone.state == "member":
        await _announce_moderators(tx, svc, hub, "Remove", actor_uri)
    unfollowed = unfollow and await follows.delete_follower(tx, hub.id, actor_uri)
    return gone is not None or bool(unfollowed)


async def answer_pending(svc: Services, hub: LocalActor, actor_uri: str, approve: bool) -> None:
    async with svc.db.transaction() as tx:
        pending = await store.member(tx, hub.id, actor_uri)  # read where two answers serialise
        if pending is None or pending.state != "pending":
            raise NotFound(
                "no pending request from %(actor)s to join %(hub)s",
                actor=actor_uri,
                hub=hub.username,
            )
        if approve:
            await store.save_member(tx, hub.id, actor_uri, state="member", now=svc.clock.now())
        else:
            await store.remove_member(tx, hub.id, actor_uri)
        if pending.join_activity_uri:
            kind = "Accept" if approve else "Reject"
            await _answer_join(tx, svc, hub, kind, actor_uri, pending.join_activity_uri)
    svc.wake_delivery()


async def find_person(svc: Services, given: str) -> str:
    """The actor id an organiser means: `@name@server` (looked up by WebFinger), a name on this
    instance (`maria`, `@maria`) or an actor id. What went wrong is said for people: no such
    account, a server we could not reach; what the socket said goes to the log."""
    given = given.strip()
    if not given:
        raise BadRequest("Write the address as @name@server.example, or a name on this server.")
    if len(given) > MAX_HANDLE_CHARS:
        raise BadRequest("That address is too long to be a fediverse address.")
    if given.startswith(("https://", "http://")):
        if given.startswith(svc.config.base_url + "/"):
            return _local_person(
                svc, given, await actors.actor_for_uri(svc.db, svc.config.base_url, given)
            )
    else:
        name, _, domain = given.removeprefix("@").partition("@")
        if not domain or domain.lower() in (svc.config.domain, svc.config.host):
            if not valid_username(name.lower()):
                raise BadRequest(
                    "Write the address as @name@server.example, or a name on this server."
                )
            return _local_person(svc, given, await actors.get_actor(svc.db, "person", name.lower()))
        try:
            following.parse_handle(given)
        except FedihubError as e:
            raise BadRequest(
                "Write the address as @name@server.example, or a name on this server."
            ) from e
    try:
        return (await following.resolve_handle_or_uri(svc, given)).uri
    except FetchError as e:
        log.info("looking up %s for an organiser: %s", given, e.message)
        if "WebFinger answered HTTP" in e.template and e.params.get("status") in (404, 410):
            raise NotFound("There is no account %(handle)s.", handle=given) from e
        if "not a public address" in e.template or "only https" in e.template:
            raise BadRequest("%(handle)s is not on a server we may contact.",
                             handle=given) from e  # fmt: skip
        raise FetchError(
            "We could not reach the server of %(handle)s. Check the address, or try again later.",
            handle=given,
        ) from e


def _local_person(svc: Services, given: str, found: LocalActor | None) -> str:
    if found is None or found.kind != "person":
        raise NotFound("There is no account %(handle)s on this server.", handle=given)
    return found.uri(svc.config.base_url)


async def set_member(
    svc: Services, hub: LocalActor, actor_uri: str, *, role: str = "member", invite: bool = False
) -> None:
    """Adds a member (or an invitation, on an invite hub) or changes a member's role. A change
    to who moderates goes to followers as Add/Remove on the moderators collection. An invitee on
    another server is sent an `Invite` (as Mobilizon sends: the hub invites them into itself,
    `target` naming them); they accept by joining (`Join`), as on any invite hub."""
    async with svc.db.transaction() as tx:
        await set_member_in(tx, svc, hub, actor_uri, role=role, invite=invite)
    svc.wake_delivery()


async def set_member_in(
    tx: Transaction, svc: Services, hub: LocalActor, actor_uri: str, *, role: str, invite: bool
) -> str | None:
    """`set_member` in the caller's transaction (a role change is logged in it too); returns
    the role they had before as a member (None: they were not one)."""
    if role not in ROLES:
        raise BadRequest("role: one of %(choices)s", choices=", ".join(ROLES))
    if not actor_uri.startswith(("https://", "http://")):
        raise BadRequest("%(uri)r is not an actor id (https://…)", uri=actor_uri)
    if await store.banned(tx, hub.id, actor_uri, svc.clock.now()):
        raise Forbidden("%(actor)s is banned from this hub: lift the ban first", actor=actor_uri)
    before = await store.member(tx, hub.id, actor_uri)
    state = "invited" if invite and (before is None or before.state != "member") else "member"
    await store.save_member(tx, hub.id, actor_uri, state=state, role=role, now=svc.clock.now())
    was_moderating = before is not None and before.state == "member" and before.role in MODERATING
    moderating = state == "member" and role in MODERATING
    if moderating != was_moderating:
        await _announce_moderators(tx, svc, hub, "Add" if moderating else "Remove", actor_uri)
    if state == "invited" and (before is None or before.state != "invited"):
        await _send_invite(tx, svc, hub, actor_uri)
    return before.role if before is not None and before.state == "member" else None


async def _send_invite(tx: Transaction, svc: Services, hub: LocalActor, actor_uri: str) -> None:
    remote = await actors.get_remote_actor(svc.db, actor_uri)
    if remote is None:
        return  # an account here sees its invitation on the hub's page
    hub_uri = hub.uri(svc.config.base_url)
    invite = {
        "@context": AS_CONTEXT,
        "id": svc.new_activity_uri(),
        "type": "Invite",
        "actor": hub_uri,
        "object": hub_uri,
        "target": actor_uri,
        "to": [actor_uri],
    }
    await outbox.enqueue(tx, actor_id=hub.id, activity=invite, targets=[personal_target(remote)],
                         is_public=False, now=svc.clock.now())  # fmt: skip


async def remove(svc: Services, hub: LocalActor, actor_uri: str) -> None:
    """An organiser removes a member (or takes back an invitation or request)."""
    if not await left(svc, hub, actor_uri):
        raise NotFound("%(actor)s is not a member of this hub", actor=actor_uri)


async def _announce_moderators(
    tx: Transaction, svc: Services, hub: LocalActor, kind: ModeratorsChange, actor_uri: str
) -> None:
    hub_uri = hub.uri(svc.config.base_url)
    activity = compose.moderators_change(svc.new_activity_uri(), kind, hub_uri, actor_uri)
    targets = await federate.follower_targets(svc, hub)
    await outbox.enqueue(tx, actor_id=hub.id, activity=activity, targets=targets, is_public=True,
                         now=svc.clock.now())  # fmt: skip


async def refuse_banned(svc: Services, hub: LocalActor, actor_uri: str) -> None:
    """Forbidden, saying so, if the hub's moderators banned this actor."""
    if await store.banned(svc.db, hub.id, actor_uri, svc.clock.now()):
        raise Forbidden("the moderators of %(hub)s have banned you from it", hub=hub.name)


# Accounts of this instance taking part in its hubs: the same rows and decisions as a remote
# actor's Follow and Join, recorded in-process (our inbox refuses activities claiming our own
# actors, and a request to ourselves would only make the same calls later).


@dataclass(frozen=True)
class Standing:
    """Where one of our accounts stands with a hub of ours, for its page's buttons."""

    following: str | None  # pending / accepted / rejected, None if not following
    member_state: str | None  # member / pending / invited, None if no membership row
    role: str | None  # its role while a member (organisers are admins)

    @property
    def is_member(self) -> bool:
        return self.role is not None

    @property
    def can_leave(self) -> bool:
        return self.following is not None or self.member_state is not None


async def standing(svc: Services, hub: LocalActor, person: LocalActor) -> Standing:
    uri = person.uri(svc.config.base_url)
    hub_uri = hub.uri(svc.config.base_url)
    state = next((s for u, s in await follows.following(svc.db, person.id) if u == hub_uri), None)
    row = await store.member(svc.db, hub.id, uri)
    role = await role_of(svc, hub, uri)
    if role is None and await is_member(svc, hub, uri):
        role = "member"  # an open hub's follower
    return Standing(state, row.state if row is not None else None, role)


async def join_local(svc: Services, hub: LocalActor, person: LocalActor) -> JoinOutcome:
    """One of our accounts joins one of our hubs: a member at once on an open hub (or when
    invited), a request for a moderator on an approval hub; it follows the hub as well, as
    joining means reading what the hub posts. Forbidden on an invite hub without an invitation."""
    if hub.kind != "group":
        raise BadRequest("only hubs can be joined")
    await refuse_banned(svc, hub, person.uri(svc.config.base_url))
    outcome = await join_received(svc, hub, person.uri(svc.config.base_url), svc.new_activity_uri())
    if outcome == "refused":
        raise Forbidden("%(hub)s takes only the people its organisers invite", hub=hub.name)
    await following.follow_local(svc, person, hub)
    return outcome


async def leave_local(svc: Services, hub: LocalActor, person: LocalActor) -> None:
    """One of our accounts leaves one of our hubs: its membership (or request) and its follow
    end together. NotFound if it was in neither."""
    base = svc.config.base_url
    was_member = await left(svc, hub, person.uri(base))
    was_following = await follows.follow_uri(svc.db, person.id, hub.uri(base)) is not None
    if was_following:
        await following.unfollow_local(svc, person, hub)
    if not (was_member or was_following):
        raise NotFound("you are not in %(hub)s", hub=hub.name)


@dataclass(frozen=True)
class MyHub:
    """A hub one of our accounts runs, is in, waits to join or follows (here or elsewhere)."""

    name: str
    url: str
    handle: str
    standing: str  # organiser / member / requested / invited / following / waiting


async def hubs_of(svc: Services, person: LocalActor) -> list[MyHub]:
    """What a person's home page lists: the hubs they run first, then those they are in or
    follow here, then the actors they follow on other servers."""
    base, domain = svc.config.base_url, svc.config.domain
    followed = dict(await follows.following(svc.db, person.id))
    mine: list[MyHub] = []
    for hub in await actors.list_actors(svc.db, "group"):
        hub_uri = hub.uri(base)
        follow_state = followed.pop(hub_uri, None)
        if await actors.is_organizer(svc.db, hub.id, person.id):
            label = "organiser"
        elif await is_member(svc, hub, person.uri(base)):
            label = "member"
        elif (row := await store.member(svc.db, hub.id, person.uri(base))) is not None:
            label = "requested" if row.state == "pending" else "invited"
        elif follow_state is not None:
            label = "following" if follow_state == "accepted" else "waiting"
        else:
            continue
        mine.append(MyHub(hub.name, hub.path(), f"@{hub.username}@{domain}", label))
    mine.sort(key=lambda h: (h.standing != "organiser", h.name.lower()))
    for uri, state in followed.items():
        label = "following" if state == "accepted" else "waiting"
        mine.append(MyHub(uri, uri, uri, label))
    return mine
