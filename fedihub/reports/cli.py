"""`fedihub reports list|resolve|forward`: reports from other servers and from our own form, for
hubs' moderators and admins."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.hubs.service import require_hub
from fedihub.moderation import reporting
from fedihub.moderation.authority import local_moderator
from fedihub.reports import store
from fedihub.services import Services


def add_report_commands(sub: Any, command: CommandMaker) -> None:
    reports = sub.add_parser("reports", help="reports from anyone").add_subparsers(
        dest="reports_command", required=True, metavar="ACTION"
    )
    p = command(reports, "list", "open reports about a hub (or, without --hub, the admins')",
                _list)  # fmt: skip
    p.add_argument("--hub")
    p = command(reports, "resolve", "say what was done about a report (logged)", _resolve)
    p.add_argument("report", type=int)
    p.add_argument("--hub", help="the hub it is about (none: a report for the admins)")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--note", "--reason", dest="note", required=True,
                   help="what was done: in the public log, with your name")  # fmt: skip
    p.add_argument("--clause", default="", help="the clause of the code it applies, if any")
    p = command(reports, "forward", "send a report on to the server it is about", _forward)
    p.add_argument("report", type=int)
    p.add_argument("--as", dest="as_user", required=True, metavar="ADMIN")
    p.add_argument("--reason", required=True, help="why: in the public log")


async def _list(svc: Services, args: argparse.Namespace) -> None:
    hub_id = (await require_hub(svc.db, args.hub)).id if args.hub else None
    for r in await store.open_reports(svc.db, hub_id):
        when = dt.datetime.fromtimestamp(r.received_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        who = r.reporter_uri or (f"@{r.reporter_name}" if r.reporter_name else "anonymous")
        sent = "forwarded" if r.forwarded_at is not None else "-"
        print(f"{r.id}\t{when}\t{r.source}\t{who}\t{' '.join(r.objects)}\t{r.clause or '-'}"
              f"\t{sent}\t{r.comment!r}")  # fmt: skip


async def _resolve(svc: Services, args: argparse.Namespace) -> None:
    account = await require_account(svc.db, args.as_user)
    hub = await require_hub(svc.db, args.hub) if args.hub else None
    by = await local_moderator(svc, account, hub)
    await reporting.resolve(svc, by, args.report, args.note, args.clause)
    print(f"resolved report {args.report}")


async def _forward(svc: Services, args: argparse.Namespace) -> None:
    account = await require_account(svc.db, args.as_user)
    by = await local_moderator(svc, account, None)
    servers = await reporting.forward(svc, by, args.report, args.reason)
    print(f"report {args.report} sent to {servers} server(s)")
