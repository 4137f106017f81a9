"""Wake-ups between the processes of one SQLite database (PostgreSQL has LISTEN/NOTIFY).

Each listener binds a Unix datagram socket in a directory beside the database file
(`fedihub.sqlite3-notices/`, as SQLite's own `-wal` and `-shm` sit beside it); a notice is the
channel's name, sent without blocking to every socket there. So the `fedihub post` CLI wakes a
running server's delivery worker at once instead of at its next idle poll.

What may go wrong is cheap to survive, because the idle polls stay the safety net: a socket
whose process died is removed by the next notice that finds nobody reading it; a full queue
means the listener has notices waiting already; a datagram that names no channel listened to is
dropped. A directory whose socket paths would pass the 108 bytes an address holds is replaced
by a short one in /tmp named by a hash of the long one, used only while it is a directory of
this user's that no one else may write into.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import os
import secrets
import socket
import stat
from collections.abc import Callable, Collection
from pathlib import Path

log = logging.getLogger(__name__)

# sun_path holds 108 bytes with its closing NUL.
SOCKET_PATH_MAX = 107
# The longest socket name bound here: "<pid>-<token>-<n>.sock" (a pid is at most 7 digits).
SOCKET_NAME_MAX = len("4194304-01234567-99999.sock")
SHORT_ROOT = Path("/tmp")
# How often a listener checks that its socket is still there (someone may have removed the
# directory) and how long it waits before trying again when it could not bind.
CHECK_EVERY_S = 10.0
RETRY_AFTER_S = 10.0
RECEIVE_BYTES = 256  # channel names are short; anything longer is not one


def directory_for(database: Path) -> Path:
    """Where the sockets of `database`'s listeners are: beside it, or, if those paths would be
    too long for a socket address, a short directory in /tmp that only this database maps to."""
    beside = database.resolve().with_name(f"{database.name}-notices")
    if len(os.fsencode(beside)) + 1 + SOCKET_NAME_MAX <= SOCKET_PATH_MAX:
        return beside
    digest = hashlib.sha256(os.fsencode(beside)).hexdigest()[:32]
    return SHORT_ROOT / f"fedihub-notices-{digest}"


def _usable(directory: Path) -> bool:
    """Makes `directory` if need be; whether it is ours alone (see `_ours`)."""
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    return _ours(directory)


def _ours(directory: Path) -> bool:
    """Whether `directory` is a real directory of this user's that nobody else may write into
    (in /tmp someone else could have made it first, to hear or to swallow the notices)."""
    st = os.lstat(directory)
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


class Notices:
    """The notices of one opened database: `send` for its writers, `listen` for its workers.
    Its own listeners are skipped by its own sends (its workers were woken in-process)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}-"
        self._numbers = itertools.count()
        self._sender: socket.socket | None = None
        self._trusted = False  # the directory was checked to be ours alone

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def send(self, channel: str) -> None:
        """Tells every other listener of this database; never blocks, never raises."""
        try:
            if not self._trusted:
                self._trusted = _ours(self.directory)
            names = os.listdir(self.directory) if self._trusted else []
        except OSError:
            return  # nobody has listened yet: nobody to tell
        if self._sender is None:
            self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sender.setblocking(False)
        payload = channel.encode()
        for name in names:
            if not name.endswith(".sock") or name.startswith(self._prefix):
                continue
            path = os.path.join(self.directory, name)
            try:
                self._sender.sendto(payload, path)
            except (ConnectionRefusedError, FileNotFoundError):
                # Nobody reads it any more: its process ended without removing it.
                with contextlib.suppress(OSError):
                    os.unlink(path)
            except OSError:
                pass  # a full queue (it has notices to read already), or not ours to write to

    async def listen(self, channels: Collection[str], heard: Callable[[str], None]) -> None:
        """Calls `heard(channel)` for each notice on `channels` from another process, until
        cancelled; once per channel whenever it (re)starts listening."""
        failed_before = False
        while True:
            try:
                receiver, path = self._bind()
            except OSError as e:
                if not failed_before:
                    log.warning(
                        "cannot listen for wake-ups in %s (%s); the workers' idle polls will"
                        " find what other processes write", self.directory, e,
                    )  # fmt: skip
                failed_before = True
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            log.info("listening for wake-ups on %s in %s", ", ".join(sorted(channels)),
                     self.directory)  # fmt: skip
            failed_before = False
            try:
                await self._hear(receiver, path, set(channels), heard)
            finally:
                receiver.close()
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def _bind(self) -> tuple[socket.socket, str]:
        if not _usable(self.directory):
            raise PermissionError(f"{self.directory} is not a private directory of this user")
        path = os.path.join(self.directory, f"{self._prefix}{next(self._numbers)}.sock")
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            receiver.setblocking(False)
            receiver.bind(path)
        except BaseException:
            receiver.close()
            raise
        return receiver, path

    async def _hear(
        self,
        receiver: socket.socket,
        path: str,
        channels: set[str],
        heard: Callable[[str], None],
    ) -> None:
        """Until the socket's file is gone (then the caller binds another) or cancelled."""
        bound = os.stat(path).st_ino

        def readable() -> None:
            woken: set[str] = set()
            while True:
                try:
                    data = receiver.recv(RECEIVE_BYTES)
                except OSError:  # BlockingIOError: nothing more for now
                    break
                channel = data.decode(errors="replace")
                if channel in channels and channel not in woken:
                    woken.add(channel)
                    heard(channel)

        loop = asyncio.get_running_loop()
        loop.add_reader(receiver.fileno(), readable)
        try:
            for channel in channels:  # whatever was written while nobody listened
                heard(channel)
            while True:
                await asyncio.sleep(CHECK_EVERY_S)
                try:
                    still_there = os.stat(path).st_ino == bound
                except OSError:
                    still_there = False
                if not still_there:
                    log.warning("the wake-up socket %s was removed; binding another", path)
                    return
        finally:
            loop.remove_reader(receiver.fileno())
