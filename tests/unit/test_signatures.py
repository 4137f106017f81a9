"""HTTP signature rules, with the requests shaped as Mastodon (cavage) and Fedify (RFC 9421) send
them, and every way a hostile sender might bend them."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from typing import Any

import pytest
from bovine.crypto.types import CryptographicSecret
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver
from multidict import CIMultiDict

from fedihub.errors import FetchError, SignatureError
from fedihub.signatures import SignedRequest, verify_request
from tests.support.remote import sign_cavage_post, static_key

ALICE = "https://mastodon.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
INBOX = "https://fedihub.example/hubs/climate/inbox"
ALICE_PUBLIC, ALICE_PRIVATE = static_key("alice")
MALLORY_PUBLIC, MALLORY_PRIVATE = static_key("mallory")
BODY = json.dumps({"id": "https://mastodon.example/1", "type": "Follow", "actor": ALICE}).encode()


class Keys:
    """A key lookup as the resolver provides it, counting refreshes."""

    def __init__(self, table: dict[str, tuple[str, str]]) -> None:
        self.table = table
        self.fresh: dict[str, tuple[str, str]] = {}
        self.refreshes = 0

    async def __call__(self, key_id: str, refresh: bool) -> tuple[str, str]:
        if refresh:
            self.refreshes += 1
            if key_id in self.fresh:
                return self.fresh[key_id]
        if key_id not in self.table:
            raise FetchError(f"{key_id}: HTTP 404")
        return self.table[key_id]


def keys() -> Keys:
    return Keys({ALICE_KEY: (ALICE, ALICE_PUBLIC)})


def request(headers: dict[str, str], body: bytes = BODY, url: str = INBOX, method: str = "POST"):
    return SignedRequest(method=method, url=url, headers=CIMultiDict(headers), body=body)


def alice_post(body: bytes = BODY, url: str = INBOX, **kw: Any) -> dict[str, str]:
    return sign_cavage_post(CryptographicSecret.from_pem(ALICE_KEY, ALICE_PRIVATE), url, body, **kw)


async def test_mastodon_shaped_post_verifies_to_its_owner() -> None:
    assert await verify_request(request(alice_post()), keys()) == ALICE


async def test_forged_signature_is_refused() -> None:
    headers = alice_post()
    forged = CryptographicSecret.from_pem(ALICE_KEY, MALLORY_PRIVATE)  # claims alice's key id
    headers["signature"] = sign_cavage_post(forged, INBOX, BODY)["signature"]
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request(request(headers), keys())


async def test_tampered_body_fails_the_digest() -> None:
    with pytest.raises(SignatureError, match="digest does not match"):
        await verify_request(request(alice_post(), body=BODY + b" "), keys())


async def test_replayed_old_date_is_refused() -> None:
    old = formatdate(time.time() - 2 * 3600, usegmt=True)
    with pytest.raises(SignatureError, match="too old"):
        await verify_request(request(alice_post(date=old)), keys())


async def test_date_far_in_the_future_is_refused() -> None:
    future = formatdate(time.time() + 3 * 3600, usegmt=True)
    with pytest.raises(SignatureError, match="future"):
        await verify_request(request(alice_post(date=future)), keys())


async def test_date_within_mastodons_window_is_accepted() -> None:
    forty_minutes_old = formatdate(time.time() - 40 * 60, usegmt=True)
    assert await verify_request(request(alice_post(date=forty_minutes_old)), keys()) == ALICE


async def test_post_that_does_not_sign_its_digest_is_refused() -> None:
    headers = alice_post()
    headers["signature"] = headers["signature"].replace(
        'headers="(request-target) host date digest content-type"',
        'headers="(request-target) host date content-type"',
    )
    with pytest.raises(SignatureError, match="digest"):
        await verify_request(request(headers), keys())


async def test_unsigned_request_is_refused() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        await verify_request(request({"date": formatdate(usegmt=True)}), keys())


@pytest.mark.parametrize(
    "header",
    ['keyId="x"', "garbage", 'keyId="k",algorithm="rsa-sha512",headers="date",signature="AA=="'],
)
async def test_malformed_or_unsupported_signature_headers_are_refused(header: str) -> None:
    with pytest.raises(SignatureError):
        await verify_request(request({**alice_post(), "signature": header}), keys())


async def test_garbage_signature_bytes_do_not_crash() -> None:
    headers = alice_post()
    start = headers["signature"].index('signature="') + len('signature="')
    headers["signature"] = headers["signature"][:start] + '!!not base64!!"'
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request(request(headers), keys())


async def test_unknown_key_is_a_signature_error_not_a_crash() -> None:
    with pytest.raises(SignatureError, match="cannot get the signing key"):
        await verify_request(request(alice_post()), Keys({}))


async def test_rotated_key_is_fetched_once_more() -> None:
    lookup = Keys({ALICE_KEY: (ALICE, MALLORY_PUBLIC)})  # a stale cached key
    lookup.fresh[ALICE_KEY] = (ALICE, ALICE_PUBLIC)
    assert await verify_request(request(alice_post()), lookup) == ALICE
    assert lookup.refreshes == 1


async def test_get_must_sign_host() -> None:
    from bovine.crypto.http_signature import HttpSignature

    url = "https://fedihub.example/hubs/climate/outbox?page=2"
    date = formatdate(usegmt=True)
    helper = (
        HttpSignature()
        .with_field("(request-target)", "get /hubs/climate/outbox?page=2")
        .with_field("date", date)
    )
    secret = CryptographicSecret.from_pem(ALICE_KEY, ALICE_PRIVATE)
    headers = {"date": date, "signature": helper.sign_for_http_draft(secret)}
    with pytest.raises(SignatureError, match="host"):
        await verify_request(request(headers, b"", url, "GET"), keys())


@pytest.mark.parametrize("target", ["/hubs/climate/outbox?page=2", "/hubs/climate/outbox"])
async def test_get_target_with_or_without_query_is_accepted(target: str) -> None:
    from bovine.crypto.http_signature import HttpSignature

    url = "https://fedihub.example/hubs/climate/outbox?page=2"
    date = formatdate(usegmt=True)
    helper = (
        HttpSignature()
        .with_field("(request-target)", f"get {target}")
        .with_field("host", "fedihub.example")
        .with_field("date", date)
    )
    secret = CryptographicSecret.from_pem(ALICE_KEY, ALICE_PRIVATE)
    signature = helper.sign_for_http_draft(secret).replace("rsa-sha256", "hs2019")
    headers = {"host": "fedihub.example", "date": date, "signature": signature}
    assert await verify_request(request(headers, b"", url, "GET"), keys()) == ALICE


# RFC 9421, signed the way Fedify signs


class _Message:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


def fedify_post(body: bytes = BODY, private_pem: str = ALICE_PRIVATE, created: float | None = None):
    headers = {
        "Host": "fedihub.example",
        "Date": formatdate(usegmt=True),
        "Content-Type": "application/activity+json",
    }
    message = _Message("POST", INBOX, headers)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={ALICE_KEY: private_pem.encode()}
        ),
    )
    from datetime import UTC, datetime

    signer.sign(
        message,
        key_id=ALICE_KEY,
        label="sig1",
        created=datetime.fromtimestamp(created, UTC) if created else None,
        covered_component_ids=("@method", "@target-uri", "@authority", "host", "date"),
        body=body,
    )
    return headers


async def test_rfc9421_post_verifies() -> None:
    headers = fedify_post()
    assert "sig1=" in headers["Signature-Input"] and "content-digest" in headers["Signature-Input"]
    assert await verify_request(request(headers), keys()) == ALICE


async def test_rfc9421_forged_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="RFC 9421"):
        await verify_request(request(fedify_post(private_pem=MALLORY_PRIVATE)), keys())


async def test_rfc9421_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError, match="RFC 9421"):
        await verify_request(request(fedify_post(), body=BODY + b"x"), keys())


async def test_rfc9421_replayed_old_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="RFC 9421"):
        await verify_request(request(fedify_post(created=time.time() - 3 * 3600)), keys())


async def test_rfc9421_malformed_input_is_refused() -> None:
    headers = {**fedify_post(), "Signature-Input": "sig1=(((broken"}
    with pytest.raises(SignatureError, match="malformed"):
        await verify_request(request(headers), keys())


async def test_absurd_date_is_a_signature_error() -> None:
    headers = {**alice_post(), "date": "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT"}
    with pytest.raises(SignatureError, match="Date"):
        await verify_request(request(headers), keys())


async def test_rfc9421_older_than_65_minutes_is_refused() -> None:
    with pytest.raises(SignatureError, match="RFC 9421"):
        await verify_request(request(fedify_post(created=time.time() - 70 * 60)), keys())
    assert (
        await verify_request(request(fedify_post(created=time.time() - 60 * 60)), keys()) == ALICE
    )


async def test_key_fetch_errors_are_not_echoed_to_the_sender() -> None:
    class Failing:
        async def __call__(self, key_id: str, refresh: bool) -> tuple[str, str]:
            raise FetchError("https://10.0.0.5:6443/x: ConnectionRefused on internal port")

    with pytest.raises(SignatureError) as caught:
        await verify_request(request(alice_post()), Failing())
    assert caught.value.message == "cannot get the signing key"


async def test_rfc9421_reads_the_time_it_is_given() -> None:
    """Signed three hours ahead of the system clock: from the future, unless `now` is then too."""
    ahead = time.time() + 3 * 3600
    with pytest.raises(SignatureError, match="future"):
        await verify_request(request(fedify_post(created=ahead)), keys())
    assert await verify_request(request(fedify_post(created=ahead)), keys(), now=ahead) == ALICE
    with pytest.raises(SignatureError, match="too old"):
        await verify_request(request(fedify_post()), keys(), now=ahead)
