"""A read on SQLite sees every commit made before it began, however many reads run at once.

SQLite keeps a connection's read snapshot while any statement on it is open; the reader
connection is shared, so a read that started while another's statement was open saw the
database as it was then: a need just published, read back to be matched, was not there (found
by bench/wrk_matching.py: a few publishes in 470 under four organisers went unmatched).
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
