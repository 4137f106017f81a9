"""Where a saved need or offer (ours, or a followed hub's) meets the matcher."""

from __future__ import annotations

from fedihub.resources.model import Intent
from fedihub.services import Services


async def intent_saved(svc: Services, intent: Intent) -> None:
    """Finds and records matches for a saved open intent, and tells the organisers."""
    # replaced by the matcher (fedihub/resources/service.py, helper "match")
    return
