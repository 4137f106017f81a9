"""What every capability's subcommands share: how a command is declared, and how it finds the
hub or account it acts for. The `fedihub` parser itself is in cli.py."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.accounts.store import Account
from fedihub.actors import store
from fedihub.actors.model import LocalActor
from fedihub.errors import NotFound
from fedihub.posts import render
from fedihub.services import Services

Command = Callable[[Services, argparse.Namespace], Awaitable[None]]
# command(parent, name, help, run) -> the subcommand's parser, with --data already on it.
CommandMaker = Callable[[Any, str, str, Command | None], argparse.ArgumentParser]


def data_dir(value: str) -> Path:
    return Path(value).expanduser().resolve()


def command(parent: Any, name: str, help_text: str, run: Command | None) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data", type=data_dir, required=True, help="the instance's data directory")
    p.set_defaults(run=run)
    return p


async def local_actor(svc: Services, name: str) -> LocalActor:
    """A hub or an account here, by its name."""
    actor = await store.get_actor_by_username(svc.db, name)
    if actor is None or actor.kind == "application":
        raise NotFound("no hub or account named %(name)r", name=name)
    return actor


async def hub_and_organiser(svc: Services, args: argparse.Namespace) -> tuple[LocalActor, Account]:
    """The hub (or the account itself: people post as themselves) and who acts for it."""
    hub = await local_actor(svc, args.hub)
    author = await accounts.require_account(svc.db, args.as_user)
    await accounts.require_can_act_for(svc.db, author, hub)
    return hub, author


def post_url(svc: Services, hub: LocalActor, post_id: int) -> str:
    return render.post_uri(hub.uri(svc.config.base_url), post_id)
