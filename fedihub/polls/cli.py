"""`fedihub vote|respond|outcome|close|tally`."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts import service as accounts
from fedihub.commands import CommandMaker, hub_and_organiser, post_url
from fedihub.errors import BadRequest
from fedihub.hubs.service import require_hub
from fedihub.polls import service as polls
from fedihub.polls.store import current_tally, question_fields
from fedihub.polls.tally import result_text
from fedihub.posts.render import display_title
from fedihub.posts.service import local_post, require_post
from fedihub.services import Services


def add_poll_commands(sub: Any, command: CommandMaker) -> None:
    p = command(sub, "vote", "vote as a local account, in a poll here or on another server", _vote)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("poll", help="the poll's URL (here or elsewhere)")
    p.add_argument("options", nargs="+", help="the option(s), as written in the poll")

    p = command(
        sub, "respond", "respond to a proposal: agree, abstain, disagree or block", _respond
    )
    p.add_argument(
        "where", nargs="+", metavar="HUB POST_ID | URL",
        help="a proposal here (its hub and number) or its URL, here or on any server",
    )  # fmt: skip
    p.add_argument("answer", choices=["agree", "abstain", "disagree", "block"])
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--reason", default="", help="why (a block needs one)")

    p = command(sub, "outcome", "record a proposal's outcome (closes it if open)", _outcome)
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
    p.add_argument("outcome", choices=["adopted", "not-adopted", "withdrawn"])
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")

    p = command(sub, "close", "close a poll or proposal now and send the result", _close)
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")

    p = command(sub, "tally", "print a poll's or proposal's result line for the minutes", _tally)
    p.add_argument("hub")
    p.add_argument("post_id", type=int)


async def _vote(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.as_user)
    voter = account.actor.uri(svc.config.base_url)
    target = await local_post(svc, args.poll)
    if target is None:
        author = await polls.vote_remote(svc, account, args.poll, args.options)
        print(f"sent {len(args.options)} vote(s) to {author}")
        return
    hub, post = target
    choices = [polls.choice_for(post, name) for name in args.options]
    recorded = await polls.vote(svc, hub, post, voter, choices, svc.clock.now())
    print(f"counted {len(recorded)} vote(s)" if recorded else "already voted: nothing changed")


async def _respond(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.as_user)
    voter = account.actor.uri(svc.config.base_url)
    if len(args.where) == 2 and args.where[1].isdigit():
        hub = await require_hub(svc.db, args.where[0])
        post = await require_post(svc, hub, int(args.where[1]))
    elif len(args.where) == 1 and args.where[0].startswith(("https://", "http://")):
        target = await local_post(svc, args.where[0])
        if target is None:
            author = await polls.respond_remote(
                svc, account, args.where[0], args.answer, args.reason
            )
            print(f"sent {args.as_user}'s response ({args.answer}) to {author}")
            return
        hub, post = target
    else:
        raise BadRequest("respond to HUB POST_ID, or to the proposal's URL")
    await polls.respond(svc, hub, post, voter, args.answer, args.reason, svc.clock.now())
    print(f"{args.as_user}: {args.answer}")


async def _outcome(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await hub_and_organiser(svc, args)
    post = await require_post(svc, hub, args.post_id)
    await polls.record_outcome(svc, hub, post, args.outcome)
    print(f"recorded: {args.outcome.replace('-', ' ')}")


async def _close(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await hub_and_organiser(svc, args)
    post = await require_post(svc, hub, args.post_id)
    await polls.close_now(svc, hub, post)
    print(f"closed {post_url(svc, hub, post.id)}")


async def _tally(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    post = await require_post(svc, hub, args.post_id)
    if not svc.kinds.of(post).is_question:
        raise BadRequest("post %(id)s is not a poll or a proposal", id=args.post_id)
    tally = await current_tally(svc.db, post)
    closed, outcome = post.closed_at is not None, question_fields(post).outcome
    print(
        result_text(display_title(post, svc.kinds.of(post)), tally, closed=closed, outcome=outcome)
    )
