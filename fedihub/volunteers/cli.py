"""`fedihub volunteers export|expire`: a hub's volunteers as CSV for its coordinators, and the
deletion of those whose consent has run out (the scheduler does it too, by itself). The export
is personal data: it is audited (by no one: the command line), and a file it writes is the
owner's alone (0600)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from fedihub.commands import CommandMaker
from fedihub.hubs.service import require_hub
from fedihub.services import Services
from fedihub.volunteers import coordination


def add_volunteer_commands(sub: Any, command: CommandMaker) -> None:
    parent = sub.add_parser("volunteers", help="a hub's relief effort: export, expiry")
    actions = parent.add_subparsers(dest="volunteers_command", required=True, metavar="ACTION")
    p = command(actions, "export", "write a hub's volunteers as CSV, to standard output or to"
                " --output FILE (audited)", _export)  # fmt: skip
    p.add_argument("hub", metavar="SLUG")
    p.add_argument("--output", type=Path, default=None, metavar="FILE",
                   help="a new file, readable by its owner only")  # fmt: skip
    command(actions, "expire", "delete now every volunteer whose consent has run out", _expire)


async def _export(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    # Opened before the export is made (and audited): a file that exists is refused first.
    # O_EXCL: never over another file, nor through a symbolic link someone left there.
    fd = None if args.output is None else os.open(
        args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # fmt: skip
    text = await coordination.export(svc, hub, None)
    if fd is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(_write, fd, text)


def _write(fd: int, text: str) -> None:
    with open(fd, "w", encoding="utf-8", newline="") as out:
        out.write(text)


async def _expire(svc: Services, args: argparse.Namespace) -> None:
    deleted = await coordination.expire(svc, svc.clock.now())
    print(f"deleted {deleted} volunteers whose consent had run out")
