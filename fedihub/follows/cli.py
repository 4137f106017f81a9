"""`fedihub followers|follow-requests|follow|unfollow|following|join|leave`."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.actors.model import LocalActor
from fedihub.commands import CommandMaker, local_actor
from fedihub.errors import BadRequest
from fedihub.follows import service as follows
from fedihub.follows import store
from fedihub.groups import membership
from fedihub.hubs.service import require_hub
from fedihub.services import Services


def add_follow_commands(sub: Any, command: CommandMaker) -> None:
    p = command(sub, "followers", "list a hub's followers", _followers)
    p.add_argument("hub")

    p = command(
        sub, "follow-requests", "list, approve or reject follow requests to a hub", _follow_requests
    )
    p.add_argument("action", choices=["list", "approve", "reject"])
    p.add_argument("hub")
    p.add_argument("actor", nargs="?", help="the requesting actor's id (for approve/reject)")

    for name, text, run in (
        ("follow", "make a local hub or account follow a remote actor", _follow),
        ("unfollow", "stop following a remote actor", _unfollow),
        ("following", "list whom a local hub or account follows, with each state", _following),
    ):
        p = command(sub, name, text, run)
        p.add_argument("--as", dest="as_actor", required=True, metavar="SLUG_OR_USERNAME")
        if name != "following":
            p.add_argument("handle", help="@name@host or an actor URL")

    for name, text, run in (
        ("join", "an account joins a hub of this instance (asks, on an approval hub)", _join),
        ("leave", "an account leaves a hub of this instance", _leave),
    ):
        p = command(sub, name, text, run)
        p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
        p.add_argument("hub", help="the hub's name here, @name@this.host or its URL")


async def _followers(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    for uri in await follows.list_followers(svc, hub, "accepted"):
        print(uri)


async def _follow_requests(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    if args.action == "list":
        for uri in await follows.list_followers(svc, hub, "pending"):
            print(uri)
        return
    if not args.actor:
        raise BadRequest(
            "follow-requests %(action)s needs the requesting actor's id", action=args.action
        )
    await follows.answer_request(svc, hub, args.actor, approve=args.action == "approve")
    print(f"{args.action}d {args.actor}")


async def _follow(svc: Services, args: argparse.Namespace) -> None:
    local = await local_actor(svc, args.as_actor)
    followed = await follows.follow(svc, local, args.handle)
    if followed.state == "accepted":
        print(f"{local.username} follows {followed.uri}")
    elif await follows.local_target(svc, args.handle) is not None:
        print(f"{local.username} asked to follow {followed.uri} (its organisers decide)")
    else:
        print(f"{local.username} followed {followed.uri} (waiting for the Accept)")


async def _unfollow(svc: Services, args: argparse.Namespace) -> None:
    local = await local_actor(svc, args.as_actor)
    print(f"{local.username} unfollowed {await follows.unfollow(svc, local, args.handle)}")


async def _hub_here(svc: Services, given: str) -> LocalActor:
    """A hub of this instance, by its name here, its handle or its URL."""
    if "@" not in given and not given.startswith(("https://", "http://")):
        return await require_hub(svc.db, given)
    hub = await follows.local_target(svc, given)
    if hub is None or hub.kind != "group":
        raise BadRequest(
            "%(hub)s is not a hub of this instance: follow hubs elsewhere with fedihub follow",
            hub=given,
        )
    return hub


async def _join(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.as_user)
    hub = await _hub_here(svc, args.hub)
    outcome = await membership.join_local(svc, hub, account.actor)
    said = "joined" if outcome == "member" else "asked to join (a moderator decides)"
    print(f"{args.as_user} {said} {hub.username}")


async def _leave(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.as_user)
    hub = await _hub_here(svc, args.hub)
    await membership.leave_local(svc, hub, account.actor)
    print(f"{args.as_user} left {hub.username}")


async def _following(svc: Services, args: argparse.Namespace) -> None:
    local = await local_actor(svc, args.as_actor)
    for actor_uri, state in await store.following(svc.db, local.id):
        print(f"{state}\t{actor_uri}")
