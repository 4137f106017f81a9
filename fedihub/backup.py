"""`fedihub backup`: a copy of an instance's SQLite database, taken while `fedihub serve` runs.

SQLite's online backup API copies every page inside one read transaction on the live file: the
copy is the database as it was at one moment, and in WAL mode (db.py turns it on) the server's
writer goes on meanwhile, unhindered. The copy is made in a hidden file beside FILE, checked
with `PRAGMA integrity_check`, switched to a rollback journal (so it is one self-contained file),
flushed to disk and only then linked under FILE's name. Linking fails if FILE exists, so an
existing file is never overwritten, even one that appears during the copy, and a half-made copy
never carries FILE's name.

The copy holds everything the database does, the keys included; `config.toml` and the media
are not in it (deploy/README.md says how to keep them). PostgreSQL has its own tool, pg_dump.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fedihub.config import load_config, sync_directory
from fedihub.db import BUSY_TIMEOUT_MS
from fedihub.errors import ConfigError


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    schema_version: int

    def report(self) -> str:
        return (
            f"backed up to {self.path}: {self.size_bytes} bytes,"
            f" schema version {self.schema_version}"
        )


async def backup_instance(data_dir: Path, target: Path) -> Backup:
    """Copies the SQLite database of the instance in `data_dir` into the new file `target`."""
    config = load_config(data_dir)
    if config.database:
        raise ConfigError(
            "%(data)s keeps its data in PostgreSQL: back it up with pg_dump"
            " (pg_dump -Fc, see deploy/README.md)",
            data=str(data_dir),
        )
    if not config.database_path.is_file():
        raise ConfigError("%(path)s: no such database to back up", path=str(config.database_path))
    return await asyncio.to_thread(backup_file, config.database_path, target)


def backup_file(source: Path, target: Path) -> Backup:
    """The online backup of the SQLite file `source` into the new file `target`; blocking."""
    target = target.absolute()
    if target.exists() or target.is_symlink():
        raise ConfigError("%(path)s already exists: a backup never overwrites a file",
                          path=str(target))  # fmt: skip
    if not target.parent.is_dir():
        raise ConfigError("%(dir)s: no such directory", dir=str(target.parent))
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    partial = Path(name)
    try:
        version = _copy(source, partial)
        with open(partial, "rb") as written:  # on disk before it gets its name
            os.fsync(written.fileno())
        try:
            os.link(partial, target)
        except FileExistsError as e:
            raise ConfigError("%(path)s already exists: a backup never overwrites a file",
                              path=str(target)) from e  # fmt: skip
        sync_directory(target.parent)
        return Backup(target, target.stat().st_size, version)
    finally:
        for leftover in (
            partial,
            *(Path(f"{partial}{end}") for end in ("-journal", "-wal", "-shm")),
        ):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _copy(source: Path, copy: Path) -> int:
    """Copies, checks, and returns the copy's schema version."""
    # mode=rw: never create a database where there was none.
    live = sqlite3.connect(f"{source.absolute().as_uri()}?mode=rw", uri=True)
    try:
        live.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        out = sqlite3.connect(copy, isolation_level=None)
        try:
            # pages=-1: every page in one step, so one read transaction sees one state.
            live.backup(out, pages=-1)
            problems = [row[0] for row in out.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise ConfigError("the copy of %(path)s failed its integrity check: %(problems)s",
                                  path=str(source), problems="; ".join(problems[:5]))  # fmt: skip
            out.execute("PRAGMA journal_mode = DELETE")
            row = out.execute("SELECT max(version) FROM schema_version").fetchone()
            return int(row[0] or 0)
        finally:
            out.close()
    finally:
        live.close()
