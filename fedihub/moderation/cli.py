"""`fedihub conduct set|show`: codes of conduct from the command line, the same capability the
web's editing pages call (a new version, logged as `conduct_change`)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.actors.model import LocalActor
from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest, NotFound
from fedihub.hubs.service import require_hub
from fedihub.moderation import conduct
from fedihub.moderation import store as codes
from fedihub.moderation.authority import local_moderator
from fedihub.services import Services


def add_conduct_commands(sub: Any, command: CommandMaker) -> None:
    parent = sub.add_parser("conduct", help="codes of conduct: the instance's and hubs'")
    actions = parent.add_subparsers(dest="conduct_command", required=True, metavar="ACTION")
    p = command(actions, "set", "a new version of a code of conduct, from a Markdown file"
                " (number the rules 1., 2., 3.: moderators cite them by number)", _set)  # fmt: skip
    p.add_argument("--hub", help="the hub's own code (none: the instance's, admins only)")
    p.add_argument("--file", type=Path, required=True, metavar="FILE")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p = command(actions, "show", "print a code of conduct and its clauses", _show)
    p.add_argument("--hub")
    p.add_argument("--version", type=int, help="an earlier version (default: the current)")


async def _hub(svc: Services, slug: str | None) -> LocalActor | None:
    return await require_hub(svc.db, slug) if slug else None


async def _set(svc: Services, args: argparse.Namespace) -> None:
    hub = await _hub(svc, args.hub)
    moderator = await local_moderator(svc, await require_account(svc.db, args.as_user), hub)
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadRequest(
            "cannot read %(file)s: %(error)s", file=str(args.file), error=str(e)
        ) from e
    version = await conduct.set_code(svc, moderator, hub, text)
    where = f"{hub.username}'s code" if hub else "the instance's code"
    print(f"{where} is at version {version}")


async def _show(svc: Services, args: argparse.Namespace) -> None:
    hub = await _hub(svc, args.hub)
    scope = conduct.scope_of(hub)
    if args.version is not None:
        code = await codes.code_version(svc.db, scope, args.version)
    else:
        code = await codes.current_code(svc.db, scope)
    if code is None:
        raise NotFound("no such code of conduct (version)")
    when = dt.datetime.fromtimestamp(code.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
    print(f"version {code.version}, {when} UTC, by {code.created_by}\n")
    print(code.text)
    clauses = conduct.clauses(code, "hub" if hub else "instance")
    if clauses:
        print("\nclauses moderators cite (--clause):")
        for clause in clauses:
            print(f"  {clause.value}\t{clause.label}")
