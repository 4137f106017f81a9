"""Where the bytes of uploaded images are kept, chosen by the `media_store` setting: a directory
(the data directory's media/, or one every process sees, on one machine or a network file
system), or a bucket of an S3-compatible object store.

Both answer to `MediaStore`; nothing above this module knows which one it has. Names are the
random names `service.store_upload` gives (checked by the route before they get here), and an
image is never changed once stored, so a reader sees the whole of it or nothing.

The object store is reached through boto3, AWS's own client, run in threads (the store's own
bounded pool, `Services.media_threads`: never the event loop's default executor, which the
resolver's DNS lookups need, so a hung file system or bucket cannot starve federation):
boto3 and botocore are kept by AWS and move together, where aiobotocore pins one exact botocore
(and so every other package that needs botocore, moto among them) and wraps it in its own HTTP
layer. An image is at most a few megabytes and a thread per request in flight is cheap beside the
upload's re-encoding, which runs on a thread already.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import IO, TYPE_CHECKING, ParamSpec, Protocol, TypeVar

from fedihub.config import Config, S3Location, sync_directory
from fedihub.errors import FedihubError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import GetObjectOutputTypeDef

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

CHUNK_BYTES = 64 * 1024
# An object store that does not answer in this long is treated as unreachable (503) rather than
# holding a visitor's request: a connection refused or timed out is tried once more, then given up.
S3_CONNECT_TIMEOUT_S = 5.0
S3_READ_TIMEOUT_S = 30.0
S3_ATTEMPTS = 2
S3_DELETE_BATCH = 1000  # the most one DeleteObjects request takes


class StoreUnavailable(FedihubError):
    """The image store could not be reached or refused us; the operator's log says why."""

    http_status = 503


class Stored(Protocol):
    """One stored image being read: its size in bytes, then its bytes in chunks; closed after."""

    size: int

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class MediaStore(Protocol):
    """Bytes kept under a name. Every method raises StoreUnavailable when the store cannot be
    reached; a missing name is no error (None from `open`, False from `exists`)."""

    description: str  # where, for messages to operators

    async def put(self, name: str, data: bytes, content_type: str) -> None: ...

    async def open(self, name: str) -> Stored | None: ...

    async def read(self, name: str) -> bytes | None: ...

    async def exists(self, name: str) -> bool: ...

    async def delete(self, names: list[str]) -> None: ...


def media_store(config: Config, threads: Executor) -> MediaStore:
    """The store the configuration names, its blocking calls run on `threads`. Cheap to call:
    S3 clients are made once per process."""
    where = config.media_location
    if isinstance(where, Path):
        return DirectoryStore(where, threads)
    return S3Store(where, _s3_client(config.s3_endpoint_url), threads, config.s3_endpoint_url)


async def read_all(stored: Stored) -> bytes:
    try:
        return b"".join([chunk async for chunk in stored.chunks()])
    finally:
        await stored.close()


class _Outage:
    """Says once that the store cannot be reached, and once that it can again, however many
    requests fail in between: an outage is one line in the operator's log, not one a request."""

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    def failed(self, where: str, error: BaseException) -> StoreUnavailable:
        with self._lock:
            first, self._down = not self._down, True
        if first:
            log.warning("the media store %s cannot be reached: %s", where, _one_line(error))
        return StoreUnavailable("the image store cannot be reached; try again in a moment")

    def answered(self, where: str) -> None:
        if self._down:
            with self._lock:
                was, self._down = self._down, False
            if was:
                log.warning("the media store %s answers again", where)


def _one_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]


# One outage state per place, shared by every store object for it in this process.
_OUTAGES: dict[str, _Outage] = {}


def _outage(where: str) -> _Outage:
    return _OUTAGES.setdefault(where, _Outage())


class _Store:
    """What both stores share: `read` through `open`, and their blocking calls on `threads`."""

    def __init__(self, threads: Executor) -> None:
        self._threads = threads

    async def open(self, name: str) -> Stored | None:
        raise NotImplementedError

    async def read(self, name: str) -> bytes | None:
        stored = await self.open(name)
        return None if stored is None else await read_all(stored)

    async def _in_thread(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, functools.partial(call, *args, **kwargs)
        )


class DirectoryStore(_Store):
    """Files in one directory. A write goes to a temporary file beside its final name and is
    renamed into place, so another process (on this machine or another, over NFS) never reads
    half an image."""

    def __init__(self, root: Path, threads: Executor) -> None:
        super().__init__(threads)
        self.root = root
        self.description = str(root)
        self._outage = _outage(self.description)

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        await self._run(_write_atomically, self.root, name, data)

    async def open(self, name: str) -> Stored | None:
        file = await self._run(_open_or_none, self.root / name)
        return None if file is None else _FileRead(file, self)

    async def exists(self, name: str) -> bool:
        def is_file() -> bool:
            self._check_root()
            return (self.root / name).is_file()

        return await self._run(is_file)

    async def delete(self, names: list[str]) -> None:
        def unlink_all() -> None:
            self._check_root()
            for name in names:
                (self.root / name).unlink(missing_ok=True)

        await self._run(unlink_all)

    def _check_root(self) -> None:
        """A missing file is no error, but a missing directory is: a file system not mounted
        would otherwise pass for a store where nothing is."""
        if not self.root.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such directory", str(self.root))

    async def _run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`call` on a thread; a failing file system (gone, full, a lost NFS mount) is a
        StoreUnavailable, said once in the log."""
        try:
            result = await self._in_thread(call, *args, **kwargs)
        except OSError as e:
            raise self._outage.failed(self.description, e) from e
        self._outage.answered(self.description)
        return result


def _write_atomically(root: Path, name: str, data: bytes) -> None:
    temporary = root / f".{name}.{secrets.token_hex(8)}.part"  # dot: never a name we serve
    try:
        with temporary.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())  # on disk before it has its name: no empty image after a crash
        os.replace(temporary, root / name)  # atomic within one directory, NFS included
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_directory(root)  # the new name on disk too


def _open_or_none(path: Path) -> IO[bytes] | None:
    """The file, or None when it is not there; a directory that is itself gone (a network file
    system not mounted) is an error, not an image missing."""
    try:
        return path.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        if not path.parent.is_dir():
            raise
        return None


class _FileRead:
    def __init__(self, file: IO[bytes], store: DirectoryStore) -> None:
        self._file = file
        self._store = store
        self.size = os.fstat(file.fileno()).st_size

    async def chunks(self) -> AsyncIterator[bytes]:
        while chunk := await self._store._run(self._file.read, CHUNK_BYTES):
            yield chunk

    async def close(self) -> None:
        self._file.close()


class S3Store(_Store):
    """Objects in a bucket (under a prefix) of an S3-compatible store: AWS, MinIO, Ceph, Garage…

    Reached with its own client, not fedihub's outbound one (fedihub.client): that one refuses
    private and loopback addresses because federation hands it addresses strangers chose, while
    this endpoint is the operator's own setting, often on a private network, and trusted."""

    def __init__(
        self, where: S3Location, client: S3Client, threads: Executor, endpoint_url: str = ""
    ) -> None:
        super().__init__(threads)
        self.bucket = where.bucket
        self.prefix = where.prefix
        self.client = client
        self.description = f"s3://{where.bucket}/{where.prefix}" + (
            f" at {endpoint_url}" if endpoint_url else ""
        )
        self._outage = _outage(self.description)

    def key(self, name: str) -> str:
        return self.prefix + name

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        # One request: the object appears whole or not at all.
        key = self.key(name)
        await self._run(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        )

    async def open(self, name: str) -> Stored | None:
        def get() -> GetObjectOutputTypeDef | None:
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self.key(name))
            except self.client.exceptions.NoSuchKey:
                return None

        found = await self._run(get)
        return None if found is None else _ObjectRead(found, self)

    async def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.key(name))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        return await self._run(head)

    async def delete(self, names: list[str]) -> None:
        def delete_all() -> None:
            for start in range(0, len(names), S3_DELETE_BATCH):
                batch = names[start : start + S3_DELETE_BATCH]
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": self.key(n)} for n in batch], "Quiet": True})  # fmt: skip
                if errors := answer.get("Errors"):  # a key already gone is no error in S3
                    first = errors[0]
                    raise OSError(f"{len(errors)} objects not deleted, first {first.get('Key')}:"
                                  f" {first.get('Code')} {first.get('Message')}")  # fmt: skip

        await self._run(delete_all)

    async def _run(self, call: Callable[[], T]) -> T:
        """`call` on a thread; a store that cannot be reached, or refuses us (credentials, a
        missing bucket), is a StoreUnavailable, said once in the log."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result = await self._in_thread(call)
        except (BotoCoreError, ClientError, OSError) as e:
            raise self._outage.failed(self.description, e) from e
        self._outage.answered(self.description)
        return result


class _ObjectRead:
    def __init__(self, found: GetObjectOutputTypeDef, store: S3Store) -> None:
        self._body = found["Body"]
        self._store = store
        self.size = found["ContentLength"]

    async def chunks(self) -> AsyncIterator[bytes]:
        while chunk := await self._store._run(lambda: self._body.read(CHUNK_BYTES)):
            yield chunk

    async def close(self) -> None:
        await self._store._in_thread(self._body.close)


_S3_CLIENTS: dict[str, S3Client] = {}
_S3_CLIENTS_LOCK = threading.Lock()


def _s3_client(endpoint_url: str) -> S3Client:
    """One client per endpoint for the process (boto3's clients are thread-safe; making one costs
    tens of milliseconds). Credentials and region: boto3's standard chain (AWS_* variables)."""
    with _S3_CLIENTS_LOCK:
        if endpoint_url not in _S3_CLIENTS:
            import boto3  # loaded only by instances that keep media in an object store
            from botocore.config import Config as BotoConfig

            settings = BotoConfig(
                connect_timeout=S3_CONNECT_TIMEOUT_S, read_timeout=S3_READ_TIMEOUT_S,
                retries={"max_attempts": S3_ATTEMPTS, "mode": "standard"},
                # Stores other than AWS (MinIO, Ceph, Garage) take bucket names in the path.
                s3={"addressing_style": "path"} if endpoint_url else None,
                # Checksums only where S3 requires them: several S3-compatible stores refuse
                # the CRC headers botocore now sends by default.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )  # fmt: skip
            _S3_CLIENTS[endpoint_url] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, config=settings
            )
        return _S3_CLIENTS[endpoint_url]
