"""Private keys loaded once per actor and kept."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fedihub.actors import store
from fedihub.db import Database

if TYPE_CHECKING:
    from bovine.crypto.types import CryptographicSecret


def generate_rsa_keypair() -> tuple[str, str]:
    """(public PEM, private PEM) for a new RSA-2048 key."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return public_pem, private_pem


class KeyRing:
    def __init__(self, db: Database, base_url: str) -> None:
        self._db = db
        self._base_url = base_url
        self._secrets: dict[int, CryptographicSecret] = {}
        # A fan-out starts ~100 sends at once: without the lock each would load the same key.
        self._loading = asyncio.Lock()

    async def secret_for(self, actor_id: int) -> CryptographicSecret:
        secret = self._secrets.get(actor_id)
        if secret is not None:
            return secret
        # bovine loads with the first key, not at start-up (see fedihub/signatures.py).
        from bovine.crypto.types import CryptographicSecret

        async with self._loading:
            secret = self._secrets.get(actor_id)
            if secret is None:
                actor = await store.get_actor_by_id(self._db, actor_id)
                if actor is None:
                    raise LookupError(f"no local actor {actor_id}")
                pem = await store.private_key_pem(self._db, actor_id)
                # Our own key, made by `cryptography` and kept in our database. Checking it (~50
                # ms, paid by a start's first delivery) guards against keys made by others.
                key = serialization.load_pem_private_key(
                    pem.encode(), None, unsafe_skip_rsa_key_validation=True
                )
                if not isinstance(key, rsa.RSAPrivateKey):
                    raise LookupError(f"local actor {actor_id}'s key is not RSA")
                secret = CryptographicSecret(actor.key_id(self._base_url), key)
                self._secrets[actor_id] = secret
        return secret
