"""WAL checkpoints off the writer's thread during an upload sync.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold (1000
pages): every ~6th result the writer also copied the WAL into the database and synced
both files, 30-130 ms in which no claim could commit and no request could start. Here
the writer's own threshold is raised to a backstop and a thread of its own checkpoints
(PASSIVE: it never waits for the writer nor blocks it) a moment after the writer's
commits. Durability is unchanged: every commit is in the WAL before its caller hears back.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from lr_desktop.store import connect

log = logging.getLogger(__name__)

WRITER_BACKSTOP = 20_000  # pages (80 MiB): the writer checkpoints itself only past this
INTERVAL = 0.2  # seconds between checkpoints at most (a few thousand pages each)


class Checkpointer:
    """A thread that checkpoints the WAL after `nudge()`s, at most every INTERVAL."""

    def __init__(self, path: Path | str, writer: sqlite3.Connection) -> None:
        self._writer = writer
        self._conn = connect(path, check_same_thread=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.passed = threading.Event()  # set after each checkpoint (cleared by whoever waits)
        writer.execute(f"PRAGMA wal_autocheckpoint = {WRITER_BACKSTOP}")
        self._thread = threading.Thread(target=self._loop, name="lr-sync-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """The writer committed: checkpoint soon."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread; the writer checkpoints on its own again (SQLite's default)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._conn.close()
        self._writer.execute("PRAGMA wal_autocheckpoint = 1000")

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:  # the WAL keeps every commit; the writer's backstop
                log.warning("background WAL checkpoint failed: %s", exc)  # checkpoints later
            self.passed.set()
            self._stop.wait(INTERVAL)
