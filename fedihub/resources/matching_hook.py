"""What the kinds call after saving a need or an offer (ours when published or edited, a
followed hub's when its Create or Update arrives): its matches are found, recorded and told.

The save is committed before the matcher runs, so a post is published (or an activity taken in)
whatever becomes of its matching: a matcher that fails is logged here, at its edge, and the
intent stays unmatched (`matched_at` NULL) until the scheduler's pass runs it again
(`match_pending`). Matching twice is harmless: a pair is recorded and told once.
"""

from __future__ import annotations

import logging

from fedihub.resources import service, store
from fedihub.resources.model import Intent
from fedihub.services import Services

log = logging.getLogger(__name__)
# An intent saved this long ago and still unmatched is taken up by the scheduler: its own
# request has had time to match it.
RETRY_AFTER_S = 60.0
PENDING_BATCH = 50
# Tries before an intent is given up on (it stays listed, just never matched): one that always
# fails must not be tried for ever, nor hold back the others (those tried least go first).
MAX_ATTEMPTS = 5


async def intent_saved(svc: Services, intent: Intent) -> None:
    """Finds and records the matches of a saved open intent and tells both sides' organisers;
    a failure is logged, and the scheduler tries again."""
    await _try(svc, intent)


async def match_pending(svc: Services, now: float) -> int:
    """The scheduler's step: intents whose matching failed (or never ran), those tried least
    first; the number matched this pass. Each failure is logged and counted, and the rest go on."""
    pending = await store.unmatched(svc.db, now - RETRY_AFTER_S, PENDING_BATCH, MAX_ATTEMPTS)
    return sum([await _try(svc, intent) for intent in pending])


async def _try(svc: Services, intent: Intent) -> bool:
    try:
        await _match(svc, intent)
    except Exception:  # the edge of the matcher: what saved the intent stands
        log.exception("matching %s failed; the scheduler will try again", intent.uri)
        try:
            await store.match_failed(svc.db, intent.uri)
        except Exception:
            log.exception("could not count the failure of %s", intent.uri)
        return False
    return True


async def _match(svc: Services, intent: Intent) -> None:
    if intent.is_open(svc.clock.now()):
        await service.find_matches(svc, intent)
    await store.mark_matched(svc.db, intent.uri, intent.updated_at, svc.clock.now())
