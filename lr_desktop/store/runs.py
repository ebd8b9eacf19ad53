"""Run bookkeeping: one row in `runs` per import, ID-mapping import, pull (and, later,
sync), created 'running' and updated with its counts as it goes and when it ends.

Every function here is one statement and runs inside the caller's transaction, so a
run's row changes commit together with the work they describe (a pull's page and its
progress, a high-water mark and the finished state).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any


def start_run(conn: sqlite3.Connection, kind: str, mode: str, scope: str | None = None) -> int:
    """A new 'running' run of `kind` ('import', 'pull', 'sync', 'verify') and `mode`; its id.
    `scope`: what second copies the user asked for (a sync's)."""
    cur = conn.execute(
        "INSERT INTO runs (kind, mode, started_at, state, scope) VALUES (?, ?, ?, 'running', ?)",
        (kind, mode, time.time(), scope),
    )
    return int(cur.lastrowid or 0)


def record_run(
    conn: sqlite3.Connection,
    run_id: int,
    state: str,
    *,
    total: int,
    rejected: int,
    error: str | None,
    detail: dict[str, Any],
) -> None:
    """Write a run's counts and state: progress ('running') or its end (ended_at set)."""
    conn.execute(
        "UPDATE runs SET ended_at = ?, state = ?, total = ?, rejected = ?, error = ?, detail = ? "
        "WHERE id = ?",
        (time.time(), state, total, rejected, error, json.dumps(detail), run_id),
    )


def interrupt_running(conn: sqlite3.Connection, kind: str, error: str | None = None) -> int:
    """Mark `kind`'s 'running' runs 'interrupted' (with `error` unless they have one).

    Only for a caller that knows no living process owns them (it holds that kind's
    lock). Returns how many were marked.
    """
    return conn.execute(
        "UPDATE runs SET state = 'interrupted', ended_at = coalesce(ended_at, ?), "
        "error = coalesce(error, ?) WHERE kind = ? AND state = 'running'",
        (time.time(), error, kind),
    ).rowcount
