"""`fedihub newswire` actions: follow and unfollow other instances' newswires."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.newswire.editors import editor
from fedihub.newswire.sharing import service
from fedihub.services import Services


def add_sharing_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
    p = command(actions, "follow", "follow another instance's newswire and pass on its items",
                _follow)  # fmt: skip
    p.add_argument("newswire", metavar="HANDLE_OR_URI", help="newswire@example.org or its URI")
    p.add_argument("--tags", default="", help="only items with one of these tags: a,b")
    p.add_argument("--languages", default="", help="only items in these languages: es,en")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p = command(actions, "unfollow", "stop following another instance's newswire", _unfollow)
    p.add_argument("newswire", metavar="HANDLE_OR_URI")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    command(actions, "following", "the newswires ours follows, with their filters", _following)


async def _follow(svc: Services, args: argparse.Namespace) -> None:
    by = await editor(svc, await require_account(svc.db, args.as_user))
    share = await service.follow(svc, by, args.newswire, args.tags, args.languages)
    print(f"following {share.newswire_uri} ({share.state or 'pending'})")


async def _unfollow(svc: Services, args: argparse.Namespace) -> None:
    by = await editor(svc, await require_account(svc.db, args.as_user))
    print(f"no longer following {await service.unfollow(svc, by, args.newswire)}")


async def _following(svc: Services, args: argparse.Namespace) -> None:
    for share in await service.shares(svc):
        tags = ",".join(share.tags) or "all tags"
        languages = ",".join(share.languages) or "all languages"
        print(f"{share.newswire_uri}\t{share.state or '-'}\t{tags}\t{languages}")
