"""Deliveries signed in child processes (fedihub/signer.py): a real receiver verifies what they
sign, the headers are those the threads would have written, and a child that dies costs only
the signatures it owed."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fedihub.client import HttpClient
from fedihub.clock import FixedClock
from fedihub.config import Config
from fedihub.signer import SigningFailed, SigningProcesses
from tests.support.remote import RemoteServer

T0 = 1_790_000_000.0


@pytest.fixture
async def signers() -> AsyncIterator[SigningProcesses]:
    processes = SigningProcesses(2)
    yield processes
    await processes.close()


def _verifies(key: rsa.RSAPrivateKey, message: bytes, signature: str) -> bool:
    try:
        key.public_key().verify(
            base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        return False
    return True


async def test_many_signatures_with_two_keys_each_verify(signers: SigningProcesses) -> None:
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]
    messages = [(keys[n % 2], f"message {n}".encode() * (n % 7 + 1)) for n in range(400)]
    signatures = await asyncio.gather(*(signers.sign(k, m) for k, m in messages))
    assert all(_verifies(k, m, s) for (k, m), s in zip(messages, signatures, strict=True))
    assert not _verifies(keys[1], *messages[0][1:], signatures[0])  # the control: key 0 signed


async def test_a_receiver_verifies_posts_signed_in_processes_and_on_threads_alike(
    instance_config: Config,
) -> None:
    clock = FixedClock(at=T0)
    in_processes = HttpClient.create(dataclasses.replace(instance_config, signing_processes=2,
                                                         insecure_http=True), clock)  # fmt: skip
    on_threads = HttpClient.create(dataclasses.replace(instance_config, signing_processes=0,
                                                       insecure_http=True), clock)  # fmt: skip
    try:
        async with RemoteServer(hosts=3) as remote:
            clock.at = time.time()  # the receiver checks the Date header
            senders = [remote.add_actor("ana", key="alice"), remote.add_actor("bo", key="bob")]
            inboxes = [f"{remote.base_url(h)}/inbox" for h in range(3)]
            body = json.dumps({"type": "Create", "actor": senders[0].id}).encode()
            # A delivery now and then is signed on a thread: no process is started for it.
            for n in range(3):
                alone = await in_processes.post_signed(inboxes[n], body, senders[0].secret)
                assert alone.status == 202
            signers = in_processes._signing_processes
            assert signers is not None and not signers.started
            posts = [in_processes.post_signed(inboxes[n % 3], body, senders[n % 2].secret)
                     for n in range(60)]  # fmt: skip
            results = await asyncio.gather(*posts)
            assert [r.status for r in results] == [202] * 60
            for _ in range(100):  # a burst starts them, in the background
                if signers.started:
                    break
                await asyncio.sleep(0.1)
            assert signers.started
            assert remote.rejected == []
            assert len(remote.received) == 63
            # The same headers, byte for byte, as bovine writes on the threads (RSA PKCS#1 v1.5
            # signatures are deterministic).
            for sender in senders:
                made = await in_processes._signed_post_headers(sender.secret, inboxes[1], body)
                assert made == await on_threads.signed_headers_for_post(
                    sender.secret, inboxes[1], body
                )
    finally:
        await in_processes.close()
        await on_threads.close()


async def test_a_child_that_dies_fails_what_it_owed_and_another_takes_over() -> None:
    signers = SigningProcesses(1)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    try:
        assert _verifies(key, b"first", await signers.sign(key, b"first"))
        (child,) = signers._children
        owed = [asyncio.ensure_future(signers.sign(key, b"x" * 100)) for _ in range(500)]
        await asyncio.sleep(0)  # the requests are written
        child.process.kill()
        outcomes = await asyncio.wait_for(asyncio.gather(*owed, return_exceptions=True), 30)
        failed = [o for o in outcomes if isinstance(o, SigningFailed)]
        assert failed, "killed with 500 signatures owed, it answered them all?"
        assert all(isinstance(o, (str, SigningFailed)) for o in outcomes)
        # The next signature starts another child, which is told the key again.
        assert _verifies(key, b"after", await signers.sign(key, b"after"))
        (another,) = signers._children
        assert another is not child
    finally:
        await signers.close()


async def test_closing_ends_every_child(signers: SigningProcesses) -> None:
    await signers.start()
    pids = [c.process.pid for c in signers._children]
    assert len(pids) == 2
    await signers.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(SigningFailed):
        await signers.sign(rsa.generate_private_key(public_exponent=65537, key_size=2048), b"x")


async def test_a_wedged_signing_process_fails_its_signatures_instead_of_holding_them() -> None:
    """A child that is alive but does not answer (stopped, swapped out, stuck) is given up on
    after ANSWER_WITHIN_S: the signature fails (its delivery is retried) instead of holding its
    worker slot, and its row, for as long as the process lives; the next signature is made by
    a new child."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signers = SigningProcesses(1)
    await signers.start()
    assert (await signers.sign(key, b"warm-up")) != ""
    pid = signers._children[0].process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        outcome = "hung"
        try:
            await asyncio.wait_for(signers.sign(key, b"a delivery"), 20)
            outcome = "signed"
        except SigningFailed:
            outcome = "failed, to be retried"
        except TimeoutError:
            pass
        assert outcome == "failed, to be retried"
        assert await signers.sign(key, b"the retry") != ""  # a new child signs it
        assert signers._children[0].process.pid != pid
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed, as it should have been
            os.kill(pid, signal.SIGCONT)
        await signers.close()
