"""ActivityStreams constants and small pure helpers shared by every module that builds JSON."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

# A JSON object: an ActivityStreams document as we build it, or as another server sent it.
JsonObject = dict[str, Any]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "postingRestrictedToMods": "https://w3id.org/fep/1b12#postingRestrictedToMods",
        # Profile fields, as Mastodon writes them: a hub's links (its code of conduct).
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]

# Posts and events: Mastodon's terms, Mobilizon's event terms (mz:, schema.org) and FEP-8a8e's.
POST_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "mz": "https://joinmobilizon.org/ns#",
        "sc": "http://schema.org#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
        "category": "sc:category",
        "location": {"@id": "sc:location"},
        "address": {"@id": "sc:address"},
        "PostalAddress": "sc:PostalAddress",
        "streetAddress": "sc:streetAddress",
        "postalCode": "sc:postalCode",
        "addressLocality": "sc:addressLocality",
        "addressRegion": "sc:addressRegion",
        "addressCountry": "sc:addressCountry",
        "VirtualLocation": "sc:VirtualLocation",
        "fep8a8e": "https://w3id.org/fep/8a8e/",
        "eventStatus": {"@id": "fep8a8e:eventStatus", "@type": "@id"},
        "organizers": {"@id": "fep8a8e:organizers", "@type": "@id"},
        # Needs and offers (fedihub/resources/render.py): facts as PropertyValues, and a
        # ValueFlows Intent for matchers; quantities in the OM 2 terms ValueFlows uses.
        "PropertyValue": "sc:PropertyValue",
        "value": "sc:value",
        "fedihub": "https://fedihub.org/ns#",
        "intent": "fedihub:intent",
        "side": "fedihub:side",
        "match": "fedihub:match",
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "Intent": "vf:Intent",
        "action": "vf:action",
        "receiver": {"@id": "vf:receiver", "@type": "@id"},
        "provider": {"@id": "vf:provider", "@type": "@id"},
        "resourceClassifiedAs": {"@id": "vf:resourceClassifiedAs", "@container": "@set"},
        "resourceQuantity": "vf:resourceQuantity",
        "availableQuantity": "vf:availableQuantity",
        "hasNumericalValue": "om2:hasNumericalValue",
        "hasUnit": "om2:hasUnit",
        "due": {"@id": "vf:due", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "atLocation": "vf:atLocation",
        "finished": "vf:finished",
    },
]

# Keys whose values are links: pages print them as `href`s and the worker may fetch them, so at
# any depth they must be http(s). Not `to`/`cc` ("as:Public" is allowed there) nor Mastodon's
# `conversation` (a tag: URI), which we never link to or fetch.
LINK_KEYS = frozenset(
    {"id", "actor", "object", "target", "inReplyTo", "url", "href", "attributedTo", "audience"}
)
WEB_SCHEMES = ("https://", "http://")
# A Link's href may also be a torrent's magnet (PeerTube lists one beside each video file): no
# browser runs it as script, and pages print only http(s) links anyway (the http_url filter).
HREF_SCHEMES = (*WEB_SCHEMES, "magnet:?")

ACTOR_TYPES = frozenset({"Person", "Group", "Service", "Application", "Organization"})

ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=65_536)
def host_of(uri: str) -> str:
    """Lower-cased host[:port] with default ports and trailing dots removed, for origin checks."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if not host.isascii():  # ASCII names are already in IDNA form; the codec is slow
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    # After IDNA, which maps full-width dots to '.', so "evil.example。" cannot slip past a block.
    host = host.lower().rstrip(".")
    if port is None or (parts.scheme, port) in {("https", 443), ("http", 80)}:
        return f"[{host}]" if ":" in host else host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def site_of(host: str) -> str:
    """What a per-host limit counts by (newswire submissions, matches): a host's registrable
    name, roughly: its last two labels (a.evil.example and b.evil.example are one site), or
    three under a country's short second level (evil.co.uk, not all of co.uk); an address or a
    one-label host as it is. Without the public suffix list this groups some shared suffixes'
    tenants (*.github.io): stricter, not looser. The port stays, as loopback instances differ
    only by it."""
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    labels = name.split(".")
    if len(labels) <= 2 or labels[-1].isdigit() or ":" in name:
        return host
    keep = 3 if len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:]) + (f":{port}" if port else "")


def same_host(uri: str, other: str) -> bool:
    """host_of(uri) == host_of(other). Cheap when `uri` starts with `other`'s scheme://netloc/,
    as an activity's id does with its actor's, and without filling host_of's cache with ids
    that are never seen twice."""
    end = other.find("/", other.find("://") + 3)
    if end > 0 and uri.startswith(other[: end + 1]):
        return True
    return host_of(uri) == host_of(other)


def same_server_like(uri: str) -> str:
    """A SQL LIKE pattern (with ESCAPE '\\') for ids on the same scheme://host as `uri`, in
    lower case: compare it with `lower(column)`, as LIKE ignores case on SQLite only."""
    origin = "/".join(uri.split("/", 3)[:3]).lower()
    return origin.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def id_of(value: Any) -> str | None:
    """The id of a link-or-object value, or None when it has none."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def is_actor_type(value: object) -> bool:
    """JSON-LD allows a list of types; a list (unhashable) must not crash a set lookup."""
    if isinstance(value, list):
        return any(isinstance(v, str) and v in ACTOR_TYPES for v in value)
    return isinstance(value, str) and value in ACTOR_TYPES


def wants_activity_json(accept: str) -> bool:
    accept = accept.lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every call: json.loads with a hook would build a new one each time.
_STRICT_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


class NulInJson(ValueError):
    """JSON holding U+0000, which PostgreSQL's text cannot hold (nor any page shows)."""


def strict_json(text: str | bytes) -> Any:
    """JSON from another server, strictly: NaN and Infinity are not JSON (RFC 8259), though
    Python's parser takes them, and a NaN would then reach counts, dates and the database.
    U+0000 anywhere (NulInJson) is refused on both engines alike: PostgreSQL cannot store it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    document = _STRICT_DECODER.decode(text)
    if "\\u0000" in text and _holds_nul(document):  # the walk only when an escape is there
        raise NulInJson("JSON holding U+0000")
    return document


def _holds_nul(document: Any) -> bool:
    """Any key or string at any depth holds U+0000 (a stack, not recursion, as below)."""
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
    return False


def first_non_web_link(document: dict[str, Any]) -> str | None:
    """The key of the first link (at any depth) that is not an http(s) URL, or None. Walked
    with a stack, not recursion, so a deeply nested document cannot exhaust the call stack."""
    stack: list[Any] = [document]
    key: str  # JSON object keys are strings
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, str):
                    if key in LINK_KEYS and not inner.startswith(
                        HREF_SCHEMES if key == "href" else WEB_SCHEMES
                    ):
                        return key
                elif isinstance(inner, list):
                    if key in LINK_KEYS and any(
                        isinstance(v, str) and not v.startswith(WEB_SCHEMES) for v in inner
                    ):
                        return key
                    stack.append(inner)
                elif isinstance(inner, dict):
                    stack.append(inner)
    return None
