"""RSA signatures for deliveries, made in child processes so that they run on every core.

`cryptography`'s RSA-2048 sign holds the GIL (measured: 3,800 signatures/s on one thread and on
two alike, 7,200-7,500/s on two processes), so signing on threads took turns with the event
loop that sends the requests. A fan-out signs ~1,000 requests at once; here each goes as one
frame over a pipe to the least busy of `processes` children (`python -m fedihub.signer`, which
imports nothing but `cryptography`), and its answer wakes the request that waits for it.

A key goes to a child once, as DER, the first time that child signs with it; the child skips
the RSA key check the parent already made when it loaded the key from the database. A child
that dies fails the signatures it owed (their deliveries are retried later, as any failure)
and is started again at the next signature.

Frames, parent to child: b"K" key-number length DER | b"S" request key-number length message;
child to parent: request length base64-signature (length 0: the child could not sign it).
Numbers are unsigned 32-bit big-endian.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import struct
import sys
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">II")  # key or request number, length
_SIGN = struct.Struct(">III")  # request number, key number, length
_ANSWER = struct.Struct(">II")  # request number, length


# A signature takes ~0.3 ms; a child that has not answered one in this long is wedged. Short
# enough that a delivery is retried rather than held, long enough for a machine under load.
ANSWER_WITHIN_S = 10.0
# Answers written at once by a child that has more requests waiting (~2 ms of signing).
ANSWERS_TOGETHER = 8


class SigningFailed(Exception):
    """The child that was to sign died, or could not sign."""


@dataclass(eq=False)
class _Child:
    process: asyncio.subprocess.Process
    keys: set[int] = field(default_factory=set)
    owed: dict[int, asyncio.Future[str]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        running = self.process.returncode is None
        return running and self.reader is not None and not self.reader.done()


class SigningProcesses:
    """Signs with RSA keys in `processes` children, started at the first signature or `start`."""

    def __init__(self, processes: int) -> None:
        self._size = processes
        self._children: list[_Child] = []
        self._key_numbers: dict[int, int] = {}  # id(key) -> its number
        self._keys: dict[int, tuple[rsa.RSAPrivateKey, bytes]] = {}  # number -> (key, DER)
        self._requests = 0
        self._starting: asyncio.Lock | None = None
        self._background: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """Every child is up and reading: signatures may be sent here without waiting."""
        return len(self._children) >= self._size and all(c.alive for c in self._children)

    def start_soon(self) -> None:
        """Starts the children in the background (once at a time); meanwhile the caller signs
        elsewhere, so a burst does not wait ~0.2 s for them."""
        if self._closed or (self._background is not None and not self._background.done()):
            return
        self._background = asyncio.create_task(self._start_logged(), name="signers starting")

    async def _start_logged(self) -> None:
        try:
            await self.start()
        except OSError as e:  # tried again at the next burst; the threads sign meanwhile
            log.warning("cannot start the signing processes: %s", e)

    async def start(self) -> None:
        """Starts the children now, so the first fan-out does not wait for them."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            self._children = [c for c in self._children if c.alive]
            while len(self._children) < self._size and not self._closed:
                self._children.append(await self._spawn())

    async def sign(self, key: rsa.RSAPrivateKey, message: bytes) -> str:
        """The base64 RSA-SHA256 (PKCS#1 v1.5) signature of `message`."""
        if self._closed:
            raise SigningFailed("the signing processes were closed")
        if len(self._children) < self._size or not all(c.alive for c in self._children):
            await self.start()
        child = min(self._children, key=lambda c: len(c.owed))
        number = self._number_of(key)
        assert child.process.stdin is not None
        if number not in child.keys:
            der = self._keys[number][1]
            child.process.stdin.write(b"K" + _HEADER.pack(number, len(der)) + der)
            child.keys.add(number)
        self._requests += 1
        request = self._requests
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        child.owed[request] = answer
        child.process.stdin.write(b"S" + _SIGN.pack(request, number, len(message)) + message)
        try:
            return await asyncio.wait_for(answer, ANSWER_WITHIN_S)
        except TimeoutError:
            # Alive but not answering (stopped, stuck): it is killed, so what it owed fails and
            # is retried, and its unread input stops growing; the next signature starts another.
            log.warning("a signing process did not answer within %.0f s; killing it",
                        ANSWER_WITHIN_S)  # fmt: skip
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
            if child in self._children:
                self._children.remove(child)
            raise SigningFailed("the signing process did not answer") from None

    async def close(self) -> None:
        self._closed = True
        if self._background is not None:
            await asyncio.gather(self._background, return_exceptions=True)
        for child in self._children:
            if child.process.stdin is not None:
                child.process.stdin.close()  # the child ends when its input does
        for child in self._children:
            try:
                await asyncio.wait_for(child.process.wait(), 2.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                await child.process.wait()
            if child.reader is not None:
                await asyncio.gather(child.reader, return_exceptions=True)
        self._children = []

    def _number_of(self, key: rsa.RSAPrivateKey) -> int:
        number = self._key_numbers.get(id(key))
        if number is None or self._keys[number][0] is not key:
            number = len(self._keys)
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            self._keys[number] = (key, der)  # kept, so id(key) is never reused for another
            self._key_numbers[id(key)] = number
        return number

    async def _spawn(self) -> _Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fedihub.signer",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        child = _Child(process)
        child.reader = asyncio.create_task(self._read(child), name="signer answers")
        return child

    async def _read(self, child: _Child) -> None:
        stdout = child.process.stdout
        assert stdout is not None
        try:
            while True:
                request, length = _ANSWER.unpack(await stdout.readexactly(_ANSWER.size))
                signature = (await stdout.readexactly(length)).decode() if length else ""
                answer = child.owed.pop(request, None)
                if answer is None or answer.done():
                    continue
                if signature:
                    answer.set_result(signature)
                else:
                    answer.set_exception(SigningFailed("the signing process could not sign"))
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self._closed:
                log.warning("a signing process ended (code %s); starting another",
                            child.process.returncode)  # fmt: skip
        finally:
            for answer in child.owed.values():
                if not answer.done():
                    answer.set_exception(SigningFailed("the signing process ended"))
            child.owed.clear()
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()


def serve(requests: int, answers: int) -> None:
    """The child: signs what the file descriptor `requests` asks until it ends, answering on
    `answers`. Whatever arrived together is answered a few at a time: one write (and one wake-up
    of the parent) each, yet the first requests of a burst are not kept waiting for the last."""
    keys: dict[int, rsa.RSAPrivateKey] = {}
    answered = 0
    pending = bytearray()
    while chunk := os.read(requests, 1 << 16):
        pending += chunk
        out = bytearray()
        start = 0
        while True:
            frame = _frame(pending, start)
            if frame is None:
                break
            kind, number, request, body, start = frame
            if kind == b"K":
                # The parent checked this key when it loaded it; checking again costs ~50 ms.
                key = serialization.load_der_private_key(
                    body, None, unsafe_skip_rsa_key_validation=True
                )
                assert isinstance(key, rsa.RSAPrivateKey)
                keys[number] = key
                continue
            try:
                signed = keys[number].sign(body, padding.PKCS1v15(), hashes.SHA256())
                signature = base64.standard_b64encode(signed)
            except Exception:  # an unknown key number: a bug in the parent, answered, not fatal
                signature = b""
            out += _ANSWER.pack(request, len(signature)) + signature
            answered += 1
            if answered % ANSWERS_TOGETHER == 0:
                _write_all(answers, out)
                out.clear()
        del pending[:start]
        _write_all(answers, out)


def _write_all(fd: int, data: bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _frame(data: bytearray, start: int) -> tuple[bytes, int, int, bytes, int] | None:
    """(kind, key number, request number, body, where the next frame starts) of the frame at
    `start`, or None if it has not all arrived."""
    kind = bytes(data[start : start + 1])
    if kind == b"K":
        if len(data) < start + 1 + _HEADER.size:
            return None
        number, length = _HEADER.unpack_from(data, start + 1)
        request, body_at = 0, start + 1 + _HEADER.size
    elif kind == b"S":
        if len(data) < start + 1 + _SIGN.size:
            return None
        request, number, length = _SIGN.unpack_from(data, start + 1)
        body_at = start + 1 + _SIGN.size
    elif not kind:
        return None
    else:
        raise SystemExit(f"fedihub.signer: a frame of unknown kind {kind!r}")
    if len(data) < body_at + length:
        return None
    return kind, number, request, bytes(data[body_at : body_at + length]), body_at + length


if __name__ == "__main__":
    serve(sys.stdin.fileno(), sys.stdout.fileno())
