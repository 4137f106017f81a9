"""`fedihub hub create|list`; groups/ and webfeeds/ add their own `hub` actions."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.actors import store
from fedihub.actors.model import JOIN_POLICIES
from fedihub.commands import CommandMaker
from fedihub.hubs import service as hubs
from fedihub.services import Services


def add_hub_commands(sub: Any, command: CommandMaker) -> Any:
    """Returns the `hub` group, for other capabilities' actions."""
    hub = sub.add_parser("hub", help="create, list and run hubs").add_subparsers(
        dest="hub_command", required=True, metavar="ACTION"
    )
    p = command(hub, "create", "create a hub (a Group actor)", _create)
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--summary", default="")
    p.add_argument(
        "--approve-followers",
        action="store_true",
        help="hold follow requests until an organiser approves them",
    )
    p.add_argument("--organizer", metavar="USERNAME", help="an account that may post as the hub")
    p.add_argument("--timezone", default="UTC", help="IANA zone its events and calls are shown in")
    p.add_argument(
        "--languages", default="en", help="what it writes in, its usual one first: 'es en'"
    )
    p.add_argument("--join-policy", choices=JOIN_POLICIES, default="open")
    command(hub, "list", "list this instance's hubs", _list)
    return hub


async def _create(svc: Services, args: argparse.Namespace) -> None:
    db = svc.db
    organizer = await accounts.require_account(db, args.organizer) if args.organizer else None
    await hubs.create_hub(
        db,
        args.slug,
        name=args.name,
        summary=args.summary,
        approve_followers=args.approve_followers,
        organizer=organizer,
        timezone=args.timezone,
        languages=args.languages,
        join_policy=args.join_policy,
        clock=svc.clock,
    )
    print(f"created hub @{args.slug}@{svc.config.domain} at {svc.config.base_url}/hubs/{args.slug}")


async def _list(svc: Services, args: argparse.Namespace) -> None:
    for hub in await store.list_actors(svc.db, "group"):
        print(f"{hub.username}\t@{hub.username}@{svc.config.domain}\t{hub.name}")
