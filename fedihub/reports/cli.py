"""`fedihub reports list|resolve`: reports other servers sent, for hubs' moderators and admins."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from fedihub.accounts.service import require_account, require_can_act_for
from fedihub.commands import CommandMaker
from fedihub.errors import Forbidden
from fedihub.hubs.service import require_hub
from fedihub.reports import service, store
from fedihub.services import Services


def add_report_commands(sub: Any, command: CommandMaker) -> None:
    reports = sub.add_parser("reports", help="reports from other servers").add_subparsers(
        dest="reports_command", required=True, metavar="ACTION"
    )
    p = command(reports, "list", "open reports about a hub (or, without --hub, people)", _list)
    p.add_argument("--hub")
    p = command(reports, "resolve", "say what was done about a report", _resolve)
    p.add_argument("report", type=int)
    p.add_argument("--hub", help="the hub it is about (none: a report about a person)")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--note", required=True, help="what was done: kept with your name")


async def _hub_id(svc: Services, slug: str | None) -> int | None:
    return (await require_hub(svc.db, slug)).id if slug else None


async def _list(svc: Services, args: argparse.Namespace) -> None:
    for r in await store.open_reports(svc.db, await _hub_id(svc, args.hub)):
        when = dt.datetime.fromtimestamp(r.received_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{r.id}\t{when}\t{r.reporter_uri}\t{' '.join(r.objects)}\t{r.comment!r}")


async def _resolve(svc: Services, args: argparse.Namespace) -> None:
    account = await require_account(svc.db, args.as_user)
    if args.hub:
        await require_can_act_for(svc.db, account, await require_hub(svc.db, args.hub))
    elif not account.is_admin:
        raise Forbidden("reports about people are for the instance's admins")
    resolved = await service.resolve(svc, args.report, await _hub_id(svc, args.hub),
                                     account.actor.username, args.note)  # fmt: skip
    print(f"resolved report {resolved.id}")
