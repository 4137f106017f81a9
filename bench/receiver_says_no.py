#!/usr/bin/env python3
"""Shows that the independent receivers refuse what they must: a receiver that accepts
everything would make bench.py's `--receiver fedify` or `--receiver http-signature` figure
worthless.

    .venv/bin/python bench/receiver_says_no.py [--verifier fedify|http-signature]

For each of receiver.mjs's verifiers (both unless one is named) it starts
bench/independent_receiver/receiver.mjs on one port and a loopback actor (alice) whose document
carries her public key (tests/support/remote.py's RemoteServer), then POSTs to the receiver's
inbox, each with a draft-cavage signature as Mastodon and fedihub send it:
  1. correctly signed by alice                                   -> 202
  2. the same signed headers with one byte of the body changed    -> 401 (Digest mismatch)
  3. that changed body with its Digest made again, not re-signed  -> 401 (signature)
  4. signed with another private key under alice's keyId          -> 401 (wrong key)
  5. no signature at all                                          -> 401
  6. correctly signed, but with a Date two hours old              -> 401 (outside the window)
  7. signed without digest among its headers (Digest sent, right) -> 401 (body not covered)
  8. case 6 with a fresh X-Date beside it, not signed             -> 401 (a replay's disguise)
Prints each status with the receiver's reason; exits 1 if any answer is not the expected one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import sys
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicSecret

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receivers import NODE_VERIFIERS, NodeReceiver

from tests.support.remote import RemoteServer, sign_cavage_post, static_key


def sign_without_digest(secret: CryptographicSecret, url: str, body: bytes) -> dict[str, str]:
    """(request-target) host date signed; the right Digest sent beside them, not signed: a
    man in the middle could change the body and its Digest and keep the signature."""
    parts = urlsplit(url)
    helper = build_signature(parts.netloc, "post", parts.path).with_field(
        "date", formatdate(usegmt=True)
    )
    return {**helper.headers, "signature": helper.sign_for_http_draft(secret),
            "digest": content_digest_sha256(body, prefix="SHA-256"),
            "content-type": "application/activity+json"}  # fmt: skip


async def says_no(verifier: str) -> int:
    """The cases against receiver.mjs with `verifier`; how many were not answered as expected."""
    print(f"--verifier {verifier}")
    async with NodeReceiver(1, verifier) as receiver, RemoteServer(hosts=1) as keys:
        alice = keys.add_actor("alice", key="alice")
        inbox = f"http://127.0.0.1:{receiver.ports[0]}/inbox"
        note = {"id": f"{alice.id}/notes/1", "type": "Note", "content": "Depot opens at 9."}
        create = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
                  "id": f"{alice.id}/creates/1", "actor": alice.id, "object": note}  # fmt: skip
        body = json.dumps(create).encode()
        signed = sign_cavage_post(alice.secret, inbox, body)
        tampered = body.replace(b"at 9", b"at 6")
        redigested = {**signed, "digest": "SHA-256=" + base64.b64encode(
            hashlib.sha256(tampered).digest()).decode()}  # fmt: skip
        stale = sign_cavage_post(alice.secret, inbox, body,
                                 formatdate(time.time() - 7200, usegmt=True))  # fmt: skip
        _, bob_private = static_key("bob")
        impostor = CryptographicSecret.from_pem(alice.key_id, bob_private)
        cases = [
            ("correctly signed by alice", body, signed, 202),
            ("body changed after signing", tampered, signed, 401),
            ("body changed, Digest made again, not re-signed", tampered, redigested, 401),
            ("signed with bob's key under alice's keyId", body,
             sign_cavage_post(impostor, inbox, body), 401),
            ("no signature", body, {"content-type": "application/activity+json",
                                    "date": formatdate(usegmt=True)}, 401),
            ("signed with a Date two hours old", body, stale, 401),
            ("the old Date with a fresh unsigned X-Date", body,
             {**stale, "x-date": formatdate(usegmt=True)}, 401),
            ("digest not among the signed headers", body,
             sign_without_digest(alice.secret, inbox, body), 401),
        ]  # fmt: skip
        failures = 0
        async with aiohttp.ClientSession() as session:
            for what, data, headers, expected in cases:
                before = len(receiver.rejections)
                async with session.post(inbox, data=data, headers=headers) as resp:
                    status = resp.status
                await asyncio.sleep(0.05)  # its stdout line follows the answer closely
                reason = receiver.rejections[before:] or ["accepted"]
                ok = status == expected
                failures += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {what}: {status} (expected {expected});"
                      f" receiver: {reason[-1]}")  # fmt: skip
        print(f"keys the receiver fetched: {[url for url, _, _ in receiver.fetched]}")
    return failures


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verifier", choices=NODE_VERIFIERS, help="only this one (default: all)")
    args = parser.parse_args()
    failures = 0
    for verifier in [args.verifier] if args.verifier else NODE_VERIFIERS:
        failures += await says_no(verifier)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
