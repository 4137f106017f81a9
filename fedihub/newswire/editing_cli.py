"""`fedihub newswire` actions: submit, queue, approve, reject, unpublish, trust, editor."""

from __future__ import annotations

from typing import Any

from fedihub.commands import CommandMaker


def add_editing_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
