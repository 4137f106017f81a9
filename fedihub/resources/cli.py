"""`fedihub match list|accept|decline|fulfil`: a hub's matches of needs and offers."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.actors import store as actors
from fedihub.actors.model import LocalActor
from fedihub.commands import CommandMaker
from fedihub.errors import NotFound
from fedihub.hubs.service import require_hub
from fedihub.resources import service
from fedihub.resources import store as resources
from fedihub.resources.model import LIVE_MATCH_STATES, MATCH_STATES, Intent, Match
from fedihub.services import Services


def add_match_commands(sub: Any, command: CommandMaker) -> None:
    parent = sub.add_parser("match", help="matches between needs and offers")
    actions = parent.add_subparsers(dest="match_command", required=True, metavar="ACTION")
    p = command(actions, "list", "a hub's matches, the most recently changed first", _list)
    p.add_argument("hub")
    p.add_argument("--all", action="store_true", help="fulfilled and declined ones too")
    for name, what in (("accept", "take a match up"), ("decline", "turn a match down")):
        p = command(actions, name, f"{what}; the other hub is told", _decide)
        p.add_argument("match_id", type=int, metavar="ID")
        p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    what = ("record what was delivered through a match (all of it unless --quantity says how"
            " much); the need's remaining goes out")  # fmt: skip
    p = command(actions, "fulfil", what, _fulfil)
    p.add_argument("match_id", type=int, metavar="ID")
    p.add_argument("--quantity", type=int, default=None)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")


def _side(intent: Intent | None, uri: str) -> str:
    if intent is None:
        return uri
    unit = f" {intent.unit}" if intent.unit else ""
    amount = "" if intent.remaining is None else f" ×{intent.remaining}{unit}"
    place = f" @ {intent.place}" if intent.place else ""
    closed = " (closed)" if intent.state == "closed" else ""
    return f"{intent.title}{amount}{place}{closed}"


async def _line(svc: Services, hub_uri: str, match: Match) -> str:
    need = await resources.intent(svc.db, match.need_uri)
    offer = await resources.intent(svc.db, match.offer_uri)
    other = next((i.hub_uri for i in (need, offer) if i is not None and i.hub_uri != hub_uri), "")
    done = f" {match.fulfilled_quantity} delivered" if match.fulfilled_quantity else ""
    pair = f"{_side(need, match.need_uri)} <-> {_side(offer, match.offer_uri)}"
    return f"{match.id}\t{match.state}{done}\t{match.score:.2f}\t{pair}\t{other}"


async def _list(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    states = MATCH_STATES if args.all else LIVE_MATCH_STATES
    found = await resources.matches_of_hub(svc.db, hub.id, states, limit=1000)
    if not found:
        print("no matches")
    for match in found:
        print(await _line(svc, hub.uri(svc.config.base_url), match))


async def _hub_of(svc: Services, args: argparse.Namespace) -> tuple[LocalActor, str]:
    match = await resources.match(svc.db, args.match_id)
    hub = await actors.get_actor_by_id(svc.db, match.hub_id) if match else None
    if hub is None:
        raise NotFound("no match %(id)s", id=args.match_id)
    account = await accounts.require_account(svc.db, args.as_user)
    await accounts.require_can_act_for(svc.db, account, hub)
    return hub, account.actor.uri(svc.config.base_url)


async def _decide(svc: Services, args: argparse.Namespace) -> None:
    hub, by = await _hub_of(svc, args)
    decide = service.accept if args.match_command == "accept" else service.decline
    match = await decide(svc, hub, args.match_id, by)
    print(await _line(svc, hub.uri(svc.config.base_url), match))


async def _fulfil(svc: Services, args: argparse.Namespace) -> None:
    hub, by = await _hub_of(svc, args)
    match = await service.fulfil(svc, hub, args.match_id, args.quantity, by)
    print(await _line(svc, hub.uri(svc.config.base_url), match))
