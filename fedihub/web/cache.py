"""A small in-memory cache of generated documents (calendars), each under a fingerprint of the
data it was made from: a new post, an edit or a cancellation changes the fingerprint, so a
stale document is never served. Calendar apps poll often; most polls then cost one query."""

from __future__ import annotations

from collections import OrderedDict


class DocumentCache:
    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def get(self, key: str, fingerprint: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None or found[0] != fingerprint:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: str, fingerprint: str, body: bytes) -> None:
        self._entries[key] = (fingerprint, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
