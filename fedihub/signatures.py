"""Verify an incoming request's HTTP signature: who signed it, or a SignatureError saying why not.

draft-cavage (`rsa-sha256`, `hs2019`) is checked with bovine's message builder and key types;
RFC 9421 with `http-message-signatures`, because bovine 0.5.19 cannot rebuild `@target-uri`.
Around both, the rules Mastodon enforces: a signed date inside the accepted window, `host` on
GET, a signed digest matching the raw body on POST, `(request-target)` with then without the
query string, and one key refetch when verification fails (the sender may have rotated keys).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import http_sf
from http_message_signatures import HTTPMessageVerifier, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException, InvalidSignature
from http_message_signatures.resolvers import MappingKeyResolver

from fedihub.clock import SYSTEM_CLOCK
from fedihub.errors import FetchError, SignatureError

if TYPE_CHECKING:
    from bovine.crypto.http_signature import HttpSignature
    from bovine.crypto.signature import Signature
    from bovine.crypto.types import CryptographicIdentifier

# bovine is imported where it is first used, not here: importing it loads its whole stack
# (pydantic, PyLD, requests: ~23 MB), which a server that has not yet been sent a signed
# request does not need (the idle RSS, issue 18).

log = logging.getLogger(__name__)

MAX_AGE_S = 65 * 60
MAX_FUTURE_S = 60 * 60

# key_id, refresh -> (owner actor id, public key PEM); raises FetchError when it cannot.
KeyLookup = Callable[[str, bool], Awaitable[tuple[str, str]]]


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str  # the URL as the sender addressed it: scheme://host/path?query
    headers: Mapping[str, str]  # case-insensitive
    body: bytes


def check_time(signed_at: float, now: float) -> None:
    if signed_at < now - MAX_AGE_S:
        raise SignatureError("signature date is too old")
    if signed_at > now + MAX_FUTURE_S:
        raise SignatureError("signature date is in the future")


async def verify_request(
    request: SignedRequest, lookup: KeyLookup, now: float | None = None
) -> str:
    """Returns the actor id owning the key that signed `request` at `now` (the system clock's
    time unless given)."""
    now = SYSTEM_CLOCK.now() if now is None else now
    if "signature-input" in request.headers:
        return await _verify_rfc9421(request, lookup, now)
    if "signature" in request.headers:
        return await _verify_cavage(request, lookup, now)
    raise SignatureError("request is not signed")


async def _lookup(lookup: KeyLookup, key_id: str, refresh: bool) -> tuple[str, str]:
    try:
        return await lookup(key_id, refresh)
    except FetchError as e:
        # What went wrong fetching stays in our log: echoing it would tell the sender how
        # hosts it names answer us.
        log.info("cannot get key %s: %s", key_id, e.message)
        raise SignatureError("cannot get the signing key") from e


# draft-cavage


def _parse_cavage(header: str) -> Signature:
    from bovine.crypto.signature import Signature

    try:
        # bovine leaves it unannotated; it returns a Signature.
        parsed: Signature = Signature.from_signature_header(header)  # type: ignore[no-untyped-call]
    except ValueError as e:
        raise SignatureError("unsupported signature algorithm") from e
    except (KeyError, IndexError) as e:
        raise SignatureError("malformed Signature header") from e
    if not parsed.key_id or not parsed.signature:
        raise SignatureError("malformed Signature header")
    return parsed


def _cavage_messages(request: SignedRequest, parsed: Signature) -> list[HttpSignature]:
    """The signing strings to try: with the query string in (request-target), then without."""
    from bovine.crypto.http_signature import HttpSignature

    fields = [f.lower() for f in parsed.fields]
    parts = urlsplit(request.url)
    targets = [parts.path + ("?" + parts.query if parts.query else "")]
    if parts.query:
        targets.append(parts.path)
    messages = []
    for target in targets:
        message = HttpSignature()  # type: ignore[no-untyped-call]  # bovine leaves it unannotated
        for name in fields:
            if name == "(request-target)":
                value = f"{request.method.lower()} {target}"
            elif name == "(created)":
                value = str(parsed.created)
            elif name == "(expires)":
                value = str(parsed.expires)
            elif name in request.headers:
                value = request.headers[name]
            else:
                raise SignatureError("signed header %(name)r is missing", name=name)
            message.with_field(name, value)  # type: ignore[no-untyped-call]  # as above
        messages.append(message)
    return messages


@lru_cache(maxsize=256)  # a busy sender's requests share the Date of the second they were sent
def _date_timestamp(value: str) -> float:
    return parsedate_to_datetime(value).timestamp()


def _check_cavage_rules(request: SignedRequest, parsed: Signature, now: float) -> None:
    fields = {f.lower() for f in parsed.fields}
    if "(request-target)" not in fields:
        raise SignatureError("signature must cover (request-target)")
    if "date" in fields:
        try:
            signed_at = _date_timestamp(request.headers.get("date", ""))
        except (TypeError, ValueError, OverflowError) as e:
            raise SignatureError("malformed Date header") from e
        check_time(signed_at, now)
    elif "(created)" in fields and parsed.created is not None:
        # Compared as an int: float() of a 400-digit "created" raised OverflowError (a 500).
        check_time(parsed.created, now)
    else:
        raise SignatureError("signature must cover date or (created)")
    if parsed.expires is not None and parsed.expires < now:
        raise SignatureError("signature has expired")
    method = request.method.upper()
    if method == "GET" and "host" not in fields:
        raise SignatureError("a signed GET must cover host")
    if method == "POST":
        signed_digests = fields & {"digest", "content-digest"}
        if not signed_digests:
            raise SignatureError("a signed POST must cover its digest")
        from bovine.crypto.digest import validate_digest

        for name in signed_digests:
            if not validate_digest({name: request.headers.get(name, "")}, request.body):
                raise SignatureError("body digest does not match")


@lru_cache(maxsize=4096)
def _identity(pem: str, owner: str) -> CryptographicIdentifier:
    from bovine.crypto.types import CryptographicIdentifier

    try:
        identity: CryptographicIdentifier = CryptographicIdentifier.from_pem(pem, owner)
        return identity
    except ValueError as e:
        raise SignatureError("the signer's public key is not a valid PEM key") from e


def _cavage_verifies(pem: str, owner: str, messages: list[HttpSignature], signature: str) -> bool:
    identity = _identity(pem, owner)
    try:
        return any(
            identity.verify(m.build_message(), signature)  # type: ignore[no-untyped-call]  # bovine
            for m in messages
        )
    except ValueError:  # the signature is not valid base64
        return False


async def _verify_cavage(request: SignedRequest, lookup: KeyLookup, now: float) -> str:
    parsed = _parse_cavage(request.headers["signature"])
    _check_cavage_rules(request, parsed, now)
    messages = _cavage_messages(request, parsed)
    owner, pem = await _lookup(lookup, parsed.key_id, False)
    if _cavage_verifies(pem, owner, messages, parsed.signature):
        return owner
    # The sender may have rotated its key since we cached it: fetch it once more.
    fresh_owner, fresh_pem = await _lookup(lookup, parsed.key_id, True)
    if fresh_pem != pem and _cavage_verifies(fresh_pem, fresh_owner, messages, parsed.signature):
        return fresh_owner
    raise SignatureError("signature does not verify")


# RFC 9421


@dataclass
class _Message:
    """The request as http-message-signatures reads it."""

    method: str
    url: str
    headers: Any


def _rfc9421_key_id(signature_input: str) -> str:
    try:
        parsed = http_sf.parse(signature_input.encode(), tltype="dictionary")
    except Exception as e:  # http_sf raises ValueError and friends on malformed input
        raise SignatureError("malformed Signature-Input header") from e
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise SignatureError("exactly one signature is supported in Signature-Input")
    # Each member of the dictionary is (inner list of components, parameters).
    member = next(iter(parsed.values()))
    params = member[1] if isinstance(member, tuple) and len(member) == 2 else None
    key_id = params.get("keyid") if isinstance(params, dict) else None
    if not isinstance(key_id, str):
        raise SignatureError("Signature-Input has no keyid")
    return key_id


class _VerifierAt(HTTPMessageVerifier):
    """http-message-signatures reads the system clock; this verifier reads the time it is given,
    with the same window as draft-cavage signatures."""

    def __init__(self, now: float, key_id: str, pem: str) -> None:
        super().__init__(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=MappingKeyResolver(public_keys={key_id: pem.encode()}, private_keys={}),
        )
        self.now = now

    def validate_created_and_expires(
        self, sig_input: Any, max_age: timedelta | None = None
    ) -> None:
        created = sig_input.params.get("created")
        if type(created) is not int:
            raise InvalidSignature('Signature is missing a required "created" parameter')
        try:
            check_time(created, self.now)
        except SignatureError as e:
            raise InvalidSignature(e.message) from e
        expires = sig_input.params.get("expires")
        # A sender's clock may run behind ours by as much as we accept it running ahead.
        if expires is not None and (type(expires) is not int or expires < self.now - MAX_FUTURE_S):
            raise InvalidSignature('Signature "expires" parameter is set to a time in the past')


def _rfc9421_problem(request: SignedRequest, key_id: str, pem: str, now: float) -> str | None:
    """None when the signature verifies, else the verifier's reason."""
    verifier = _VerifierAt(now, key_id, pem)
    is_post = request.method.upper() == "POST"
    try:
        verifier.verify(
            _Message(request.method.upper(), request.url, request.headers),
            max_age=None,  # the verifier's own window applies
            require_components=["@method", "@target-uri", *(["content-digest"] if is_post else [])],
            body=request.body if is_post else None,
        )
    except HTTPMessageSignaturesException as e:
        return str(e) or type(e).__name__
    return None


async def _verify_rfc9421(request: SignedRequest, lookup: KeyLookup, now: float) -> str:
    key_id = _rfc9421_key_id(request.headers["signature-input"])
    owner, pem = await _lookup(lookup, key_id, False)
    problem = _rfc9421_problem(request, key_id, pem, now)
    if problem is None:
        return owner
    fresh_owner, fresh_pem = await _lookup(lookup, key_id, True)
    if fresh_pem != pem and _rfc9421_problem(request, key_id, fresh_pem, now) is None:
        return fresh_owner
    raise SignatureError("RFC 9421 signature rejected: %(problem)s", problem=problem)
