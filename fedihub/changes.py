"""Which writes change what visitors see, so cached pages can be dropped by the writes
themselves rather than by a timer (fedihub/web/page_cache.py).

Every transaction notes the tables its statements write; when one that wrote any table not
listed in QUIET_TABLES commits, the database's `content_version` goes up and other processes are
told on CONTENT_CHANNEL. Quiet tables are the bookkeeping that runs hot and no page shows
(queues, leases, sessions): with them counted, every delivery result during a fan-out would
empty the cache. A table added later counts as content until it is listed here, so forgetting
it costs cache hits, never a stale page."""

from __future__ import annotations

import re
from functools import lru_cache

CONTENT_CHANNEL = "content"

QUIET_TABLES = frozenset({
    "inbox_items",  # activities received, before the worker handles them (that writes content)
    "deliveries",  # outgoing requests and their outcomes
    "leases",  # which process runs the scheduler's jobs
    "mail_queue",  # e-mail waiting or sent
    "web_sessions",  # who is signed in: cached pages are only for visitors without a session
    "sign_in_failures",
    "host_failure_days",  # hosts that did not answer
})  # fmt: skip

# The table each INSERT, UPDATE, DELETE or REPLACE writes. `FOR UPDATE SKIP LOCKED` and
# `ON CONFLICT … DO UPDATE SET` read like an UPDATE of a table named "skip" or "set": ignored.
_WRITTEN = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)",
    re.IGNORECASE,
)
_NOT_TABLES = frozenset({"set", "skip", "of", "nowait"})


@lru_cache(maxsize=4096)  # stores send the same statements again and again
def changes_content(sql: str) -> bool:
    """Whether `sql` writes a table whose rows some page or document shows."""
    return any(
        name.lower() not in QUIET_TABLES and name.lower() not in _NOT_TABLES
        for name in _WRITTEN.findall(sql)
    )


class ContentVersion:
    """What both engines share (db.py, postgres.py): `content_version`, which cached pages
    compare, raised after a commit here that wrote content (and told to the other processes
    on CONTENT_CHANNEL) or when another process's notice is heard."""

    content_version = 0

    def notify(self, channel: str) -> None:
        raise NotImplementedError  # each engine tells the other processes its own way

    def committed(self, wrote_content: bool) -> None:
        if wrote_content:
            self.content_version += 1
            self.notify(CONTENT_CHANNEL)

    def heard_content_change(self) -> None:
        self.content_version += 1
