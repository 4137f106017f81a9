"""`fedihub hub feed add|remove|list`: the websites whose feeds a hub publishes."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest, NotFound
from fedihub.hubs.service import require_hub
from fedihub.services import Services
from fedihub.webfeeds import store
from fedihub.webfeeds.service import add_feed


def add_feed_commands(hub: Any, command: CommandMaker) -> None:
    p = command(hub, "feed", "publish a website's RSS or Atom feed in a hub", _feed)
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("hub")
    p.add_argument("url", nargs="?")


async def _feed(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    if args.action == "list":
        for s in await store.sources(svc.db, hub.id):
            state = f"failing ({s.failures}): {s.last_error}" if s.failures else "ok"
            print(f"{s.url}\t{s.title or ''}\t{state}")
        return
    if not args.url:
        raise BadRequest("feed %(action)s needs the feed's URL", action=args.action)
    if args.action == "add":
        added = await add_feed(svc, hub, args.url)
        print(f"{hub.username} will publish {args.url}" if added else "already subscribed")
    elif await store.remove(svc.db, hub.id, args.url):
        print(f"removed {args.url}")
    else:
        raise NotFound("%(hub)s does not import %(url)s", hub=hub.username, url=args.url)
