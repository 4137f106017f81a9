"""`fedihub domain block|unblock|list|subscribe|unsubscribe` and `fedihub actor
block|silence|unblock`: the instance's admins block servers and accounts."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.moderation import conduct
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.blocking import lists, service, store
from fedihub.services import Services


def _acting(p: Any, *, reason_required: bool) -> None:
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME",
                   help="an admin of this instance")  # fmt: skip
    p.add_argument("--reason", required=reason_required, default="",
                   help="why: shown in the public moderation log")  # fmt: skip
    p.add_argument("--clause", default="", help="the code of conduct's clause: '3' or 'instance:3'")
    p.add_argument("--report", type=int, help="the report this answers (it is resolved)")


def add_blocking_commands(sub: Any, command: CommandMaker) -> None:
    domain = sub.add_parser("domain", help="block or silence whole servers").add_subparsers(
        dest="domain_command", required=True, metavar="ACTION"
    )
    p = command(domain, "block", "block (or silence) a server and its subdomains", _block_domain)
    p.add_argument("host")
    p.add_argument("--severity", choices=["block", "silence"], default="block")
    p.add_argument(
        "--public-comment", default="", help="what the public log shows (default: the reason)"
    )
    _acting(p, reason_required=True)
    p = command(domain, "unblock", "lift a server's block or silence", _unblock_domain)
    p.add_argument("host")
    _acting(p, reason_required=False)
    command(domain, "list", "blocked and silenced servers and accounts, and block lists", _list)
    p = command(domain, "subscribe", "follow another instance's block list (CSV)", _subscribe)
    p.add_argument("url")
    _acting(p, reason_required=False)
    p = command(domain, "unsubscribe", "stop following a block list; lift its blocks", _unsub)
    p.add_argument("url")
    _acting(p, reason_required=False)

    actor = sub.add_parser("actor", help="block or silence one account").add_subparsers(
        dest="actor_command", required=True, metavar="ACTION"
    )
    for name, what in (("block", "block"), ("silence", "silence")):
        p = command(actor, name, f"{what} an account (URI or @name@server)", _block_actor)
        p.add_argument("actor")
        p.set_defaults(severity=name)
        _acting(p, reason_required=True)
    p = command(actor, "unblock", "lift an account's block or silence", _unblock_actor)
    p.add_argument("actor")
    _acting(p, reason_required=False)


async def _admin(
    svc: Services, args: argparse.Namespace, *, lifting: bool = False
) -> tuple[Moderator, str]:
    """The admin acting, and the clause they cite (read against the instance's code; needed
    to block, not to lift a block)."""
    by = await local_moderator(svc, await require_account(svc.db, args.as_user), None)
    if lifting and not args.clause:
        return by, ""
    return by, await conduct.read_clause(svc, None, args.clause)


async def _block_domain(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args)
    host = await service.block_domain(svc, by, args.host, service.read_severity(args.severity),
                                      reason=args.reason, public_comment=args.public_comment,
                                      clause=clause, report_id=args.report)  # fmt: skip
    print(f"{'blocked' if args.severity == 'block' else 'silenced'} {host}")


async def _unblock_domain(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args, lifting=True)
    host = await service.unblock_domain(svc, by, args.host, reason=args.reason, clause=clause,
                                        report_id=args.report)  # fmt: skip
    print(f"unblocked {host}")


async def _block_actor(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args)
    uri = await service.block_actor(svc, by, args.actor, service.read_severity(args.severity),
                                    reason=args.reason, clause=clause,
                                    report_id=args.report)  # fmt: skip
    print(f"{'blocked' if args.severity == 'block' else 'silenced'} {uri}")


async def _unblock_actor(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args, lifting=True)
    uri = await service.unblock_actor(svc, by, args.actor, reason=args.reason, clause=clause,
                                      report_id=args.report)  # fmt: skip
    print(f"unblocked {uri}")


async def _subscribe(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args, lifting=True)
    counts = await lists.subscribe(svc, by, args.url, reason=args.reason, clause=clause)
    print(f"subscribed to {args.url.strip()}: " + ", ".join(f"{n} {w}" for w, n in counts.items()))


async def _unsub(svc: Services, args: argparse.Namespace) -> None:
    by, clause = await _admin(svc, args, lifting=True)
    lifted = await lists.unsubscribe(svc, by, args.url, reason=args.reason, clause=clause)
    print(f"unsubscribed from {args.url.strip()}: {lifted} lifted")


def _when(at: float | None) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M") if at else "never"


async def _list(svc: Services, args: argparse.Namespace) -> None:
    for h in await store.host_blocks(svc.db):
        print(f"domain\t{h.host}\t{h.severity}\t{h.source or 'by hand'}\t{h.public_comment!r}")
    for a in await store.actor_blocks(svc.db):
        print(f"actor\t{a.uri}\t{a.severity}\t{a.reason!r}")
    for s in await store.subscriptions(svc.db):
        problem = f"\tfailing ({s.failures}): {s.last_error}" if s.failures else ""
        print(f"list\t{s.url}\t{s.entries} entries, {s.skipped} skipped\t"
              f"fetched {_when(s.fetched_at)}{problem}")  # fmt: skip
