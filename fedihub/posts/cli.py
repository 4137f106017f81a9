"""`fedihub post|edit|cancel|delete`: writing as a hub, or as oneself."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fedihub.commands import CommandMaker, hub_and_organiser, post_url
from fedihub.kinds import registry
from fedihub.newswire import intake
from fedihub.posts import fieldreaders as read
from fedihub.posts import service
from fedihub.posts.frontmatter import split_front_matter
from fedihub.posts.kind import NEWSWIRE_KEY
from fedihub.services import Services


def add_post_commands(sub: Any, command: CommandMaker) -> None:
    p = command(sub, "post", "publish Markdown (with YAML front matter) as a hub", _post)
    p.add_argument("hub", help="the hub, or your own account name to post as yourself")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--kind", choices=registry().names, default=registry().names[0])
    p.add_argument(
        "--newswire",
        action="store_true",
        help="also send it to the instance's newswire (a hub's post)",
    )
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


async def _post(svc: Services, args: argparse.Namespace) -> None:
    hub, author = await hub_and_organiser(svc, args)
    text = args.file.read_text(encoding="utf-8")
    post = await service.publish(svc, hub, author, args.kind, text)
    print(post_url(svc, hub, post.id))
    if args.newswire or read.flag(split_front_matter(text)[0], NEWSWIRE_KEY):
        item = await intake.submit_post(svc, hub, post) if hub.kind == "group" else None
        print(f"newswire item {item.id}: {item.state}" if item else "not sent to the newswire")


async def _edit(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await hub_and_organiser(svc, args)
    text = args.file.read_text(encoding="utf-8")
    post = await service.edit(svc, hub, args.post_id, text)
    print(f"edited {post_url(svc, hub, post.id)}")


async def _cancel(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await hub_and_organiser(svc, args)
    post = await service.cancel(svc, hub, args.post_id)
    print(f"cancelled {post_url(svc, hub, post.id)}")


async def _delete(svc: Services, args: argparse.Namespace) -> None:
    hub, _ = await hub_and_organiser(svc, args)
    await service.delete(svc, hub, args.post_id)
    print(f"deleted {post_url(svc, hub, args.post_id)}")
