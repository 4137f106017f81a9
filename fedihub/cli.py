"""`fedihub` command line. Every failure prints one line and exits non-zero; no tracebacks."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import socket
import sqlite3
import sys
from pathlib import Path
from typing import IO

from fedihub import __version__, jobs
from fedihub.accounts.cli import add_account_commands
from fedihub.commands import command
from fedihub.config import CONFIG_FILE, Config, load_config, split_host_port
from fedihub.engine import is_postgresql_url
from fedihub.errors import ConfigError, FedihubError
from fedihub.events.cli import add_event_commands
from fedihub.follows.cli import add_follow_commands
from fedihub.groups.cli import add_group_commands
from fedihub.hubs.cli import add_hub_commands
from fedihub.instance import init_instance
from fedihub.kinds import registry
from fedihub.media.cli import add_media_commands
from fedihub.moderation.appeals.cli import add_appeal_commands
from fedihub.moderation.blocking.cli import add_blocking_commands
from fedihub.moderation.cli import add_conduct_commands
from fedihub.moderation.sanctions.cli import add_sanction_commands
from fedihub.newswire.cli import add_newswire_commands
from fedihub.outbox import store as outbox
from fedihub.polls.cli import add_poll_commands
from fedihub.posts.cli import add_post_commands
from fedihub.reports.cli import add_report_commands
from fedihub.resources.cli import add_match_commands
from fedihub.services import Services, services_for
from fedihub.volunteers.cli import add_volunteer_commands
from fedihub.webfeeds.cli import add_feed_commands

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fedihub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"fedihub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = command(sub, "init", "create a data directory, its keys and the instance actor", None)
    p.add_argument("--domain", required=True, help="HOST[:PORT] as it appears in URLs")
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="development instance on localhost: plain HTTP, may reach loopback peers",
    )
    p.add_argument(
        "--database", default="",
        help="postgresql://USER:PASSWORD@HOST/DATABASE to keep the data in PostgreSQL"
        " (default: SQLite in the data directory)",
    )  # fmt: skip

    p = command(sub, "serve", "run the web server and the background workers", None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    p.add_argument("--no-workers", action="store_true",
                   help="serve the web only; `fedihub worker` processes do the background work"
                   " (PostgreSQL)")  # fmt: skip
    p.add_argument(
        "--reuse-port",
        action="store_true",
        help="let several processes listen on one port (SO_REUSEPORT)",
    )

    p = command(sub, "worker", "run the background workers alone, without the web server"
                " (PostgreSQL)", None)  # fmt: skip
    p.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    p.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="serve this worker's /metrics (needs metrics_token) on this port",
    )
    p.add_argument("--metrics-host", default="127.0.0.1")  # fmt: skip

    # Each capability declares its own subcommands, next to the code they call.
    hub = add_hub_commands(sub, command)
    add_group_commands(hub, sub, command)
    add_feed_commands(hub, command)
    add_sanction_commands(hub, add_account_commands(sub, command), command)
    add_post_commands(sub, command)
    add_event_commands(sub, command)
    add_follow_commands(sub, command)
    add_poll_commands(sub, command)
    add_report_commands(sub, command)
    add_newswire_commands(sub, command)
    add_media_commands(sub, command)
    add_blocking_commands(sub, command)
    add_conduct_commands(sub, command)
    add_appeal_commands(sub, command)
    add_match_commands(sub, command)
    add_volunteer_commands(sub, command)
    command(sub, "deliveries", "count queued, sent and abandoned deliveries", _deliveries)

    p = command(sub, "migrate-db", "move this instance's data from SQLite into an empty"
                " PostgreSQL database, and switch the instance to it", None)  # fmt: skip
    p.add_argument("--to", required=True, metavar="postgresql://USER:PASSWORD@HOST/DATABASE")

    p = command(sub, "backup", "copy the SQLite database of a running instance into FILE", None)
    p.add_argument("--to", type=Path, required=True, metavar="FILE", help="a new file")
    return parser


async def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        config = await init_instance(args.data, args.domain, args.insecure_http, args.database)
        print(f"created {args.data} for {config.base_url}")
        return 0
    if args.command == "migrate-db":
        return await _migrate_db(args.data, args.to)
    if args.command == "backup":
        from fedihub.backup import backup_instance

        print((await backup_instance(args.data, args.to)).report())
        return 0
    async with services_for(args.data, registry()) as svc:
        await args.run(svc, args)
    return 0


async def _deliveries(svc: Services, args: argparse.Namespace) -> None:
    counts = await outbox.delivery_counts(svc.db)
    for state in jobs.STATES:
        print(f"{state}\t{counts.get(state, 0)}")


def _hold_data_dir(data_dir: Path, refusal: ConfigError) -> IO[str]:
    """The data directory's `serve.lock`, held by this process until the returned file is
    closed (or the process ends); `refusal` when another process holds it."""
    lock = (data_dir / "serve.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        lock.close()
        raise refusal from e
    return lock


async def _migrate_db(data_dir: Path, url: str) -> int:
    from fedihub import transfer  # asyncpg loads only when it is used

    config = load_config(data_dir)
    if config.database:
        raise ConfigError("%(data)s already keeps its data in PostgreSQL", data=str(data_dir))
    if not is_postgresql_url(url):
        raise ConfigError("--to takes a postgresql://USER:PASSWORD@HOST/DATABASE URL")
    if not config.database_path.is_file():
        raise ConfigError("%(path)s: no such database to move", path=str(config.database_path))
    # Held until the instance is switched: a server started meanwhile would write to the SQLite
    # file after its rows were copied.
    with _hold_data_dir(data_dir, ConfigError(
        "`fedihub serve` is running on %(data)s: stop it before migrate-db", data=str(data_dir)
    )):  # fmt: skip
        copied = await transfer.move_to_postgresql(config.database_path, url)
        transfer.switch_to(data_dir, url)
    for table, rows in copied:
        print(f"{table}\t{rows}")
    print(
        f"moved {sum(rows for _, rows in copied)} rows; {data_dir / CONFIG_FILE} now names"
        f" the PostgreSQL database; {config.database_path} is kept as it was, as a backup"
    )
    return 0


def serve(
    data_dir: Path,
    host: str,
    port: int,
    log_level: str = "INFO",
    *,
    no_workers: bool = False,
    reuse_port: bool = False,
) -> int:
    from aiohttp import web

    from fedihub.app import create_app

    config = load_config(data_dir)
    if not config.database:
        if no_workers:
            raise _needs_postgresql("serve --no-workers")
        # SQLite: one server per data directory (one writer, and its workers' leases carry the
        # directory's name). PostgreSQL takes any number, each under a name of its own (jobs.py).
        # Kept referenced until serve() returns: closing the file would let the lock go.
        _lock = _hold_data_dir(data_dir, ConfigError(
            "another `fedihub serve` is already using %(data)s", data=str(data_dir)
        ))  # fmt: skip
    _check_where_to_serve(config, data_dir, host, port, reuse_port)
    _log_to_stderr(log_level)
    print(f"fedihub serving {config.base_url} on http://{host}:{port}", flush=True)
    # The header timeout is aiohttp's keep-alive timeout, a public run_app setting: in aiohttp
    # 3.14.5 its timer starts when a connection opens and again after each response, is not
    # pushed back by bytes that arrive, and closes the connection if no complete request line
    # and headers came in meanwhile. That is the header timeout, with no subclass of aiohttp's
    # protocol. (Releases before aio-libs/aiohttp#13681 armed it only after a first response;
    # tests/federation/test_slow_clients.py would notice.) Bodies: `body_timeout_s`, in handlers.
    web.run_app(create_app(config, web_only=no_workers), host=host, port=port, print=None,
                access_log=None, keepalive_timeout=config.header_timeout_s,
                reuse_port=reuse_port or None)  # fmt: skip
    return 0


def _check_where_to_serve(
    config: Config, data_dir: Path, host: str, port: int, reuse_port: bool
) -> None:
    """Refuses, in one line, to serve a development instance (plain HTTP, SQLite) on a port
    other than the one its links name, and to serve on a port something else holds."""
    made_for = split_host_port(config.domain)[1]
    if config.insecure_http and not config.database and made_for and made_for != port:
        raise ConfigError(
            "%(data)s was made for %(url)s, so every link it serves points at port %(made)s:"
            " serve it with --port %(made)s, or start afresh on port %(port)s with a new data"
            " directory (fedihub init --domain localhost:%(port)s --insecure-http)",
            data=str(data_dir), url=config.base_url, made=made_for, port=port,
        )  # fmt: skip
    if reuse_port:
        return
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except OSError as e:
        raise ConfigError(
            "cannot listen on %(host)s port %(port)s (%(reason)s): stop what is using it,"
            " or serve on another port with --port",
            host=host, port=port, reason=e.strerror or str(e),
        ) from e  # fmt: skip


def worker(
    data_dir: Path, log_level: str = "INFO", metrics_host: str = "127.0.0.1", metrics_port: int = 0
) -> int:
    """The background work alone; stops cleanly on SIGTERM or SIGINT, as `serve` does."""
    from fedihub.app import work

    config = load_config(data_dir)
    if not config.database:
        raise _needs_postgresql("worker")
    _log_to_stderr(log_level)
    print(f"fedihub worker for {config.base_url}", flush=True)
    asyncio.run(work(config, metrics_host, metrics_port))
    return 0


def _needs_postgresql(what: str) -> ConfigError:
    return ConfigError(
        "`fedihub %(what)s` needs PostgreSQL; on SQLite one `fedihub serve` does all the work",
        what=what,
    )


def _log_to_stderr(log_level: str) -> None:
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":  # run_app owns its event loop
            return serve(args.data, args.host, args.port, args.log_level,
                         no_workers=args.no_workers, reuse_port=args.reuse_port)  # fmt: skip
        if args.command == "worker":  # so does the worker, for its signal handlers
            return worker(args.data, args.log_level, args.metrics_host, args.metrics_port)
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
