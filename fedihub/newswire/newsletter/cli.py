"""`fedihub newswire` actions: subscribers and the weekly issue."""

from __future__ import annotations

from typing import Any

from fedihub.commands import CommandMaker


def add_newsletter_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
