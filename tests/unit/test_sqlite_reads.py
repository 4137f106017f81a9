"""A read on SQLite sees every commit made before it began, however many reads run at once.

SQLite keeps a connection's read snapshot while any statement on it is open; reader
connections are shared, so a read that started on one while another's statement was open saw
the database as it was then: a need just published, read back to be matched, was not there (found
by bench/wrk_matching.py: a few publishes in 470 under four organisers went unmatched).

Reads do run at once, on more than one reader connection: one page's slow query does not hold up
every other page's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fedihub.db import SqliteDatabase

WRITES = 1_000
READERS = 6


async def test_a_read_after_a_commit_sees_it_while_other_reads_run(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "reads.db")
    try:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        async with db.transaction() as tx:
            for n in range(300):
                await tx.execute("INSERT INTO t (v) VALUES (?)", (f"row {n}",))
        done = asyncio.Event()
        missing = []

        async def other_reads() -> None:
            while not done.is_set():
                await db.fetchall("SELECT * FROM t")

        async def write_then_read() -> None:
            for n in range(WRITES):
                async with db.transaction() as tx:
                    new = await tx.insert("INSERT INTO t (v) VALUES (?)", (f"new {n}",))
                if await db.fetchone("SELECT id FROM t WHERE id = ?", (new,)) is None:
                    missing.append(new)
            done.set()

        await asyncio.gather(write_then_read(), *(other_reads() for _ in range(READERS)))
        assert missing == []
    finally:
        await db.close()


async def test_a_quick_read_is_not_held_up_by_a_slow_one(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "reads.db")
    # About half a second of SQLite's own work on this machine, on one reader connection.
    slow = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000)"
            " SELECT count(*) FROM c")  # fmt: skip
    finished: list[str] = []

    async def read(name: str, sql: str) -> None:
        await db.fetchall(sql)
        finished.append(name)

    try:
        slow_read = asyncio.create_task(read("slow", slow))
        await asyncio.sleep(0.05)  # the slow statement has its reader
        await read("quick", "SELECT 1")
        await slow_read
        assert finished == ["quick", "slow"]
    finally:
        await db.close()
