"""`fedihub appeals list|decide`: appeals waiting for a review, and the decision on one."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.hubs.service import require_hub
from fedihub.moderation.appeals import service
from fedihub.services import Services


def add_appeal_commands(sub: Any, command: CommandMaker) -> None:
    appeals = sub.add_parser("appeals", help="appeals of moderation decisions").add_subparsers(
        dest="appeals_command", required=True, metavar="ACTION"
    )
    p = command(appeals, "list", "appeals waiting for a review: a hub's, or (without --hub) of"
                " the instance's own decisions", _list)  # fmt: skip
    p.add_argument("--hub")
    p = command(appeals, "decide", "uphold or overturn an appeal (another moderator than the"
                " one who took the decision)", _decide)  # fmt: skip
    p.add_argument("appeal", type=int)
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--uphold", dest="decision", action="store_const", const="uphold")
    choice.add_argument("--overturn", dest="decision", action="store_const", const="overturn")
    p.add_argument("--note", required=True, help="why: sent to the person, shown in the log")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")


async def _list(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub) if args.hub else None
    for appeal, entry in await service.open_for(svc, hub):
        when = dt.datetime.fromtimestamp(appeal.received_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{appeal.id}\t{when}\t{entry.action} by {entry.by_label}\t{appeal.appellant_uri}"
              f"\t{appeal.text!r}")  # fmt: skip


async def _decide(svc: Services, args: argparse.Namespace) -> None:
    account = await require_account(svc.db, args.as_user)
    _, hub = await service.scope_of(svc, args.appeal)
    decided, undone = await service.decide(svc, account, hub, args.appeal, args.decision,
                                           args.note)  # fmt: skip
    done = " and undone" if undone else ""
    print(f"appeal {decided.id}: {decided.decision}{done}")
