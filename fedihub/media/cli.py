"""`fedihub media copy --to s3://BUCKET[/PREFIX]`: an instance's images copied into another
store, before `media_store` is switched to it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from fedihub.commands import CommandMaker
from fedihub.config import media_location, validate_s3_endpoint_url
from fedihub.errors import ConfigError
from fedihub.media import store
from fedihub.media.objects import MediaStore, media_store
from fedihub.services import Services

AT_ONCE = 8  # images copied at a time: a store far away is not waited on one image at a time


def add_media_commands(sub: Any, command: CommandMaker) -> None:
    media = sub.add_parser("media", help="uploaded images").add_subparsers(
        dest="media_command", required=True, metavar="ACTION"
    )
    p = command(media, "copy", "copy this instance's images into another store, to switch"
                " media_store to it afterwards (copying again copies only what is missing)",
                _copy)  # fmt: skip
    p.add_argument("--to", required=True, metavar="s3://BUCKET[/PREFIX] | /ABSOLUTE/DIRECTORY")
    p.add_argument(
        "--endpoint-url", default=None, metavar="URL",
        help="the object store's address (default: the s3_endpoint_url setting)",
    )  # fmt: skip


async def _copy(svc: Services, args: argparse.Namespace) -> None:
    config = svc.config
    endpoint = config.s3_endpoint_url if args.endpoint_url is None else args.endpoint_url
    target_config = replace(config, media_store=args.to,
                            s3_endpoint_url=validate_s3_endpoint_url(endpoint))  # fmt: skip
    where = media_location(args.to, config.data_dir)
    if where == config.media_location and target_config.s3_endpoint_url == config.s3_endpoint_url:
        raise ConfigError("--to names the store this instance already uses")
    if isinstance(where, Path) and not where.is_dir():
        raise ConfigError("--to %(path)s is not a directory", path=str(where))
    source, target = (
        media_store(config, svc.media_threads),
        media_store(target_config, svc.media_threads),
    )
    counts = {"copied": 0, "already there": 0, "missing": 0}
    images = await store.all_media(svc.db)
    for start in range(0, len(images), AT_ONCE):
        batch = images[start : start + AT_ONCE]
        for outcome in await asyncio.gather(*(_copy_one(source, target, *i) for i in batch)):
            counts[outcome] += 1
    print(f"{counts['copied']} copied, {counts['already there']} already there,"
          f" {counts['missing']} missing from {source.description}; {len(images)} images"
          f" in all, into {target.description}")  # fmt: skip


async def _copy_one(source: MediaStore, target: MediaStore, name: str, content_type: str) -> str:
    if await target.exists(name):  # images never change, so one there is the same image
        return "already there"
    data = await source.read(name)
    if data is None:
        print(f"missing from {source.description}: {name}", file=sys.stderr)
        return "missing"
    await target.put(name, data, content_type)
    return "copied"
