"""The Done-when test of the newsletter: a real fedihub process mails the weekly issue to 1,000
confirmed subscribers through an SMTP server on loopback, is stopped half-way and started again,
and every subscriber ends up with exactly one copy (counted by recipient at the SMTP server).

- SIGTERM: the message being sent finishes and is recorded before the process exits, so the
  restart resends nothing: exactly one copy each, and every row `done`.
- SIGKILL: nothing is recorded after the kill. What it guarantees: nobody is missed, and only
  a message the server accepted but the process had not yet recorded `done` can arrive twice.
  Messages go one after another on one connection, so that is at most one message."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import pytest

from fedihub.config import load_config
from fedihub.kinds import registry
from fedihub.newswire import service as newswire
from fedihub.newswire.fields import read_form
from fedihub.newswire.newsletter import store
from fedihub.services import services_for
from tests.support.instances import FedihubInstance
from tests.support.network import eventually
from tests.support.smtp import SmtpServer, not_due, smtp_server

pytestmark = pytest.mark.federation

SUBSCRIBERS = 1000
# The SMTP server takes this long over each message, so the stop lands mid-way.
DATA_DELAY_S = 0.008
# Messages sent one after another on one connection: at most this many are in flight at a kill.
IN_FLIGHT = 1


async def prepared(
    new_instance: Callable[[str], FedihubInstance], smtp: SmtpServer
) -> FedihubInstance:
    a = new_instance("a")
    with (a.data / "config.toml").open("a") as f:
        f.write(smtp.settings() + 'newswire_review = "none"\n' + not_due())
    async with services_for(a.data, registry()) as svc:
        async with svc.db.transaction() as tx:
            emails = [f"reader{n:04d}@example.org" for n in range(SUBSCRIBERS)]
            await store.add_confirmed(tx, emails, "en", svc.clock.now())
        await newswire.submit(svc, read_form({"headline": "Port shutdown", "tags": "labour"}))
    assert load_config(a.data).smtp_port == smtp.port
    return a


async def interrupted_send(
    new_instance: Callable[[str], FedihubInstance], how: signal.Signals
) -> tuple[SmtpServer, FedihubInstance, int, int]:
    """Sends the issue, stops the process with `how` once ~half is received, starts it again
    and waits for every subscriber's copy. Returns the server, the instance, the messages
    received at the stop and the rows recorded done at the stop."""
    with smtp_server() as smtp:
        smtp.recorder.data_delay_s = DATA_DELAY_S
        a = await prepared(new_instance, smtp)
        await a.start()
        await asyncio.sleep(0.05)
        out = (await a.acli("newswire", "newsletter", "send-now", "--data", a.data)).stdout
        assert "made" in out, out

        async def half() -> bool:
            return len(smtp.received) >= SUBSCRIBERS // 2

        await eventually(half, timeout_s=60, what="half the issue to be sent")
        code = await a.stop(how)
        received_at_stop = len(smtp.received)
        done_at_stop = a.query("SELECT count(*) FROM mail_queue WHERE state = 'done'")[0][0]
        if how == signal.SIGTERM:
            assert code == 0, f"not a graceful stop: exit code {code}"
        assert received_at_stop < SUBSCRIBERS, "the stop came too late to test anything"
        smtp.recorder.data_delay_s = 0.0
        await a.start()

        async def everyone() -> bool:
            return len(smtp.copies_by_recipient()) == SUBSCRIBERS

        async def settled() -> bool:
            rows = a.query("SELECT count(*) FROM mail_queue WHERE state <> 'done'")
            return rows[0][0] == 0

        await eventually(everyone, timeout_s=90, what="every subscriber's copy")
        await eventually(settled, timeout_s=30, what="every row recorded done")
        await a.stop()
        return smtp, a, received_at_stop, done_at_stop


async def test_a_graceful_stop_half_way_sends_everyone_exactly_one_copy(
    new_instance: Callable[[str], FedihubInstance],
) -> None:
    smtp, a, received, done = await interrupted_send(new_instance, signal.SIGTERM)
    # Everything the server accepted before the stop was recorded before the process exited.
    assert done == received
    copies = smtp.copies_by_recipient()
    assert len(copies) == SUBSCRIBERS
    assert set(copies.values()) == {1}, copies.most_common(3)
    rows = a.query("SELECT count(*), count(DISTINCT subscriber_id) FROM mail_queue"
                   " WHERE purpose = 'issue'")  # fmt: skip
    assert tuple(rows[0]) == (SUBSCRIBERS, SUBSCRIBERS)  # the restart added no second row


async def test_a_kill_half_way_misses_nobody_and_repeats_at_most_what_was_in_flight(
    new_instance: Callable[[str], FedihubInstance],
) -> None:
    smtp, _, received, done = await interrupted_send(new_instance, signal.SIGKILL)
    assert 0 <= received - done <= IN_FLIGHT
    copies = smtp.copies_by_recipient()
    assert len(copies) == SUBSCRIBERS  # nobody missed
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= IN_FLIGHT, copies.most_common(3)
