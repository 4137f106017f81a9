"""`fedihub followers|follow-requests|follow|unfollow|following`."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.commands import CommandMaker, local_actor
from fedihub.errors import BadRequest
from fedihub.follows import service as follows
from fedihub.follows import store
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
    target = await follows.follow(svc, local, args.handle)
    print(f"{local.username} followed {target.uri} (waiting for the Accept)")


async def _unfollow(svc: Services, args: argparse.Namespace) -> None:
    local = await local_actor(svc, args.as_actor)
    target = await follows.unfollow(svc, local, args.handle)
    print(f"{local.username} unfollowed {target.uri}")


async def _following(svc: Services, args: argparse.Namespace) -> None:
    local = await local_actor(svc, args.as_actor)
    for actor_uri, state in await store.following(svc.db, local.id):
        print(f"{state}\t{actor_uri}")
