"""What happens to a shift's post when its places change: one deferred Update to the hub's
followers per quiet period (the scheduler sends it, as for an event's attendance), so a burst
of assignments and answers costs one federated Update, not one each."""

from __future__ import annotations

from fedihub.db import Transaction
from fedihub.posts import store as posts
from fedihub.services import Services


async def places_changed(tx: Transaction, svc: Services, shift_id: int) -> None:
    """Call in the transaction that changed a shift's assignments."""
    await posts.defer_update(tx, shift_id, svc.clock.now() + svc.config.count_update_delay_s)
