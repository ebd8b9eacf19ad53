"""The upload sync's checkpointer: the writer no longer copies the WAL into the database
inside its commits; a thread of its own does, after the writer says it committed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lr_desktop.store import connect, transaction
from lr_desktop.sync.checkpoint import WRITER_BACKSTOP, Checkpointer


def _autocheckpoint(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_the_checkpoint_runs_on_its_own_thread_after_a_nudge(db_path: Path) -> None:
    writer = connect(db_path)
    cp = Checkpointer(db_path, writer)
    try:
        assert _autocheckpoint(writer) == WRITER_BACKSTOP  # the writer's commits stay short
        size = db_path.stat().st_size
        with transaction(writer):  # ~3000 pages: past SQLite's own threshold of 1000
            writer.execute("CREATE TABLE filler (x BLOB)")
            writer.executemany("INSERT INTO filler VALUES (zeroblob(4000))", [()] * 3000)
        assert db_path.stat().st_size == size  # still all in the WAL: the commit did not copy
        cp.nudge()
        assert cp.passed.wait(10)
        assert db_path.stat().st_size > size + 3000 * 4000  # copied into the database file
    finally:
        cp.close()
    assert _autocheckpoint(writer) == 1000  # SQLite's default again
    writer.close()
