"""`fedihub hub set|member|queue|remove-post` and `fedihub reshare`: running a hub as a group."""

from __future__ import annotations

import argparse
from typing import Any

from fedihub.accounts.service import require_account
from fedihub.activitystreams import id_of
from fedihub.actors.model import JOIN_POLICIES, LocalActor
from fedihub.commands import CommandMaker
from fedihub.errors import BadRequest
from fedihub.follows.service import resolve_handle_or_uri
from fedihub.groups import membership, resharing
from fedihub.groups import store as groups
from fedihub.hubs.service import require_hub
from fedihub.moderation import remote, removal
from fedihub.moderation.authority import Moderator, local_moderator
from fedihub.moderation.sanctions import service as sanctions
from fedihub.posts.fieldreaders import parse_languages
from fedihub.services import Services


def add_group_commands(hub: Any, sub: Any, command: CommandMaker) -> None:
    p = command(hub, "set", "change how a hub is run", _set)
    p.add_argument("hub")
    p.add_argument("--join-policy", choices=JOIN_POLICIES)
    p.add_argument("--posting-restricted-to-mods", choices=["yes", "no"])
    p.add_argument("--reshare", choices=["none", "all", "tags"],
                   help="what it re-shares of the hubs and actors it follows")  # fmt: skip
    p.add_argument("--tags", help="for --reshare tags: '#climate,#housing'")
    p.add_argument("--languages", "--language", dest="languages",
                   help="what the hub writes in, its usual one first: 'es en'")  # fmt: skip
    p.add_argument(
        "--review-first-posts",
        metavar="N",
        help="how many of a new remote actor's first posts wait for review (0: none)",
    )

    p = command(hub, "member", "list, add, invite, set (a role), remove, approve or reject "
                "members", _member)  # fmt: skip
    actions = ["list", "add", "invite", "set", "remove", "approve", "reject"]
    p.add_argument("action", choices=actions)
    p.add_argument("hub")
    p.add_argument("actor", nargs="?", help="an actor id or @name@host")
    p.add_argument("--role", choices=membership.ROLES, default="member")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="who acts (logged): needed to remove someone or give a role")  # fmt: skip
    p.add_argument("--reason", default="", help="why (removing: required; in the public log)")
    p.add_argument("--clause", default="", help="the code of conduct's clause: 3, hub:3, …")
    p.add_argument("--report", type=int, help="the report this answers (it is resolved)")

    p = command(hub, "queue", "posts waiting for a moderator: list, approve, reject", _queue)
    p.add_argument("action", choices=["list", "approve", "reject"])
    p.add_argument("hub")
    p.add_argument("item", nargs="?", type=int, help="the queued item's number")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="who decides (approve, reject): a moderator of the hub")  # fmt: skip
    p.add_argument("--reason", default="", help="why (shown in the public moderation log)")

    p = command(hub, "remove-post", "remove a post from a hub, saying why", _remove_post)
    p.add_argument("hub")
    p.add_argument("uri", help="the post's address (the hub's own post, or one it carries)")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--reason", required=True, help="why (shown in the public moderation log)")
    p.add_argument("--clause", default="", help="the clause of the code it applies: hub:2, 3")
    p.add_argument("--report", type=int, help="the report this answers (it is resolved)")

    p = command(sub, "reshare", "re-share a post from anywhere to a hub's followers", _reshare)
    p.add_argument("--as", dest="as_hub", required=True, metavar="HUB")
    p.add_argument("url")


async def _set(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    settings: dict[str, object] = {}
    if args.join_policy:
        settings["join_policy"] = args.join_policy
    if args.posting_restricted_to_mods:
        settings["posting_restricted_to_mods"] = int(args.posting_restricted_to_mods == "yes")
    if args.reshare:
        settings["reshare_policy"] = args.reshare
    if args.languages:
        settings["languages"] = parse_languages(args.languages)
    if args.review_first_posts is not None:
        settings["review_first_posts"] = resharing.read_review_first_posts(args.review_first_posts)
    if args.tags is not None:
        tags = [t.strip().lstrip("#").lower() for t in args.tags.split(",") if t.strip()]
        if not tags or any(not t.replace("_", "").replace("-", "").isalnum() for t in tags):
            raise BadRequest("--tags: hashtags like '#climate,#housing'")
        settings["reshare_tags"] = tuple(tags)
    if settings.get("reshare_policy") == "tags" and not (args.tags or hub.reshare_tags):
        raise BadRequest("--reshare tags needs --tags")
    if not settings:
        raise BadRequest("nothing to change: see `fedihub hub set --help`")
    await groups.set_hub_settings(svc.db, hub.id, **settings)
    shown = {k: " ".join(v) if isinstance(v, tuple) else v for k, v in settings.items()}
    print(f"updated {hub.username}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))


async def _actor_uri(svc: Services, given: str | None) -> str:
    if not given:
        raise BadRequest("name the actor: an id (https://…) or @name@host")
    if given.startswith(("https://", "http://")):
        return given
    return (await resolve_handle_or_uri(svc, given)).uri


async def _moderator(svc: Services, args: argparse.Namespace, hub: LocalActor) -> Moderator:
    if not args.as_user:
        raise BadRequest("--as: the account that does this (the public log names it)")
    return await local_moderator(svc, await require_account(svc.db, args.as_user), hub)


async def _member(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    if args.action == "list":
        for m in await groups.members(svc.db, hub.id):
            print(f"{m.role}\t{m.state}\t{m.actor_uri}")
        return
    if args.action in ("add", "invite", "set"):  # as the web's form: @name@host, a name, an id
        uri = await membership.find_person(svc, args.actor or "")
        invite = args.action == "invite"
        if args.as_user is None and args.action != "set" and args.role == "member":
            await membership.set_member(svc, hub, uri, role=args.role, invite=invite)
        else:  # a role given is logged, with who gave it
            by = await _moderator(svc, args, hub)
            await sanctions.set_role(svc, by, hub, uri, args.role, invite=invite,
                                     reason=args.reason)  # fmt: skip
    elif args.action == "remove":
        uri = await _actor_uri(svc, args.actor)
        said = sanctions.Sanction(args.reason, args.clause, args.report)
        await sanctions.remove_member(svc, await _moderator(svc, args, hub), hub, uri, said)
    else:
        uri = await _actor_uri(svc, args.actor)
        await membership.answer_pending(svc, hub, uri, approve=args.action == "approve")
    print(f"{args.action}: {uri}")


async def _queue(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    if args.action == "list":
        for q in await groups.queued(svc.db, hub.id):
            print(f"{q.id}\t{q.actor_uri}\t{q.object_uri}\t{q.reason}")
        return
    if args.item is None:
        raise BadRequest(
            "queue %(action)s needs the item's number (see `queue list`)", action=args.action
        )
    if not args.as_user:
        raise BadRequest("queue %(action)s needs --as: who decides", action=args.action)
    by = await local_moderator(svc, await require_account(svc.db, args.as_user), hub)
    decided = await remote.decide(svc, by, hub, args.item, args.action == "approve", args.reason)
    print(f"{args.action}d {decided.object_uri}")


async def _remove_post(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.hub)
    by = await local_moderator(svc, await require_account(svc.db, args.as_user), hub)
    reason, clause = await removal.read_grounds(svc, hub, args.reason, args.clause)
    done = await removal.remove_post(svc, by, hub, args.uri, reason=reason, clause=clause,
                                     report_id=args.report)  # fmt: skip
    print(f"{done} {args.uri}")


async def _reshare(svc: Services, args: argparse.Namespace) -> None:
    hub = await require_hub(svc.db, args.as_hub)
    original = await resharing.fetch_original(svc, args.url)
    author = id_of(original.get("attributedTo")) or args.url
    done = await resharing.reshare(svc, hub, original, author, activity=None, is_reply=False)
    print(f"re-shared {original['id']}" if done else "already re-shared: nothing sent")
