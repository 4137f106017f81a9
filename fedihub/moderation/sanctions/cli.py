"""`fedihub hub ban|unban|warn` and `fedihub account suspend|unsuspend`: actions on people,
each as a named account (`--as`), with a reason and the clause of the code it applies."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.groups.membership import find_person
from fedihub.hubs.service import require_hub
from fedihub.moderation.authority import local_moderator
from fedihub.moderation.sanctions import service
from fedihub.moderation.sanctions.service import Sanction
from fedihub.services import Services


def _sanction_arguments(p: argparse.ArgumentParser, *, reason_required: bool = True) -> None:
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--reason", required=reason_required, default="",
                   help="why: shown in the public log")  # fmt: skip
    p.add_argument("--clause", default="", help="the code of conduct's clause: 3, hub:3, …")
    p.add_argument("--report", type=int, help="the report this answers (it is resolved)")


def add_sanction_commands(hub: Any, account: Any, command: CommandMaker) -> None:
    for name, help_text, run in (
        ("ban", "ban someone from a hub: their server is told, a new Follow refused", _ban),
        ("unban", "lift a ban", _unban),
        ("warn", "warn someone: a direct message from the hub, logged", _warn),
    ):
        p = command(hub, name, help_text, run)
        p.add_argument("hub")
        p.add_argument("who", help="@name@server, a name here, or an actor id")
        _sanction_arguments(p, reason_required=name != "unban")
        if name == "ban":
            p.add_argument("--days", type=int, help="how long (none: until lifted)")
    p = command(account, "suspend", "suspend an account here (admins)", _suspend)
    p.add_argument("username")
    _sanction_arguments(p)
    p = command(account, "unsuspend", "lift an account's suspension (admins)", _unsuspend)
    p.add_argument("username")
    _sanction_arguments(p, reason_required=False)


def _said(args: argparse.Namespace) -> Sanction:
    return Sanction(args.reason, args.clause, args.report)


async def _in_hub(svc: Services, args: argparse.Namespace) -> tuple[Any, Any, str]:
    hub = await require_hub(svc.db, args.hub)
    by = await local_moderator(svc, await require_account(svc.db, args.as_user), hub)
    return hub, by, await find_person(svc, args.who)


async def _ban(svc: Services, args: argparse.Namespace) -> None:
    hub, by, uri = await _in_hub(svc, args)
    days = service.read_days(args.days)
    entry = await service.ban(svc, by, hub, uri, _said(args), days)
    print(f"banned {uri} from {hub.username} (log entry {entry})")


async def _unban(svc: Services, args: argparse.Namespace) -> None:
    hub, by, uri = await _in_hub(svc, args)
    entry = await service.unban(svc, by, hub, uri, _said(args))
    print(f"lifted the ban of {uri} from {hub.username} (log entry {entry})")


async def _warn(svc: Services, args: argparse.Namespace) -> None:
    hub, by, uri = await _in_hub(svc, args)
    entry = await service.warn(svc, by, hub, uri, _said(args))
    print(f"warned {uri} (log entry {entry})")


async def _admin(svc: Services, args: argparse.Namespace) -> tuple[Any, Any]:
    by = await local_moderator(svc, await require_account(svc.db, args.as_user), None)
    return by, await service.account_named(svc, args.username.lower())


async def _suspend(svc: Services, args: argparse.Namespace) -> None:
    by, account = await _admin(svc, args)
    entry = await service.suspend(svc, by, account, _said(args))
    print(f"suspended {account.actor.username} (log entry {entry})")


async def _unsuspend(svc: Services, args: argparse.Namespace) -> None:
    by, account = await _admin(svc, args)
    entry = await service.unsuspend(svc, by, account, _said(args))
    print(f"unsuspended {account.actor.username} (log entry {entry})")
