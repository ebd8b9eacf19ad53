"""One import at a time per database, and import runs that died marked as such.

A file's rows are written in chunks of `run.CHUNK` rows, each its own transaction. Two
imports of different files into one database at once would interleave chunk by chunk,
so a user in both files would end up with a mix (some users from one file, some from
the other). The import lock (`<db>.import.lock`, like the sync engine's `lock_for`)
makes the second import wait for the first, and say so: each file wins as a whole,
in the order the imports got the lock.

While an import runs it holds the lock; a run row in state 'running' whose lock is
free belongs to a process that died (SIGKILL, power loss) and is marked 'interrupted'
by the next import or `status`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from lr_desktop.store import runs
from lr_desktop.store.tx import transaction

_DEAD = (
    "the import stopped before it finished (the program was closed or killed); rows saved "
    "before that are kept"
)

WAIT_POLL = 0.25  # seconds between looks at the lock (and at cancel) while waiting
WAITING_MESSAGE = "waiting for another import to finish…"


def lock_for(db_path: Path | str) -> FileLock:
    """The cross-process "one import per database" lock."""
    return FileLock(str(db_path) + ".import.lock")


def acquire(
    lock: FileLock,
    *,
    waiting: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Take the lock, waiting as long as another import holds it (told once through
    `waiting`). False when `cancel` was set while waiting. OSError: the folder's problem."""
    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        pass
    if waiting is not None:
        waiting(WAITING_MESSAGE)
    while True:
        if cancel is not None and cancel.is_set():
            return False
        try:
            lock.acquire(timeout=WAIT_POLL)
            return True
        except Timeout:
            continue


def end_dead_runs(conn: sqlite3.Connection) -> int:
    """Mark 'running' import runs 'interrupted'. Call only while holding the lock (or
    having found it free): then no living process owns them. Returns how many."""
    with transaction(conn):
        return runs.interrupt_running(conn, "import", _DEAD)


def end_dead_runs_if_free(conn: sqlite3.Connection, db_path: Path | str) -> int:
    """For readers (`status`): mark dead import runs when no import holds the lock."""
    if not conn.execute(
        "SELECT 1 FROM runs WHERE kind = 'import' AND state = 'running' LIMIT 1"
    ).fetchone():
        return 0  # nothing to fix: do not even create the lock file
    lock = lock_for(db_path)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return 0  # an import is running (or the folder is read-only): leave the rows
    try:
        return end_dead_runs(conn)
    finally:
        lock.release()
