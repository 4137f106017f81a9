"""The public moderation log: every action is recorded in the same transaction that takes it,
so nothing a moderator does goes unrecorded, and nothing recorded was left undone."""

from __future__ import annotations

from typing import Literal, get_args

from fedihub.db import Database, Transaction
from fedihub.errors import BadRequest, NotFound
from fedihub.moderation import store
from fedihub.moderation.authority import Moderator
from fedihub.moderation.store import Entry
from fedihub.reports import store as reports

Action = Literal[
    # posts
    "remove_post", "approve_post", "reject_post",
    # people in a hub
    "warn", "ban", "unban", "remove_member", "role_change",
    # local accounts
    "suspend", "unsuspend",
    # remote actors and whole servers, instance-wide
    "silence_actor", "block_actor", "unblock_actor",
    "silence_domain", "block_domain", "unblock_domain",
    "subscribe_blocklist", "unsubscribe_blocklist", "refresh_blocklist",
    # reports, appeals and the code itself
    "resolve_report", "forward_report", "appeal_upheld", "appeal_overturned", "conduct_change",
    # the newswire's editors
    "reject_news", "unpublish_news",
]  # fmt: skip
ACTIONS: tuple[Action, ...] = get_args(Action)
MAX_REASON_CHARS = 2000
PAGE = 50


def read_reason(text: str, *, required: bool = True) -> str:
    """A reason as people type it: trimmed, bounded, and (for actions on people) not empty."""
    reason = text.strip()
    if required and not reason:
        raise BadRequest("say why: the reason is shown in the public log")
    if len(reason) > MAX_REASON_CHARS:
        raise BadRequest("the reason may be at most %(max)s characters", max=MAX_REASON_CHARS)
    return reason


async def record(
    tx: Transaction,
    by: Moderator,
    action: Action,
    *,
    target_uri: str = "",
    target_label: str = "",
    clause: str = "",
    reason: str = "",
    report_id: int | None = None,
    now: float,
) -> int:
    """Adds an action to the log in the caller's transaction (the one that takes the action);
    `by.hub_id` is the scope: the hub whose moderators acted, or None for the instance. With
    `report_id`, the action answers that report, which is resolved with it; NotFound (and so
    nothing done) if that report is not open in this scope."""
    if report_id is not None:
        said = f"{action.replace('_', ' ')}: {reason}" if reason else action.replace("_", " ")
        said = reason if action == "resolve_report" else said  # the note is what was done
        if await reports.resolve_in(tx, report_id, by.hub_id, by.label, said, now) is None:
            raise NotFound("no open report %(id)s here", id=report_id)
    entry = Entry(0, by.hub_id, action, target_uri, target_label, clause, reason, by.uri,
                  by.label, report_id, now)  # fmt: skip
    return await store.add_entry(tx, entry)


async def recent(
    db: Database, hub_id: int | None, *, everywhere: bool = False, before: int | None = None
) -> list[Entry]:
    """A page of the log, newest first (see store.entries)."""
    return await store.entries(db, hub_id, everywhere=everywhere, before=before, limit=PAGE)
