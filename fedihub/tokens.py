"""Secret links (confirm a subscription, a volunteer's private link, an answer to an invitation):
a random token to put in the link, and its sha256, which is all that is stored, so a copy of
the database opens none of them. Pure."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits: as hard to guess as the hash is to reverse


def new_token() -> tuple[str, str]:
    """A random token for a link, and the hash that is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
