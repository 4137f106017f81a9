"""Sessions, reset links, invitations and the sign-in throttle keep time by the clock they are
given, so their lifetimes can be stepped through."""

from __future__ import annotations

from pathlib import Path

from fedihub.accounts import sessions
from fedihub.accounts.service import create_account
from fedihub.clock import FixedClock
from fedihub.engine import open_database


async def test_lifetimes_follow_the_clock(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "fedihub.sqlite3")
    try:
        clock = FixedClock(1_800_000_000.0)
        ana = await create_account(db, "ana", "correct horse", is_admin=False, clock=clock)
        session = await sessions.start(db, clock, ana)
        reset = await sessions.create_reset(db, clock, ana)
        invitation = await sessions.create_invitation(db, clock, uses=2, days=1)
        limits = {"acct:ana": sessions.MAX_FAILURES}
        for _ in range(sessions.MAX_FAILURES):
            await sessions.record_failure(db, clock, list(limits))
        assert await sessions.throttled_for(db, clock, limits) == sessions.FAILURE_WINDOW_S

        assert await sessions.reset_account(db, clock, reset) == ana

        clock.advance(sessions.FAILURE_WINDOW_S)
        assert await sessions.throttled_for(db, clock, limits) == 0
        assert await sessions.use_invitation(db, clock, invitation)
        clock.advance(86_400)
        assert not await sessions.use_invitation(db, clock, invitation)  # one use left, expired
        assert await sessions.reset_account(db, clock, reset) is None
        assert await sessions.load(db, clock, session.cookie) == session
        clock.advance(sessions.SESSION_DAYS * 86_400)
        assert await sessions.load(db, clock, session.cookie) is None
    finally:
        await db.close()
