"""A small fediverse server on loopback that stands in for Mastodon in tests and benchmarks.

It serves Mastodon-shaped actors with static keys and WebFinger, signs requests the way
Mastodon does (draft-cavage rsa-sha256, or RFC 9421 as Fedify does), and its inboxes verify
every signature with bovine's own checker, independently of fedihub's verifier.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import load_pem_private_key

KEYS = Path(__file__).resolve().parent.parent / "data" / "keys"
AS = "https://www.w3.org/ns/activitystreams"
STATIC_KEYS = ("alice", "bob", "mallory")


@cache
def _load_static_key(name: str) -> tuple[str, str, Any]:
    private_pem = (KEYS / f"{name}.pem").read_text()
    key = load_pem_private_key(private_pem.encode(), password=None)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return public_pem, private_pem, key


def static_key(name: str) -> tuple[str, str]:
    """(public PEM, private PEM) of a key kept in tests/data/keys."""
    public_pem, private_pem, _ = _load_static_key(name)
    return public_pem, private_pem


@dataclass
class RemoteActor:
    base_url: str
    username: str
    public_pem: str
    private_pem: str
    shared_inbox: bool = True
    actor_type: str = "Person"
    display_name: str | None = None  # `name`; the username, title-cased, when None
    icon: str | None = None  # an avatar's URL
    secret: CryptographicSecret = field(init=False)

    def __post_init__(self) -> None:
        # Loading a PEM costs ~50 ms of validation; reuse the loaded key when it is a static one.
        loaded = next(
            (k for p, _, k in map(_load_static_key, STATIC_KEYS) if p == self.public_pem), None
        )
        self.secret = (
            CryptographicSecret(self.key_id, loaded)
            if loaded is not None
            else CryptographicSecret.from_pem(self.key_id, self.private_pem)
        )

    @property
    def id(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": self.id,
            "type": self.actor_type,
            "preferredUsername": self.username,
            "name": self.display_name or self.username.title(),
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "followers": f"{self.id}/followers",
            "url": f"{self.base_url}/@{self.username}",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.public_pem},
        }
        if self.icon:
            doc["icon"] = {"type": "Image", "mediaType": "image/png", "url": self.icon}
        if self.shared_inbox:
            doc["endpoints"] = {"sharedInbox": f"{self.base_url}/inbox"}
        return doc


@dataclass
class Received:
    url: str
    activity: dict[str, Any]
    signer: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


def sign_cavage_post(
    secret: CryptographicSecret, url: str, body: bytes, date: str | None = None
) -> dict[str, str]:
    """Headers as Mastodon sends them: (request-target) host date digest content-type."""
    parts = urlsplit(url)
    helper = (
        build_signature(parts.netloc, "post", parts.path)
        .with_field("date", date or formatdate(usegmt=True))
        .with_field("digest", content_digest_sha256(body, prefix="SHA-256"))
        .with_field("content-type", "application/activity+json")
    )
    return {**helper.headers, "signature": helper.sign_for_http_draft(secret)}


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class RemoteServer:
    """One process-local server that can answer on several ports, each port its own 'host'."""

    def __init__(self, hosts: int = 1, *, respond_status: int = 202, delay_s: float = 0.0) -> None:
        # Bound now and kept open, so no other server can take a port before we listen on it.
        self._sockets = [_bound_socket() for _ in range(hosts)]
        self.ports = [s.getsockname()[1] for s in self._sockets]
        self.respond_status = respond_status
        self.delay_s = delay_s
        self.actors: dict[str, RemoteActor] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.arrival_times: list[float] = []  # an accepted delivery's, once verified
        self.read_times: list[float] = []  # and when its body had been read, before that
        self.rejected: list[str] = []
        self.fetched: list[str] = []  # actor documents others fetched from us
        self.webfinger_lookups: list[str] = []  # resources asked for
        self._keys: dict[str, CryptographicIdentifier] = {}
        self._key_lock = asyncio.Lock()
        # GETs under /stall/ never answer (until stop): a host that holds connections open.
        self.stalled: list[str] = []
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._validate = build_validate_http_signature_raw(self._fetch_key)

    def base_url(self, host_index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[host_index]}"

    def add_actor(
        self,
        username: str,
        *,
        host_index: int = 0,
        key: str = "bob",
        shared_inbox: bool = True,
        actor_type: str = "Person",
        display_name: str | None = None,
        icon: str | None = None,
    ) -> RemoteActor:
        # Actors share static keys unless a test names one: 300 fresh RSA keys cost ~30 s.
        public_pem, private_pem = static_key(key)
        actor = RemoteActor(self.base_url(host_index), username, public_pem, private_pem,
                            shared_inbox, actor_type, display_name, icon)  # fmt: skip
        self.actors[actor.id] = actor
        return actor

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/users/{username}", self._actor)
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        app.router.add_post("/inbox", self._inbox)
        app.router.add_post("/users/{username}/inbox", self._inbox)
        app.router.add_get("/{path:.+}", self._object)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for sock in self._sockets:
            await web.SockSite(self._runner, sock, backlog=1024).start()
        connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
        self._session = aiohttp.ClientSession(connector=connector)

    async def stop(self) -> None:
        self._stopping.set()
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> RemoteServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _actor_for(self, request: web.Request) -> RemoteActor | None:
        host = request.headers.get("Host", "")
        return self.actors.get(f"http://{host}/users/{request.match_info['username']}")

    async def _actor(self, request: web.Request) -> web.Response:
        self.fetched.append(str(request.url))
        actor = self._actor_for(request)
        if actor is None:
            return web.Response(status=404)
        return web.Response(
            body=json.dumps(actor.document()), content_type="application/activity+json"
        )

    async def _object(self, request: web.Request) -> web.Response:
        """Any other document a test published with `publish(obj)`, served at its id."""
        url = f"http://{request.headers.get('Host', '')}{request.path}"
        self.fetched.append(url)
        if request.path.startswith("/stall/"):
            self.stalled.append(url)
            await self._stopping.wait()
        if url not in self.objects:
            return web.Response(status=404)
        return web.Response(
            body=json.dumps(self.objects[url]), content_type="application/activity+json"
        )

    def publish(self, obj: dict[str, Any]) -> None:
        self.objects[obj["id"]] = obj

    async def _webfinger(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        self.webfinger_lookups.append(resource)
        username = resource.removeprefix("acct:").split("@")[0]
        host = request.headers.get("Host", "")
        actor = self.actors.get(f"http://{host}/users/{username}")
        if actor is None:
            return web.Response(status=404)
        return web.json_response(
            {
                "subject": resource,
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": actor.id},
                    {
                        "rel": "http://ostatus.org/schema/1.0/subscribe",
                        "template": f"http://{host}/authorize_interaction?uri={{uri}}",
                    },
                ],
            }
        )

    async def _fetch_key(self, key_id: str) -> CryptographicIdentifier | None:
        async with self._key_lock:  # one fetch per key, however many requests arrive at once
            return await self._fetch_key_once(key_id)

    async def _fetch_key_once(self, key_id: str) -> CryptographicIdentifier | None:
        if key_id not in self._keys:
            assert self._session is not None
            async with self._session.get(
                key_id.split("#")[0], headers={"Accept": "application/activity+json"}
            ) as resp:
                doc = await resp.json(content_type=None)
            key = doc["publicKey"]
            self._keys[key_id] = CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])
        return self._keys[key_id]

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        read_at = time.time()
        url = f"http://{request.headers['Host']}{request.path}"

        async def get_body() -> bytes:
            return body

        signer = await self._validate(request.method, url, request.headers, get_body)
        if signer is None:
            self.rejected.append(f"{url} {request.headers.get('signature', '')[:80]}")
            return web.Response(status=401)
        self.received.append(Received(url, json.loads(body), signer))
        self.arrival_times.append(time.time())
        self.read_times.append(read_at)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.Response(status=self.respond_status)

    async def post(
        self, url: str, activity: dict[str, Any], actor: RemoteActor, **sign_args: Any
    ) -> aiohttp.ClientResponse:
        """POSTs `activity` to a fedihub inbox, signed by `actor` as Mastodon signs."""
        assert self._session is not None
        body = json.dumps(activity).encode()
        headers = sign_cavage_post(actor.secret, url, body, **sign_args)
        async with self._session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp

    def received_by(self, path_prefix: str = "") -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_prefix)]
