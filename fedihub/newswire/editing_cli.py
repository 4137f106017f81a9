"""`fedihub newswire` actions: submit, queue, approve, reject, unpublish, trust, distrust and
editor add|remove|list. The same capabilities the web's pages call; those that decide act as
an editor named with `--as`."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.commands import CommandMaker
from fedihub.moderation.authority import Moderator
from fedihub.newswire import editing, fields, service, store
from fedihub.newswire.editors import editor
from fedihub.services import Services

SUBMIT_FIELDS = ("headline", "summary", "link", "hub", "place", "language", "tags")


def _as(p: Any, who: str = "a newswire editor (or an admin)") -> None:
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME", help=who)


def _decision(p: Any) -> None:
    p.add_argument("item", type=int, help="the item's number (see `fedihub newswire queue`)")
    p.add_argument("--reason", required=True, help="why: shown in the public moderation log")
    p.add_argument("--clause", default="", help="the code of conduct's clause: '3' or 'instance:3'")
    _as(p)


def add_editing_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
    p = command(actions, "submit", "send an item to the newswire", _submit)
    p.add_argument("--headline", required=True)
    for name in SUBMIT_FIELDS[1:]:
        p.add_argument(f"--{name}", default="")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="submit as this account (else anonymously, as the web form)")  # fmt: skip
    command(actions, "queue", "items waiting for an editor, oldest first", _queue)
    p = command(actions, "approve", "publish a waiting item; its sender is trusted", _approve)
    p.add_argument("item", type=int)
    _as(p)
    _decision(command(actions, "reject", "turn down a waiting item (logged)", _reject))
    _decision(command(actions, "unpublish", "take back a published item (logged)", _unpublish))
    for name, what, run in (("trust", "publish what a source sends at once", _trust),
                            ("distrust", "hold what a source sends for an editor again",
                             _distrust)):  # fmt: skip
        p = command(actions, name, what, run)
        p.add_argument("source", help="@name@server, or an account's address")
        _as(p)
    editors = actions.add_parser("editor", help="the newswire's editors").add_subparsers(
        dest="editor_command", required=True, metavar="ACTION"
    )
    changes = (("add", "name an account here an editor", _add_editor),
               ("remove", "an account is no longer an editor", _remove_editor))  # fmt: skip
    for name, what, run in changes:
        p = command(editors, name, what, run)
        p.add_argument("username")
        _as(p, "an admin of this instance")
    command(editors, "list", "the editors and the trusted sources", _list_editors)


async def _editor(svc: Services, args: argparse.Namespace) -> Moderator:
    return await editor(svc, await require_account(svc.db, args.as_user))


async def _submit(svc: Services, args: argparse.Namespace) -> None:
    submitter = ""
    if args.as_user:
        account = await require_account(svc.db, args.as_user)
        submitter = account.actor.uri(svc.config.base_url)
    values = {name: getattr(args, name) or "" for name in SUBMIT_FIELDS}
    item = await service.submit(svc, fields.read_form(values, origin="web",
                                                      submitter_uri=submitter))  # fmt: skip
    print(f"item {item.id}: {item.state} {item.object_uri}")


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M")


async def _queue(svc: Services, args: argparse.Namespace) -> None:
    for item in await store.queued(svc.db):
        contact = await store.contact_of(svc.db, item.id) if item.origin == "web" else None
        sender = item.submitter_uri or contact or "anonymous"
        print(f"{item.id}\t{_when(item.submitted_at)}\t{item.origin}\t{sender}\t{item.headline!r}"
              f"\t{item.link or item.object_uri}")  # fmt: skip


async def _approve(svc: Services, args: argparse.Namespace) -> None:
    item = await service.approve(svc, await _editor(svc, args), args.item)
    print(f"item {item.id}: published {item.object_uri}")


async def _reject(svc: Services, args: argparse.Namespace) -> None:
    item = await service.reject(svc, await _editor(svc, args), args.item, args.reason, args.clause)
    print(f"item {item.id}: rejected")


async def _unpublish(svc: Services, args: argparse.Namespace) -> None:
    by = await _editor(svc, args)
    item = await service.unpublish(svc, by, args.item, args.reason, args.clause)
    print(f"item {item.id}: unpublished")


async def _trust(svc: Services, args: argparse.Namespace) -> None:
    print(f"trusted {await editing.trust(svc, await _editor(svc, args), args.source)}")


async def _distrust(svc: Services, args: argparse.Namespace) -> None:
    print(f"no longer trusted {await editing.distrust(svc, await _editor(svc, args), args.source)}")


async def _add_editor(svc: Services, args: argparse.Namespace) -> None:
    admin = await require_account(svc.db, args.as_user)
    named = await editing.add_editor(svc, admin, args.username)
    print(f"{named.actor.username} is a newswire editor")


async def _remove_editor(svc: Services, args: argparse.Namespace) -> None:
    admin = await require_account(svc.db, args.as_user)
    removed = await editing.remove_editor(svc, admin, args.username)
    print(f"{args.username} {'is no longer' if removed else 'was not'} a newswire editor")


async def _list_editors(svc: Services, args: argparse.Namespace) -> None:
    for name in await store.editor_names(svc.db):
        print(f"editor\t{name}")
    for source in await editing.trusted_sources(svc):
        print(f"trusted\t{source.actor_uri}\t{source.trusted_by}\t{_when(source.trusted_at)}")
