"""The engine's database side. Every state change of an event is one committed
transaction; `claim` and the result writes are guarded by `status = 'in_flight'`
so an import that changes a user mid-flight wins (its event stays due)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lr_desktop.clevertap.payloads import PAYLOAD_COLUMNS
from lr_desktop.store import connect, transaction
from lr_desktop.sync.types import Operation, SyncSummary

HAS_ID = "clevertap_id IS NOT NULL AND clevertap_id != ''"
DUE_PENDING = f"status IN ('queued', 'failed') AND {HAS_ID}"
DUE_FULL = f"status IN ('queued', 'failed', 'rejected') AND {HAS_ID}"
DUE_FULL_RESEND = f"status IN ('queued', 'failed', 'rejected', 'delivered') AND {HAS_ID}"
PROFILE_DUE = (
    f"{HAS_ID} AND status != 'rejected' "
    "AND (profile_fingerprint IS NULL OR profile_fingerprint != fingerprint)"
)

_SELECT = ", ".join(("rowid", *PAYLOAD_COLUMNS, "fingerprint"))


def due_condition(operation: str, resend_delivered: bool) -> str:
    if operation == Operation.SEND_PENDING:
        return DUE_PENDING
    return DUE_FULL_RESEND if resend_delivered else DUE_FULL


@dataclass(frozen=True)
class Outcome:
    """What happened to one event in one attempt."""

    rowid: int
    user_id: str
    outcome: str  # delivered | rejected | failed | retry | stopped | released
    http_status: int | None = None
    code: int | None = None
    message: str | None = None
    maybe_duplicated: bool = False


_FINAL_STATUS = {
    "delivered": "delivered",
    "rejected": "rejected",
    "failed": "failed",
    "stopped": "queued",
    "released": "queued",
    "retry": "in_flight",
}


class SyncStore:
    """One writer connection, used from a single thread at a time."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.conn = connect(self.path, check_same_thread=False)

    def close(self) -> None:
        self.conn.close()

    # -- run bookkeeping ------------------------------------------------------------
    def recover(self) -> int:
        """After a crash: events left in flight go back to queued, flagged as possibly
        duplicated (their request may have reached CleverTap); dead runs are marked."""
        with transaction(self.conn):
            n = self.conn.execute(
                "UPDATE installs SET status = 'queued', possibly_duplicated = 1 "
                "WHERE status = 'in_flight'"
            ).rowcount
            self.conn.execute(
                "UPDATE runs SET state = 'interrupted', ended_at = coalesce(ended_at, ?) "
                "WHERE state = 'running' AND kind IN ('send', 'sync')",
                (time.time(),),
            )
        return n

    def start_run(self, kind: str, mode: str) -> int:
        with transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO runs (kind, mode, started_at, state) VALUES (?, ?, ?, 'running')",
                (kind, mode, time.time()),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, summary: SyncSummary, state: str) -> None:
        detail = {k: v for k, v in summary.to_dict().items() if k not in ("run_id",)}
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE runs SET ended_at = ?, state = ?, total = ?, delivered = ?, rejected = ?, "
                "failed = ?, waiting = ?, possibly_duplicated = ?, profiles = ?, error = ?, detail = ? "
                "WHERE id = ?",
                (
                    time.time(),
                    state,
                    summary.total,
                    summary.delivered,
                    summary.rejected,
                    summary.failed,
                    summary.waiting_for_clevertap_id,
                    summary.possibly_duplicated,
                    summary.profiles_upserted,
                    summary.stopped_reason,
                    json.dumps(detail),
                    summary.run_id,
                ),
            )

    # -- reading ---------------------------------------------------------------------
    def count(self, where: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM installs WHERE {where}").fetchone()[0]

    def waiting(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM installs WHERE status = 'waiting_id'"
        ).fetchone()[0]

    def due_rowids(self, where: str, after: int, limit: int) -> list[int]:
        rows = self.conn.execute(
            f"SELECT rowid FROM installs WHERE rowid > ? AND {where} ORDER BY rowid LIMIT ?",
            (after, limit),
        ).fetchall()
        return [r[0] for r in rows]

    def rows(self, where: str, after: int, limit: int) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            f"SELECT {_SELECT} FROM installs WHERE rowid > ? AND {where} ORDER BY rowid LIMIT ?",
            (after, limit),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    # -- state changes ---------------------------------------------------------------
    def claim(self, rowids: Sequence[int], where: str, run_id: int) -> list[dict[str, Any]]:
        """Mark still-due events in flight and return exactly what they hold now."""
        marks = ", ".join("?" * len(rowids))
        with transaction(self.conn):
            cur = self.conn.execute(
                f"UPDATE installs SET status = 'in_flight', run_id = ? "
                f"WHERE rowid IN ({marks}) AND {where} RETURNING {_SELECT}",
                (run_id, *rowids),
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        rows.sort(key=lambda r: r["rowid"])
        return rows

    def record(
        self, outcomes: Sequence[Outcome], *, run_id: int, mode: str, kind: str = "event"
    ) -> None:
        """Write attempt results (and the events' new states) in one transaction."""
        if not outcomes:
            return
        now = time.time()
        ts = int(now)
        attempt_rows = [
            (o.user_id, run_id, now, mode, kind, o.http_status, o.code, o.message, o.outcome)
            for o in outcomes
        ]
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO attempts (user_id, run_id, at, mode, kind, http_status, code, message, outcome) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                attempt_rows,
            )
            if kind != "event":
                return
            delivered = [
                (ts, mode, ts, o.http_status, int(o.maybe_duplicated), o.rowid)
                for o in outcomes
                if o.outcome == "delivered"
            ]
            if delivered:
                self.conn.executemany(
                    "UPDATE installs SET status = 'delivered', delivered_at = ?, "
                    "delivered_fingerprint = fingerprint, delivered_mode = ?, attempts = attempts + 1, "
                    "last_attempt_at = ?, last_http_status = ?, last_code = NULL, last_error = NULL, "
                    "possibly_duplicated = max(possibly_duplicated, ?) "
                    "WHERE rowid = ? AND status = 'in_flight'",
                    delivered,
                )
            others = [
                (
                    _FINAL_STATUS[o.outcome],
                    0 if o.outcome in ("stopped", "released") else 1,
                    ts,
                    o.http_status,
                    o.code,
                    o.message,
                    int(o.maybe_duplicated),
                    o.rowid,
                )
                for o in outcomes
                if o.outcome != "delivered"
            ]
            if others:
                self.conn.executemany(
                    "UPDATE installs SET status = ?, attempts = attempts + ?, last_attempt_at = ?, "
                    "last_http_status = ?, last_code = ?, last_error = ?, "
                    "possibly_duplicated = max(possibly_duplicated, ?) "
                    "WHERE rowid = ? AND status = 'in_flight'",
                    others,
                )

    def mark_profiles(self, done: Sequence[tuple[str, int]]) -> None:
        """Remember which fingerprint's profile properties CleverTap now holds."""
        if done:
            with transaction(self.conn):
                self.conn.executemany(
                    "UPDATE installs SET profile_fingerprint = ? WHERE rowid = ?", done
                )


def retry_users(conn: sqlite3.Connection, user_ids: Sequence[str]) -> int:
    """Put chosen users' events back in the queue (the GUI's "Retry selected")."""
    total = 0
    with transaction(conn):
        for i in range(0, len(user_ids), 500):
            part = list(user_ids[i : i + 500])
            total += conn.execute(
                f"UPDATE installs SET status = 'queued' WHERE user_id IN ({', '.join('?' * len(part))}) "
                f"AND status IN ('rejected', 'failed', 'delivered') AND {HAS_ID}",
                part,
            ).rowcount
    return total
