"""`fedihub newswire` actions: follow and unfollow other instances' newswires."""

from __future__ import annotations

from typing import Any

from fedihub.commands import CommandMaker


def add_sharing_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
