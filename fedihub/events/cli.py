"""`fedihub event join|leave|participants` and `fedihub rsvp`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest
from fedihub.events import participation, roster
from fedihub.hubs.service import require_hub
from fedihub.posts.service import local_post, require_post
from fedihub.services import Services


def add_event_commands(sub: Any, command: CommandMaker) -> None:
    p = command(sub, "event", "take part in an event, or list its participants (CSV)", _event)
    p.add_argument("action", choices=["join", "leave", "participants"])
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="the account (join/leave)")

    p = command(sub, "rsvp", "go to an event (or give the place up), here or on any server", _rsvp)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("event", help="the event's URL (here or elsewhere)")
    p.add_argument("action", choices=["join", "leave"])
    p.add_argument("--message", default="", help="a note for the organisers (join)")


async def _event(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    post = await require_post(svc, hub, args.post_id)
    if args.action == "participants":  # the same spreadsheet-safe list organisers download
        sys.stdout.write(roster.participants_csv(await roster.participants(svc, post)))
        return
    if not args.as_user:
        raise BadRequest("event %(action)s needs --as USERNAME", action=args.action)
    account = await accounts.require_account(svc.db, args.as_user)
    actor_uri = account.actor.uri(svc.config.base_url)
    now = svc.clock.now()
    if args.action == "join":
        state = await participation.join(svc, hub, post, actor_uri, svc.new_activity_uri(), now)
        print(f"{args.as_user}: {state}")
    else:
        left = await participation.leave(svc, hub, post, actor_uri, now)
        print(f"{args.as_user}: {'left' if left else 'was not taking part'}")


async def _rsvp(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.as_user)
    target = await local_post(svc, args.event)
    if target is None:
        sent_to = await participation.rsvp_remote(
            svc, account, args.event, args.action, message=args.message
        )
        print(f"sent {args.action.capitalize()} to {sent_to}")
        return
    hub, post = target
    actor_uri, now = account.actor.uri(svc.config.base_url), svc.clock.now()
    if args.action == "join":
        state = await participation.join(
            svc, hub, post, actor_uri, svc.new_activity_uri(), now, message=args.message
        )
        print(f"{args.as_user}: {state}")
    else:
        left = await participation.leave(svc, hub, post, actor_uri, now)
        print(f"{args.as_user}: {'left' if left else 'was not taking part'}")
