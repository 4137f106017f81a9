"""Property tests: whatever Signature, Signature-Input, Date and digest headers a sender makes up,
verify_request answers with a SignatureError (a FedihubError) and never verifies: no other
exception escapes to the inbox as a 500, and no made-up header is taken for a signature.

The key lookup answers as the resolver does for a known actor (so every check, down to the RSA
verification, is reached), or fails as a fetch would, or hands back a key that is not a key."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache

from bovine.crypto.types import CryptographicSecret
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from fedihub.errors import FedihubError, FetchError, SignatureError
from fedihub.signatures import SignedRequest, verify_request
from tests.support.remote import sign_cavage_post, static_key

ALICE = "https://mastodon.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
INBOX = "https://fedihub.example/hubs/climate/inbox"
ALICE_PUBLIC, ALICE_PRIVATE = static_key("alice")
NOW = time.time()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOOKUPS = ["alice", "alice", "fails", "not a key"]


def lookup_for(kind: str):
    async def lookup(key_id: str, refresh: bool) -> tuple[str, str]:
        if kind == "fails":
            raise FetchError(f"{key_id}: HTTP 404")
        if kind == "not a key":
            return ALICE, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        return ALICE, ALICE_PUBLIC

    return lookup


def refused(
    headers: dict[str, str],
    lookup: str,
    method: str = "POST",
    url: str = INBOX,
    body: bytes = b"{}",
) -> FedihubError:
    """Runs verify_request; fails the test unless it raised a FedihubError."""
    request = SignedRequest(method=method, url=url, headers=CIMultiDict(headers), body=body)
    try:
        signer = asyncio.run(verify_request(request, lookup_for(lookup), now=NOW))
    except FedihubError as e:
        return e
    raise AssertionError(f"made-up headers verified as {signer!r}: {headers!r}")


# Header text: anything, or pieces that look like the real thing.

header_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
big_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=0, max_value=400).map(lambda n: "9" * n),
    st.just(int(NOW)),
).map(str)
COVERED = [
    "(request-target)",
    "host",
    "date",
    "digest",
    "content-digest",
    "(created)",
    "(expires)",
    "content-type",
    "accept",
    "x-unknown",
    "",
    "(REQUEST-TARGET)",
    "Date",
]


def often(strategy: st.SearchStrategy, otherwise: st.SearchStrategy) -> st.SearchStrategy:
    """`strategy` three times in four: made-up headers should mostly get past the first check."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda pick: strategy if pick else otherwise
    )


@st.composite
def cavage_header(draw: st.DrawFn) -> str:
    covered = draw(st.lists(st.sampled_from(COVERED), max_size=5))
    if draw(often(st.just(True), st.just(False))):
        covered.insert(draw(st.integers(0, len(covered))), "(request-target)")
    if draw(often(st.just(True), st.just(False))):
        covered.append(draw(st.sampled_from(["date", "(created)"])))
    raw = draw(st.binary(min_size=1, max_size=300))
    params = {
        "keyId": draw(often(st.sampled_from([ALICE_KEY, "x"]), header_text)),
        "algorithm": draw(
            st.sampled_from(["rsa-sha256", "hs2019", "rsa-sha512", "", "RSA-SHA256"])
        ),
        "headers": " ".join(covered),
        "signature": draw(
            often(
                st.just(base64.b64encode(raw).decode()), st.sampled_from(["!!", raw.hex(), "", "A"])
            )
        ),
        "created": draw(
            often(
                st.integers(-7200, 7200).map(lambda d: str(int(NOW) + d)), big_numbers | header_text
            )
        ),
        "expires": draw(
            often(
                st.integers(-7200, 7200).map(lambda d: str(int(NOW) + d)), big_numbers | header_text
            )
        ),
        "extra": draw(often(st.just("x"), header_text)),
    }
    order = draw(st.permutations(list(params)))
    core = ("keyId", "headers", "signature")
    kept = [k for k in order if draw(st.sampled_from([k in core] * 7 + [k not in core]))]
    joiner = draw(st.sampled_from([","] * 6 + [", ", ",,"]))
    return joiner.join(f'{k}="{params[k]}"' for k in kept)


@st.composite
def rfc9421_headers(draw: st.DrawFn) -> dict[str, str]:
    label = draw(often(st.just("sig1"), st.sampled_from(["sig", "a", "1bad", ""])))
    components = draw(
        st.lists(
            st.sampled_from(
                [
                    '"@method"',
                    '"@target-uri"',
                    '"@authority"',
                    '"content-digest"',
                    '"host"',
                    '"date"',
                    '"@query-param";name="x"',
                    '"@path"',
                    '"x-missing"',
                    '"@status"',
                    "bad",
                    '"@request-response"',
                ]
            ),
            max_size=6,
        )
    )
    params = draw(
        st.lists(
            st.sampled_from(
                [
                    ";created=" + "9" * 20,
                    ";created=-1",
                    ";created=1.5",
                    ';keyid="x"',
                    ";keyid=?1",
                    ';alg="rsa-v1_5-sha256"',
                    ';alg="ed25519"',
                    f";expires={int(NOW) - 10}",
                    ';nonce="n"',
                    ';tag="t"',
                    ";zzz=1",
                ]
            ),
            max_size=3,
        )
    )
    if draw(often(st.just(True), st.just(False))):
        params.append(f';keyid="{ALICE_KEY}"')
    if draw(often(st.just(True), st.just(False))):
        params.append(f";created={int(NOW) - draw(st.integers(-7200, 7200))}")
    signature_input = f"{label}=({' '.join(components)}){''.join(params)}"
    raw = draw(st.binary(max_size=300))
    signature = draw(
        often(
            st.just(f"{label}=:{base64.b64encode(raw).decode()}:"),
            st.sampled_from([f"{label}=:!!:", f"{label}=?1", "other=:AAAA:"]),
        )
    )
    headers = {
        "signature-input": draw(often(st.just(signature_input), header_text)),
        "signature": draw(often(st.just(signature), header_text)),
    }
    if draw(st.booleans()):
        headers["content-digest"] = draw(
            st.sampled_from(
                [
                    "sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:",
                    "sha-512=:AA==:",
                    "x",
                    "",
                ]
            )
            | header_text
        )
    return headers


dates = st.one_of(
    st.floats(min_value=NOW - 10 * 86400, max_value=NOW + 10 * 86400).map(
        lambda t: formatdate(t, usegmt=True)
    ),
    st.just(formatdate(NOW, usegmt=True)),
    header_text,
    st.sampled_from(
        [
            "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "0",
            "Mon, 32 Foo 2024 25:61:61 +9999",
        ]
    ),
)
DIGEST_OF_BODY = "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="  # of b"{}", the usual body
other_headers = st.fixed_dictionaries(
    {},
    optional={
        "date": often(st.just(formatdate(NOW, usegmt=True)), dates),
        "host": st.sampled_from(["fedihub.example", ""]) | header_text,
        "digest": often(st.just(DIGEST_OF_BODY), st.just("x") | header_text),
        "content-digest": st.sampled_from(["sha-256=:AA==:", "sha-256=(", ""]) | header_text,
        "content-type": st.just("application/activity+json") | header_text,
    },
)
methods = often(st.just("POST"), st.sampled_from(["GET", "post", "PUT", ""]))
urls = often(
    st.just(INBOX),
    st.sampled_from(
        [
            "https://fedihub.example/inbox?x=1&y",
            "https://fedihub.example/%zz?",
            "https://fedihub.example:99999/inbox",
            "http://[::1/",
            "",
        ]
    )
    | header_text.map(lambda path: "https://fedihub.example/" + path),
)
bodies = often(st.just(b"{}"), st.binary(max_size=40))


@SETTINGS
@given(
    often(cavage_header(), header_text),
    other_headers,
    methods,
    urls,
    bodies,
    st.sampled_from(LOOKUPS),
)
@example(
    'keyId="k",headers="(request-target) (created)",signature="AA==",created="' + "9" * 400 + '"',
    {},
    "POST",
    INBOX,
    b"{}",
    "alice",
)
@example(
    'keyId="k",headers="(request-target) date",signature="AA=="',
    {"date": "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT"},
    "POST",
    INBOX,
    b"",
    "alice",
)
@example(
    'keyId="k",headers="(request-target) digest date",signature="AA==",created="1"',
    {"date": formatdate(NOW, usegmt=True), "digest": "x"},
    "POST",
    INBOX,
    b"",
    "alice",
)
def test_made_up_cavage_signatures_are_only_ever_signature_errors(
    signature: str, headers: dict[str, str], method: str, url: str, body: bytes, lookup: str
) -> None:
    error = refused({**headers, "signature": signature}, lookup, method, url, body)
    assert isinstance(error, SignatureError)


@SETTINGS
@given(rfc9421_headers(), other_headers, methods, urls, bodies, st.sampled_from(LOOKUPS))
def test_made_up_rfc9421_signatures_are_only_ever_signature_errors(
    signature_headers: dict[str, str],
    headers: dict[str, str],
    method: str,
    url: str,
    body: bytes,
    lookup: str,
) -> None:
    error = refused({**headers, **signature_headers}, lookup, method, url, body)
    assert isinstance(error, SignatureError)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["date", "host", "digest", "accept", "x-signature"]), header_text
    )
)
def test_a_request_without_either_signature_header_is_unsigned(headers: dict[str, str]) -> None:
    error = refused(headers, "alice")
    assert isinstance(error, SignatureError) and error.message == "request is not signed"


# A genuine signature with one signed thing changed never verifies; an unsigned one changed does.

BODY = b'{"id": "https://mastodon.example/1", "type": "Follow"}'


@lru_cache(maxsize=1)
def signed_cavage() -> dict[str, str]:
    """Signed as Mastodon signs: (request-target) host date digest content-type."""
    secret = CryptographicSecret.from_pem(ALICE_KEY, ALICE_PRIVATE)
    return sign_cavage_post(secret, INBOX, BODY, date=formatdate(NOW, usegmt=True))


class _Message:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


@lru_cache(maxsize=1)
def signed_rfc9421() -> dict[str, str]:
    """Signed as Fedify signs, covering @method @target-uri @authority host date content-digest."""
    headers = {
        "Host": "fedihub.example",
        "Date": formatdate(NOW, usegmt=True),
        "Content-Type": "application/activity+json",
    }
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={ALICE_KEY: ALICE_PRIVATE.encode()}
        ),
    )
    signer.sign(
        _Message("POST", INBOX, headers),
        key_id=ALICE_KEY,
        label="sig1",
        created=datetime.fromtimestamp(NOW, UTC),
        covered_component_ids=("@method", "@target-uri", "@authority", "host", "date"),
        body=BODY,
    )
    return {name.lower(): value for name, value in headers.items()}


def verifies(
    headers: dict[str, str], method: str = "POST", url: str = INBOX, body: bytes = BODY
) -> str:
    request = SignedRequest(method=method, url=url, headers=CIMultiDict(headers), body=body)
    return asyncio.run(verify_request(request, lookup_for("alice"), now=NOW))


def different(original: str) -> st.SearchStrategy[str]:
    """Header text that differs from `original` even after trimming whitespace."""
    return header_text.filter(lambda v: v.strip() != original.strip() and "\n" not in v)


def flip_a_byte(signature_b64: str, where: int, bit: int) -> str:
    raw = bytearray(base64.b64decode(signature_b64))
    raw[where % len(raw)] ^= 1 << (bit % 8)
    return base64.b64encode(bytes(raw)).decode()


@st.composite
def tampered(draw: st.DrawFn, headers: dict[str, str], covered: tuple[str, ...]):
    """(headers, method, url, body) with exactly one signed part changed."""
    headers = dict(headers)
    method, url, body = "POST", INBOX, BODY
    what = draw(st.sampled_from([*covered, "body", "path", "method", "signature"]))
    if what == "body":
        body = draw(st.binary(max_size=80).filter(lambda b: b != BODY))
    elif what == "path":
        url = draw(
            st.sampled_from(
                [
                    "https://fedihub.example/hubs/climate/inbox/",
                    "https://fedihub.example/inbox",
                    "https://fedihub.example/",
                ]
            )
        )
    elif what == "method":
        method = draw(st.sampled_from(["PUT", "PATCH", "GET"]))
    elif what == "signature":
        where, bit = draw(st.integers(0, 10_000)), draw(st.integers(0, 7))
        if "signature-input" in headers:
            inner = headers["signature"].removeprefix("sig1=:").removesuffix(":")
            headers["signature"] = f"sig1=:{flip_a_byte(inner, where, bit)}:"
        else:
            start = headers["signature"].index('signature="') + len('signature="')
            end = headers["signature"].index('"', start)
            value = flip_a_byte(headers["signature"][start:end], where, bit)
            headers["signature"] = headers["signature"][:start] + value + headers["signature"][end:]
    else:
        headers[what] = draw(different(headers[what]))
    return headers, method, url, body


def test_the_genuine_requests_verify() -> None:
    """The controls for the properties below: untouched, both signed requests verify."""
    assert verifies(signed_cavage()) == ALICE
    assert verifies(signed_rfc9421()) == ALICE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_cavage_signature_breaks_when_anything_it_signs_changes(data: st.DataObject) -> None:
    covered = ("host", "date", "digest", "content-type")
    headers, method, url, body = data.draw(tampered(signed_cavage(), covered))
    error = refused(headers, "alice", method, url, body)
    assert isinstance(error, SignatureError)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_rfc9421_signature_breaks_when_anything_it_signs_changes(data: st.DataObject) -> None:
    covered = ("host", "date", "content-digest")
    headers, method, url, body = data.draw(tampered(signed_rfc9421(), covered))
    error = refused(headers, "alice", method, url, body)
    assert isinstance(error, SignatureError)


@settings(max_examples=20, deadline=None)
@given(header_text.filter(lambda v: "\n" not in v and "\r" not in v))
def test_headers_outside_the_signature_do_not_matter(value: str) -> None:
    assert verifies({**signed_cavage(), "user-agent": value}) == ALICE
    assert verifies({**signed_rfc9421(), "content-type": value}) == ALICE
