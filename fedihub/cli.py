"""`fedihub` command line. Every failure prints one line and exits non-zero; no tracebacks."""

from __future__ import annotations

import argparse
import asyncio
import csv
import fcntl
import getpass
import logging
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fedihub import __version__
from fedihub.accounts import service as accounts
from fedihub.accounts import sessions
from fedihub.activitystreams import iso
from fedihub.actors import store
from fedihub.actors.model import JOIN_POLICIES, LocalActor
from fedihub.actors.store import Account
from fedihub.config import load_config
from fedihub.errors import BadRequest, ConfigError, FedihubError, NotFound
from fedihub.events import participation
from fedihub.events import store as events
from fedihub.follows import service as follows
from fedihub.follows import store as follow_store
from fedihub.groups.cli import add_group_commands
from fedihub.hubs import service as hubs
from fedihub.inbox.precheck import local_post
from fedihub.instance import init_instance
from fedihub.outbox import store as outbox
from fedihub.polls import service as polls
from fedihub.polls.tally import result_text
from fedihub.posts import render
from fedihub.posts import service as post_service
from fedihub.posts.federate import current_tally
from fedihub.posts.kinds import KINDS
from fedihub.posts.render import display_title
from fedihub.reports.cli import add_report_commands
from fedihub.services import Services, services_for
from fedihub.webfeeds.cli import add_feed_commands

Command = Callable[[Services, argparse.Namespace], Awaitable[None]]


def _data(value: str) -> Path:
    return Path(value).expanduser().resolve()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fedihub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fedihub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: Any, name: str, help_text: str, run: Command | None
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data", type=_data, required=True, help="the instance's data directory")
        p.set_defaults(run=run)
        return p

    p = command(sub, "init", "create a data directory, its keys and the instance actor", None)
    p.add_argument("--domain", required=True, help="HOST[:PORT] as it appears in URLs")
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="development instance on localhost: plain HTTP, may reach loopback peers",
    )

    p = command(sub, "serve", "run the web server and the background workers", None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    hub = sub.add_parser("hub", help="create and list hubs").add_subparsers(
        dest="hub_command", required=True, metavar="ACTION"
    )
    p = command(hub, "create", "create a hub (a Group actor)", _hub_create)
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--summary", default="")
    p.add_argument(
        "--approve-followers",
        action="store_true",
        help="hold follow requests until an organiser approves them",
    )
    p.add_argument("--organizer", metavar="USERNAME", help="an account that may post as the hub")
    p.add_argument("--timezone", default="UTC", help="IANA zone its events and calls are shown in")
    p.add_argument(
        "--languages", default="en", help="what it writes in, its usual one first: 'es en'"
    )
    p.add_argument("--join-policy", choices=JOIN_POLICIES, default="open")
    command(hub, "list", "list this instance's hubs", _hub_list)
    add_group_commands(hub, sub, command)
    add_feed_commands(hub, command)
    add_report_commands(sub, command)

    account = sub.add_parser("account", help="manage accounts").add_subparsers(
        dest="account_command", required=True, metavar="ACTION"
    )
    p = command(account, "create", "create an account (a Person actor)", _account_create)
    p.add_argument("username")
    p.add_argument("--admin", action="store_true")
    p.add_argument("--password-file", type=Path, help="read the password from this file")
    p = command(account, "reset-link", "print a one-time link to choose a new password", _reset)
    p.add_argument("username")
    p = command(account, "invite", "print an invitation link (sign-up by invitation)", _invite)
    p.add_argument("--uses", type=int, default=1)
    p.add_argument("--days", type=float, default=7.0)

    p = command(sub, "post", "publish Markdown (with YAML front matter) as a hub", _post)
    p.add_argument("hub", help="the hub, or your own account name to post as yourself")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--kind", choices=KINDS, default="update")
    p.add_argument("file", type=Path)

    p = command(sub, "edit", "replace a post's text and fields; followers get an Update", _edit)
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("file", type=Path)

    for name, text, run in (
        ("cancel", "cancel an event or one occurrence of a call (it stays listed)", _cancel),
        ("delete", "delete a post; followers get a Delete", _delete),
    ):
        p = command(sub, name, text, run)
        p.add_argument("hub")
        p.add_argument("post_id", type=int)
        p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")

    p = command(sub, "event", "take part in an event, or list its participants (CSV)", _event)
    p.add_argument("action", choices=["join", "leave", "participants"])
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="the account (join/leave)")

    p = command(sub, "followers", "list a hub's followers", _followers)
    p.add_argument("hub")

    p = command(
        sub, "follow-requests", "list, approve or reject follow requests to a hub", _follow_requests
    )
    p.add_argument("action", choices=["list", "approve", "reject"])
    p.add_argument("hub")
    p.add_argument("actor", nargs="?", help="the requesting actor's id (for approve/reject)")

    for name, text, run in (
        ("follow", "make a local hub or account follow a remote actor", _follow),
        ("unfollow", "stop following a remote actor", _unfollow),
        ("following", "list whom a local hub or account follows, with each state", _following),
    ):
        p = command(sub, name, text, run)
        p.add_argument("--as", dest="as_actor", required=True, metavar="SLUG_OR_USERNAME")
        if name != "following":
            p.add_argument("handle", help="@name@host or an actor URL")

    p = command(sub, "vote", "vote as a local account, in a poll here or on another server", _vote)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("poll", help="the poll's URL (here or elsewhere)")
    p.add_argument("options", nargs="+", help="the option(s), as written in the poll")

    p = command(
        sub, "respond", "respond to a proposal: agree, abstain, disagree or block", _respond
    )
    p.add_argument("hub")
    p.add_argument("post_id", type=int)
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

    command(sub, "deliveries", "count queued, sent and abandoned deliveries", _deliveries)
    return parser  # fmt: skip


async def _local_actor(svc: Services, name: str) -> LocalActor:
    actor = await store.get_actor_by_username(svc.db, name)
    if actor is None or actor.kind == "application":
        raise NotFound(f"no hub or account named {name!r}")
    return actor


def _read_password(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadRequest("no terminal to ask for a password: use --password-file")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise BadRequest("the passwords differ")
    return first


async def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        config = await init_instance(args.data, args.domain, args.insecure_http)
        print(f"created {args.data} for {config.base_url}")
        return 0
    async with services_for(args.data) as svc:
        await args.run(svc, args)
    return 0


# One coroutine per command, registered on its parser with set_defaults(run=...).


async def _hub_create(svc: Services, args: argparse.Namespace) -> None:
    db = svc.db
    organizer = await accounts.require_account(db, args.organizer) if args.organizer else None
    await hubs.create_hub(
        db,
        args.slug,
        name=args.name,
        summary=args.summary,
        approve_followers=args.approve_followers,
        organizer=organizer,
        timezone=args.timezone,
        languages=args.languages,
        join_policy=args.join_policy,
    )
    print(f"created hub @{args.slug}@{svc.config.domain} at {svc.config.base_url}/hubs/{args.slug}")


async def _hub_list(svc: Services, args: argparse.Namespace) -> None:
    for hub in await store.list_actors(svc.db, "group"):
        print(f"{hub.username}\t@{hub.username}@{svc.config.domain}\t{hub.name}")


async def _account_create(svc: Services, args: argparse.Namespace) -> None:
    password = _read_password(args.password_file)
    await accounts.create_account(svc.db, args.username, password, is_admin=args.admin)
    print(f"created account @{args.username}@{svc.config.domain}")


async def _hub_and_organiser(svc: Services, args: argparse.Namespace) -> tuple[LocalActor, Account]:
    """The hub (or the account itself: people post as themselves) and who acts for it."""
    hub = await _local_actor(svc, args.hub)
    author = await accounts.require_account(svc.db, args.as_user)
    await accounts.require_can_act_for(svc.db, author, hub)
    return hub, author


def _post_url(svc: Services, hub: LocalActor, post_id: int) -> str:
    return render.post_uri(hub.uri(svc.config.base_url), post_id)


async def _reset(svc: Services, args: argparse.Namespace) -> None:
    account = await accounts.require_account(svc.db, args.username)
    token = await sessions.create_reset(svc.db, account.actor.id)
    print(f"{svc.config.base_url}/reset/{token}  (valid {sessions.RESET_HOURS} hours, once)")


async def _invite(svc: Services, args: argparse.Namespace) -> None:
    if not 1 <= args.uses <= 10_000 or not 0 < args.days <= 365:
        raise BadRequest("--uses 1 to 10000, --days up to 365")
    code = await sessions.create_invitation(svc.db, args.uses, args.days)
    print(f"{svc.config.base_url}/signup?invite={code}")


async def _post(svc: Services, args: argparse.Namespace) -> None:
    hub, author = await _hub_and_organiser(svc, args)
    text = args.file.read_text(encoding="utf-8")
    post = await post_service.publish(svc, hub, author, args.kind, text)
    print(_post_url(svc, hub, post.id))


async def _edit(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await _hub_and_organiser(svc, args)
    text = args.file.read_text(encoding="utf-8")
    post = await post_service.edit(svc, hub, args.post_id, text)
    print(f"edited {_post_url(svc, hub, post.id)}")


async def _cancel(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await _hub_and_organiser(svc, args)
    post = await post_service.cancel(svc, hub, args.post_id)
    print(f"cancelled {_post_url(svc, hub, post.id)}")


async def _delete(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await _hub_and_organiser(svc, args)
    await post_service.delete(svc, hub, args.post_id)
    print(f"deleted {_post_url(svc, hub, args.post_id)}")


async def _event(svc: Services, args: argparse.Namespace) -> None:
    hub = await hubs.require_hub(svc.db, args.hub)
    post = await post_service.require_post(svc, hub, args.post_id)
    if args.action == "participants":
        writer = csv.writer(sys.stdout)
        writer.writerow(["actor", "state", "joined_at", "message"])
        for p in await events.participants(svc.db, post.id):
            writer.writerow([p.actor_uri, p.state, iso(p.joined_at), p.message])
        return
    if not args.as_user:
        raise BadRequest(f"event {args.action} needs --as USERNAME")
    account = await accounts.require_account(svc.db, args.as_user)
    actor_uri = account.actor.uri(svc.config.base_url)
    now = time.time()
    if args.action == "join":
        state = await participation.join(svc, hub, post, actor_uri, svc.new_activity_uri(), now)
        print(f"{args.as_user}: {state}")
    else:
        left = await participation.leave(svc, hub, post, actor_uri, now)
        print(f"{args.as_user}: {'left' if left else 'was not taking part'}")


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
    recorded = await polls.vote(svc, hub, post, voter, choices, time.time())
    print(f"counted {len(recorded)} vote(s)" if recorded else "already voted: nothing changed")


async def _respond(svc: Services, args: argparse.Namespace) -> None:
    hub = await hubs.require_hub(svc.db, args.hub)
    post = await post_service.require_post(svc, hub, args.post_id)
    account = await accounts.require_account(svc.db, args.as_user)
    voter = account.actor.uri(svc.config.base_url)
    await polls.respond(svc, hub, post, voter, args.answer, args.reason, time.time())
    print(f"{args.as_user}: {args.answer}")


async def _outcome(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await _hub_and_organiser(svc, args)
    post = await post_service.require_post(svc, hub, args.post_id)
    await polls.record_outcome(svc, hub, post, args.outcome)
    print(f"recorded: {args.outcome.replace('-', ' ')}")


async def _close(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await _hub_and_organiser(svc, args)
    post = await post_service.require_post(svc, hub, args.post_id)
    await polls.close_now(svc, hub, post)
    print(f"closed {_post_url(svc, hub, post.id)}")


async def _tally(svc: Services, args: argparse.Namespace) -> None:
    hub = await hubs.require_hub(svc.db, args.hub)
    post = await post_service.require_post(svc, hub, args.post_id)
    if not post.is_question:
        raise BadRequest(f"post {args.post_id} is not a poll or a proposal")
    tally = await current_tally(svc.db, post)
    closed, outcome = post.closed_at is not None, post.fields.get("outcome")
    print(result_text(display_title(post), tally, closed=closed, outcome=outcome))


async def _followers(svc: Services, args: argparse.Namespace) -> None:
    hub = await hubs.require_hub(svc.db, args.hub)
    for uri in await follows.list_followers(svc, hub, "accepted"):
        print(uri)


async def _follow_requests(svc: Services, args: argparse.Namespace) -> None:
    hub = await hubs.require_hub(svc.db, args.hub)
    if args.action == "list":
        for uri in await follows.list_followers(svc, hub, "pending"):
            print(uri)
        return
    if not args.actor:
        raise BadRequest(f"follow-requests {args.action} needs the requesting actor's id")
    await follows.answer_request(svc, hub, args.actor, approve=args.action == "approve")
    print(f"{args.action}d {args.actor}")


async def _follow(svc: Services, args: argparse.Namespace) -> None:
    local = await _local_actor(svc, args.as_actor)
    target = await follows.follow(svc, local, args.handle)
    print(f"{local.username} followed {target.uri} (waiting for the Accept)")


async def _unfollow(svc: Services, args: argparse.Namespace) -> None:
    local = await _local_actor(svc, args.as_actor)
    target = await follows.unfollow(svc, local, args.handle)
    print(f"{local.username} unfollowed {target.uri}")


async def _following(svc: Services, args: argparse.Namespace) -> None:
    local = await _local_actor(svc, args.as_actor)
    for actor_uri, state in await follow_store.following(svc.db, local.id):
        print(f"{state}\t{actor_uri}")


async def _deliveries(svc: Services, args: argparse.Namespace) -> None:
    counts = await outbox.delivery_counts(svc.db)
    for state in ("pending", "sending", "sent", "gave_up"):
        print(f"{state}\t{counts.get(state, 0)}")  # fmt: skip


def serve(data_dir: Path, host: str, port: int, log_level: str = "INFO") -> int:
    from aiohttp import web

    from fedihub.app import create_app

    config = load_config(data_dir)
    lock = (data_dir / "serve.lock").open("w")
    try:
        # One server per data directory: its workers assume they own the queue's leases.
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        raise ConfigError(f"another `fedihub serve` is already using {data_dir}") from e
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    print(f"fedihub serving {config.base_url} on http://{host}:{port}", flush=True)
    web.run_app(create_app(config), host=host, port=port, print=None, access_log=None)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":  # run_app owns its event loop
            return serve(args.data, args.host, args.port, args.log_level)
        return asyncio.run(_run(args))
    except FedihubError as e:
        print(f"fedihub: error: {e.message}", file=sys.stderr)
        return 1
    except (UnicodeError, sqlite3.Error, LookupError) as e:
        print(f"fedihub: error: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fedihub: error: {e.strerror or e}: {getattr(e, 'filename', '') or ''}".rstrip(": "),
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
