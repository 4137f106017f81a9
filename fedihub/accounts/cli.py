"""`fedihub account create|reset-link|invite`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.accounts import sessions
from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest
from fedihub.services import Services


def add_account_commands(sub: Any, command: CommandMaker) -> Any:
    """Returns the `account` group, for other capabilities' actions."""
    account = sub.add_parser("account", help="manage accounts").add_subparsers(
        dest="account_command", required=True, metavar="ACTION"
    )
    p = command(account, "create", "create an account (a Person actor)", _create)
    p.add_argument("username")
    p.add_argument("--admin", action="store_true")
    p.add_argument("--password-file", type=Path, help="read the password from this file")
    p = command(account, "reset-link", "print a one-time link to choose a new password", _reset)
    p.add_argument("username")
    p = command(account, "invite", "print an invitation link (sign-up by invitation)", _invite)
    p.add_argument("--uses", type=int, default=1)
    p.add_argument("--days", type=float, default=7.0)
    return account


def _read_password(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadRequest("no terminal to ask for a password: use --password-file")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise BadRequest("the passwords differ")
    return first


async def _create(svc: Services, args: argparse.Namespace) -> None:
    password = _read_password(args.password_file)
    await accounts.create_account(
        svc.db, args.username, password, is_admin=args.admin, clock=svc.clock
    )
    print(f"created account @{args.username}@{svc.config.domain}")


async def _reset(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.username)
    token = await sessions.create_reset(svc.db, svc.clock, account.actor.id)
    print(f"{svc.config.base_url}/reset/{token}  (valid {sessions.RESET_HOURS} hours, once)")


async def _invite(svc: Services, args: argparse.Namespace) -> None:
    if not 1 <= args.uses <= 10_000 or not 0 < args.days <= 365:
        raise BadRequest("--uses 1 to 10000, --days up to 365")
    code = await sessions.create_invitation(svc.db, svc.clock, args.uses, args.days)
    print(f"{svc.config.base_url}/signup?invite={code}")
