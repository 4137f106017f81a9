"""`fedihub newswire newsletter send-now|subscribers|add-subscribers`: the weekly issue at once,
and the subscribers counted."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest
from fedihub.mail import store as mail
from fedihub.newswire.newsletter import service, store, subscribers
from fedihub.services import Services

ACTIONS = ("send-now", "subscribers", "add-subscribers")


def add_newsletter_commands(actions: Any, command: CommandMaker) -> None:
    """Adds this module's actions to `fedihub newswire`."""
    p = command(actions, "newsletter", "the weekly newsletter: send this week's issue now,"
                " count subscribers, add confirmed ones (one address a line on stdin)",
                _newsletter)  # fmt: skip
    p.add_argument("action", choices=ACTIONS)


async def _newsletter(svc: Services, args: argparse.Namespace) -> None:
    if args.action == "send-now":
        issue, new = await service.send_now(svc)
        if issue is None:
            print("nothing this week (no news, no calls or events coming up): no issue")
        elif new:
            print(f"issue {issue.id} ({issue.week}) made: {issue.items} items, {issue.events}"
                  f" calls and events; queued for every confirmed subscriber")  # fmt: skip
        else:
            print(f"issue {issue.id} ({issue.week}) was made already: nothing more to do")
        return
    if args.action == "add-subscribers":
        # Addresses that confirmed elsewhere (a list moved from another tool): confirmed at once.
        emails = [subscribers.read_address(line) for line in sys.stdin.read().splitlines()
                  if line.strip()]  # fmt: skip
        if not emails:
            raise BadRequest("no addresses on standard input")
        async with svc.db.transaction() as tx:
            await store.add_confirmed(tx, emails, "en", svc.clock.now())
        print(f"{len(emails)} addresses added as confirmed subscribers")
        return
    for state, n in (await store.counts(svc.db)).items():
        print(f"{state}\t{n}")
    for job_state, n in (await mail.counts(svc.db)).items():
        print(f"mail {job_state}\t{n}")
