"""The engine's SQL for state changes: claims, results and run rows, on the writer
connection. Every state change of an event is one committed transaction. A claim puts an
event in `inflight` with the fingerprint of the version sent; results land only on that
version, so an import that changes a user mid-flight wins (its event stays due)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from lr_desktop.store import connect, runs, transaction
from lr_desktop.sync.due import (
    CHANGED,
    DUE_FULL,
    DUE_FULL_RESEND,
    DUE_PENDING,
    HAS_ID,
    PROFILE_DUE,
    PROFILE_DUE_CHANGED,
    RESEND,
    SELECT,
    SELECT_NAMES,
    Due,
    Outcome,
    Result,
    due_condition,
)
from lr_desktop.sync.reader import NO_CLAIM, SyncReader, UploadClaim
from lr_desktop.sync.types import RunState, SyncSummary

__all__ = [  # the vocabulary and the reader, as callers have imported them from here
    "CHANGED",
    "DUE_FULL",
    "DUE_FULL_RESEND",
    "DUE_PENDING",
    "HAS_ID",
    "PROFILE_DUE",
    "PROFILE_DUE_CHANGED",
    "RESEND",
    "Due",
    "Outcome",
    "Result",
    "SyncReader",
    "SyncStore",
    "UploadClaim",
    "due_condition",
    "retry_users",
]

T = TypeVar("T")


# New status per outcome; None keeps the current one (queued, failed or rejected).
_NEW_STATUS: dict[str, str | None] = {
    Result.REJECTED: "rejected",
    Result.FAILED: "failed",
    Result.RETRY: None,  # still in flight
    Result.STOPPED: None,  # the run stops; the event stays as it was (not failed)
    Result.RELEASED: None,  # cancelled before it was sent
    Result.UNMATCHED: "unmatched",  # maybe delivered
}


class SyncStore:
    """One writer connection, used from a single thread at a time."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.conn = connect(self.path, check_same_thread=False)
        self._joined = False  # inside `together`: the methods' writes are its transaction

    def close(self) -> None:
        self.conn.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return nullcontext(self.conn) if self._joined else transaction(self.conn)

    def together(
        self, jobs: Sequence[Callable[[], T]], cut: Callable[[], bool] | None = None
    ) -> list[T]:
        """Run several of this store's calls as one committed transaction (all or nothing).

        `cut()`, asked before each call after the first, ends the transaction early: the
        results returned are those of the calls made (the rest were not run)."""
        results: list[T] = []
        with transaction(self.conn):
            self._joined = True
            try:
                for job in jobs:
                    if results and cut is not None and cut():
                        break
                    results.append(job())
            finally:
                self._joined = False
        return results

    # -- run bookkeeping ------------------------------------------------------------
    def recover(self) -> int:
        """After a crash: events left in flight go back to queued, flagged as possibly
        duplicated (their request may have reached CleverTap); dead runs are marked."""
        with self._tx():
            n = self.conn.execute(
                "UPDATE installs SET possibly_duplicated = 1 "
                "WHERE rowid IN (SELECT install_rowid FROM inflight)"
            ).rowcount
            self.conn.execute("DELETE FROM inflight")
            # rows a version-1 database left marked in the status column itself
            n += self.conn.execute(
                "UPDATE installs SET status = 'queued', possibly_duplicated = 1 "
                "WHERE status = 'in_flight'"
            ).rowcount
            for kind in ("send", "sync"):
                runs.interrupt_running(self.conn, kind)
        return n

    def start_run(self, kind: str, mode: str, scope: str | None = None) -> int:
        """`scope`: what second copies the user asked for (Sync history and `status`)."""
        with self._tx():
            return runs.start_run(self.conn, kind, mode, scope)

    def finish_run(self, summary: SyncSummary, state: RunState) -> None:
        detail = {k: v for k, v in summary.to_dict().items() if k not in ("run_id",)}
        with self._tx():
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
    def count(self, where: Due | str) -> int:
        sql = where.sql if isinstance(where, Due) else where
        return int(self.conn.execute(f"SELECT count(*) FROM installs WHERE {sql}").fetchone()[0])

    def waiting(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM installs WHERE status = 'waiting_id'")
        return int(row.fetchone()[0])

    def rows(self, where: str, after: int, limit: int) -> list[dict[str, Any]]:
        cur = self.conn.execute(  # NOT INDEXED: walk by rowid, never sort
            f"SELECT {SELECT} FROM installs NOT INDEXED WHERE rowid > ? AND {where} "
            "ORDER BY rowid LIMIT ?",
            (after, limit),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    # -- state changes ---------------------------------------------------------------
    def claim(self, rowids: Sequence[int], due: Due, run_id: int) -> list[dict[str, Any]]:
        """Record still-due events as in flight (committed before the request is sent) and
        return exactly what they hold now.

        Set-based on purpose: one INSERT ... SELECT and one JSON row back, rather than a
        GIL hand-off per row with the event loop thread.
        """
        marks = ", ".join("?" * len(rowids))
        with self._tx():
            (found,) = self.conn.execute(
                f"SELECT group_concat(rowid) FROM installs NOT INDEXED WHERE rowid IN ({marks}) "
                f"AND {due.sql} AND rowid NOT IN (SELECT install_rowid FROM inflight)",
                rowids,
            ).fetchone()
            if not found:
                return []
            ids = [int(x) for x in found.split(",")]
            marks = ", ".join("?" * len(ids))
            self.conn.execute(
                "INSERT INTO inflight (install_rowid, run_id, fingerprint, since) "
                f"SELECT rowid, ?, fingerprint, ? FROM installs NOT INDEXED WHERE rowid IN ({marks})",
                (run_id, time.time(), *ids),
            )
            (found,) = self.conn.execute(
                f"SELECT json_group_array(json_array({SELECT})) FROM installs NOT INDEXED "
                f"WHERE rowid IN ({marks})",
                ids,
            ).fetchone()
        rows = [dict(zip(SELECT_NAMES, r, strict=True)) for r in json.loads(found)]
        rows.sort(key=itemgetter("rowid"))
        return rows

    def claim_prepared(self, prepared: UploadClaim, due: Due, run_id: int) -> UploadClaim:
        """Record prepared events as in flight (committed before the request is sent):
        those still due, not in flight, and unchanged since their records were built."""
        if not prepared:
            return NO_CLAIM
        with self._tx():
            n = self.conn.execute(
                "INSERT INTO inflight (install_rowid, run_id, fingerprint, since) "
                "SELECT i.rowid, :run, i.fingerprint, :now FROM json_each(:pairs) AS p "
                "JOIN installs AS i NOT INDEXED ON i.rowid = p.value ->> 0 "
                f"WHERE i.fingerprint = p.value ->> 1 AND {due.sql} "  # json_each has no such columns
                "AND i.rowid NOT IN (SELECT install_rowid FROM inflight)",
                {"run": run_id, "now": time.time(), "pairs": prepared.pairs},
            ).rowcount
            if n == len(prepared):
                return prepared
            if n <= 0:
                return NO_CLAIM
            (found,) = self.conn.execute(
                "SELECT group_concat(install_rowid) FROM inflight WHERE run_id = :run "
                "AND install_rowid IN (SELECT value ->> 0 FROM json_each(:pairs))",
                {"run": run_id, "pairs": prepared.pairs},
            ).fetchone()
        # changed by an import since its record was built: it stays due
        return prepared.only({int(x) for x in found.split(",")})

    def _delivered(
        self,
        rowids: Sequence[int],
        run_id: int,
        mode: str,
        maybe_duplicated: bool,
        clear_errors: bool,
        now: float,
    ) -> None:
        if not rowids:
            return
        ts = int(now)
        ids = json.dumps(list(rowids))
        conn = self.conn
        conn.execute(
            "INSERT INTO attempts (user_id, run_id, at, mode, kind, http_status, outcome) "
            "SELECT user_id, :run, :now, :mode, 'event', 200, 'delivered' FROM installs "
            "WHERE rowid IN (SELECT value FROM json_each(:ids))",
            {"run": run_id, "now": now, "mode": mode, "ids": ids},
        )
        # What CleverTap got is the version sent (inflight.fingerprint): it is delivered
        # even when an import changed the user meanwhile, which makes the user `changed`.
        conn.execute(
            "UPDATE installs SET status = CASE WHEN installs.fingerprint = f.fingerprint "
            "THEN 'delivered' ELSE 'changed' END, delivered_at = :ts, "
            # delivered_values: NULL = the row itself is what was delivered (written
            # here only for a user changed in flight; the import writes it otherwise)
            "delivered_fingerprint = f.fingerprint, delivered_values = CASE WHEN "
            "installs.fingerprint = f.fingerprint THEN NULL "
            "ELSE coalesce(f.sent_values, installs.delivered_values) END, "
            "delivered_mode = :mode, attempts = attempts + 1, "
            "last_attempt_at = :ts, last_http_status = 200"
            + (", possibly_duplicated = 1" if maybe_duplicated else "")
            + " FROM inflight AS f WHERE f.install_rowid = installs.rowid "
            "AND installs.rowid IN (SELECT value FROM json_each(:ids))",
            {"ts": ts, "mode": mode, "ids": ids},
        )
        if clear_errors:
            # Only where there is one: writing NULL over NULL still rewrites the last_code
            # index entry of every delivered row.
            conn.execute(
                "UPDATE installs SET last_code = NULL, last_error = NULL "
                "WHERE rowid IN (SELECT value FROM json_each(:ids)) "
                "AND (last_code IS NOT NULL OR last_error IS NOT NULL) AND status = 'delivered'",
                {"ids": ids},
            )
        conn.execute(
            "DELETE FROM inflight WHERE install_rowid IN (SELECT value FROM json_each(:ids))",
            {"ids": ids},
        )

    def record(
        self,
        outcomes: Sequence[Outcome],
        *,
        run_id: int,
        mode: str,
        kind: str = "event",
        delivered_ids: Sequence[int] = (),
        clear_errors: bool = True,
    ) -> None:
        """Write attempt results (and the events' new states) in one transaction;
        `delivered_ids`: more events delivered (no outcome objects needed for them);
        `clear_errors=False`: none of the delivered carries an earlier error to clear.

        Results only land on the version of the attribution that was sent (the fingerprint
        kept in `inflight`); if an import changed the user meanwhile, its event stays due.
        """
        if not outcomes and not delivered_ids:
            return
        now = time.time()
        ts = int(now)
        delivered: dict[bool, list[int]] = {False: list(delivered_ids), True: []}
        others: list[Outcome] = []
        for o in outcomes:
            if o.outcome == Result.DELIVERED and kind == "event":
                delivered[o.maybe_duplicated].append(o.rowid)
            else:
                others.append(o)
        conn = self.conn
        with self._tx():
            if others:
                conn.executemany(
                    "INSERT INTO attempts (user_id, run_id, at, mode, kind, http_status, code, message, outcome) "
                    "VALUES (coalesce(?, (SELECT user_id FROM installs WHERE rowid = ?)), "
                    "?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            o.user_id,
                            o.rowid,
                            run_id,
                            now,
                            mode,
                            kind,
                            o.http_status,
                            o.code,
                            o.message,
                            o.outcome,
                        )
                        for o in others
                    ],
                )
            if kind != "event":
                return
            for maybe_dup, ids in delivered.items():
                self._delivered(ids, run_id, mode, maybe_dup, clear_errors, now)
            if others:
                # An `unmatched` answer lands whatever changed meanwhile (the sent version
                # may be in CleverTap); other results only on the version sent.
                guard = (
                    "AND fingerprint = "
                    "(SELECT fingerprint FROM inflight WHERE install_rowid = installs.rowid)"
                )
                for unmatched in (False, True):
                    conn.executemany(
                        "UPDATE installs SET status = coalesce(?, status), attempts = attempts + ?, "
                        "last_attempt_at = ?, last_http_status = ?, last_code = ?, last_error = ?, "
                        "possibly_duplicated = max(possibly_duplicated, ?) "
                        f"WHERE rowid = ? {'' if unmatched else guard}",
                        [
                            (
                                _NEW_STATUS[o.outcome],
                                0 if o.outcome == Result.RELEASED else 1,
                                ts,
                                o.http_status,
                                o.code,
                                o.message,
                                int(o.maybe_duplicated),
                                o.rowid,
                            )
                            for o in others
                            if (o.outcome == Result.UNMATCHED) is unmatched
                        ],
                    )
                # A possible copy is flagged even on a user changed meanwhile.
                conn.executemany(
                    "UPDATE installs SET possibly_duplicated = 1 "
                    "WHERE rowid = ? AND possibly_duplicated = 0",
                    [(o.rowid,) for o in others if o.maybe_duplicated],
                )
                done = [(o.rowid,) for o in others if o.outcome != Result.RETRY]
                conn.executemany("DELETE FROM inflight WHERE install_rowid = ?", done)

    def mark_profiles(self, done: Sequence[tuple[str, int]]) -> None:
        """Remember which fingerprint's profile properties CleverTap now holds."""
        if done:
            with self._tx():
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
