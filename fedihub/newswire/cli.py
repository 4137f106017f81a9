"""`fedihub newswire …`: the newswire from the command line, the same capability the web's pages
call. Its actions come from three modules: editing (submit, queue, approve, reject, unpublish,
trust, editors), sharing (following other instances' newswires) and the newsletter."""

from __future__ import annotations

from typing import Any

from fedihub.commands import CommandMaker
from fedihub.newswire.editing_cli import add_editing_commands
from fedihub.newswire.newsletter.cli import add_newsletter_commands
from fedihub.newswire.sharing.cli import add_sharing_commands


def add_newswire_commands(sub: Any, command: CommandMaker) -> None:
    parent = sub.add_parser("newswire", help="the newswire: items, editors, sharing, newsletter")
    actions = parent.add_subparsers(dest="newswire_command", required=True, metavar="ACTION")
    add_editing_commands(actions, command)
    add_sharing_commands(actions, command)
    add_newsletter_commands(actions, command)
