"""What the kinds call after saving a need or an offer (ours when published or edited, a
followed hub's when its Create or Update arrives): its matches are found, recorded and told."""

from __future__ import annotations

from fedihub.resources import service
from fedihub.resources.model import Intent
from fedihub.services import Services


async def intent_saved(svc: Services, intent: Intent) -> None:
    """Finds and records the matches of a saved open intent and tells both sides' organisers."""
    if intent.is_open(svc.clock.now()):
        await service.find_matches(svc, intent)
