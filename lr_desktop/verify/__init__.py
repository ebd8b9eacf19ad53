"""Verify with CleverTap: what CleverTap really holds per user (no Qt)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from lr_desktop.verify.verdicts import PROBLEMS, VERDICT_LABELS

if TYPE_CHECKING:
    from lr_desktop.verify.run import (
        CheckAlreadyRunning,
        VerifyProgress,
        VerifySummary,
        run_verify,
    )

# `verify.run` brings the HTTP client (httpx, ~230 ms to import): the window needs only
# the verdict labels to paint, so the running part is loaded on first use.
_FROM_RUN = {"CheckAlreadyRunning", "VerifyProgress", "VerifySummary", "run_verify"}


def __getattr__(name: str) -> Any:
    if name in _FROM_RUN:
        from lr_desktop.verify import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CheckAlreadyRunning",
    "PROBLEMS",
    "VERDICT_LABELS",
    "VerifyProgress",
    "VerifySummary",
    "last_check",
    "problem_users",
    "run_verify",
]


def last_check(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The latest finished check: id, range, when, and users per verdict (for `status`,
    `--json` summaries and the Overview); None if no check finished yet."""
    try:
        row = conn.execute(
            "SELECT id, since, until, started_at, ended_at, summary FROM ct_checks "
            "WHERE state = 'finished' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:  # a read-only database of an older schema
        return None
    if row is None:
        return None
    counts = {v: 0 for v in VERDICT_LABELS}
    for verdict, n in conn.execute(
        "SELECT verdict, count(*) FROM ct_verdicts WHERE check_id = ? GROUP BY verdict", (row[0],)
    ):
        counts[verdict] = n
    summary = json.loads(row[5] or "{}")
    return {
        "check_id": row[0],
        "since": row[1],
        "until": row[2],
        "started_at": row[3],
        "ended_at": row[4],
        "counts": counts,
        "api_calls": summary.get("api_calls"),
    }


def problem_users(conn: sqlite3.Connection, check_id: int) -> list[dict[str, Any]]:
    """Every user whose verdict is not "present" or "not sent", with copies and fields
    (attribution-mode rows also say so, with the CleverTap ID they were matched by)."""
    marks = ", ".join("?" * len(PROBLEMS))
    return [
        {
            "user_id": uid,
            "lr_event_id": eid,
            "verdict": verdict,
            "copies": copies,
            "fields": json.loads(fields) if fields else [],
            **(json.loads(note) if note else {}),
        }
        for uid, eid, verdict, copies, fields, note in conn.execute(
            "SELECT user_id, lr_event_id, verdict, copies, fields, note FROM ct_verdicts "
            f"WHERE check_id = ? AND verdict IN ({marks}) "
            "ORDER BY verdict, user_id, lr_event_id, note",
            (check_id, *PROBLEMS),
        )
    ]
