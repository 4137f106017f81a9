"""A failed scheduler pass must not delay what is due next: the pause after it is still the
time until the next deferred Update, not the whole interval."""

from __future__ import annotations

from fedihub.actors import store as actors
from fedihub.hubs.service import create_hub
from fedihub.posts import service as posts
from fedihub.posts import store
from fedihub.scheduler import Scheduler, SchedulerRun
from fedihub.services import Services


class FailingPass(Scheduler):
    """A pass that breaks (a bad row, a full disk) before it gets to the deferred Updates."""

    async def run_once(self, now: float | None = None) -> SchedulerRun:
        raise RuntimeError("a pass that fails")


async def test_after_a_failed_pass_the_next_update_is_still_sent_when_due(
    services: Services,
) -> None:
    await create_hub(services.db, "climate", name="Climate", summary="")
    hub = await actors.get_actor(services.db, "group", "climate")
    assert hub is not None
    post = await posts.publish(services, hub, None, "update", "Counts will change.")
    now = services.clock.now()
    async with services.db.transaction() as tx:
        await store.defer_update(tx, post.id, now + 2)
    assert services.config.scheduler_interval_s > 10

    pause = await FailingPass(services)._step()

    assert 0 < pause <= 2
