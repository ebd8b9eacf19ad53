"""Automatic mode's state for the tray: the last pull, the last send and what failed,
read from the `runs` table and the delivery counts (no Qt; the tray only shows it).

`notification` says which finished runs deserve a desktop notification: a run that
failed or stopped, and one in which CleverTap rejected users."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lr_desktop.run_labels import run_label
from lr_desktop.store.overview import status_counts
from lr_desktop.words import plural

_COLUMNS = "id, kind, mode, scope, state, ended_at, total, delivered, rejected, failed, error"
_SENDS = ("send", "sync")
_PROBLEM_STATES = ("stopped", "interrupted")


@dataclass(frozen=True)
class RunRecord:
    id: int
    kind: str
    mode: str | None
    scope: str | None
    state: str
    ended_at: float | None
    total: int
    delivered: int
    rejected: int
    failed: int
    error: str | None

    @property
    def label(self) -> str:
        return run_label(self.kind, self.mode, self.scope)


@dataclass(frozen=True)
class AutomationState:
    last_pull: RunRecord | None
    last_send: RunRecord | None
    failed_users: int  # users whose event is 'failed' now (retried on the next sync)
    rejected_users: int
    newest_run_id: int


def _record(row: tuple[Any, ...]) -> RunRecord:
    rid, kind, mode, scope, state, ended, total, delivered, rejected, failed, error = row
    return RunRecord(
        rid, kind, mode, scope, state, ended, total or 0, delivered or 0, rejected or 0,
        failed or 0, error,
    )  # fmt: skip


def _last(conn: sqlite3.Connection, kinds: tuple[str, ...]) -> RunRecord | None:
    marks = ",".join("?" * len(kinds))
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE kind IN ({marks}) AND state != 'running' "
        "ORDER BY id DESC LIMIT 1",
        kinds,
    ).fetchone()
    return _record(row) if row else None


def read_state(conn: sqlite3.Connection) -> AutomationState:
    counts = status_counts(conn)
    newest = conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
    return AutomationState(
        _last(conn, ("pull",)), _last(conn, _SENDS), counts["failed"], counts["rejected"], newest
    )


def finished_runs_after(conn: sqlite3.Connection, run_id: int) -> list[RunRecord]:
    """Pulls and sends that ended after run `run_id`, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE id > ? AND kind IN ('pull', 'send', 'sync') "
        "AND state != 'running' ORDER BY id",
        (run_id,),
    ).fetchall()
    return [_record(r) for r in rows]


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M") if ts else "-"


def describe_run(r: RunRecord | None) -> str:
    if r is None:
        return "not yet"
    if r.kind == "pull":
        what = f"{plural(r.total, 'user')} read"
    else:
        parts = [f"{r.delivered:,} delivered"]
        parts += [f"{r.rejected:,} rejected"] if r.rejected else []
        parts += [f"{r.failed:,} failed"] if r.failed else []
        what = ", ".join(parts)
    state = "" if r.state == "finished" else f" ({r.state})"
    return f"{_when(r.ended_at)}{state}, {what}"


def tooltip(state: AutomationState) -> str:
    lines = [
        "Linkrunner Desktop: automatic mode",
        f"Last pull: {describe_run(state.last_pull)}",
        f"Last send: {describe_run(state.last_send)}",
    ]
    problems = []
    if state.failed_users:
        problems.append(f"{plural(state.failed_users, 'user')} failed")
    if state.rejected_users:
        problems.append(f"{plural(state.rejected_users, 'user')} rejected")
    lines.append("Failures: " + (", ".join(problems) if problems else "none"))
    return "\n".join(lines)


def notification(r: RunRecord) -> tuple[str, str] | None:
    """(title, message) for a run worth telling the user about; None when it went fine."""
    if r.state in _PROBLEM_STATES or (r.error and r.state != "cancelled"):
        return f"{r.label} failed", r.error or f"The {r.label.lower()} {r.state}."
    if r.kind in _SENDS and (r.failed or r.rejected):
        parts = []
        if r.rejected:
            parts.append(f"CleverTap rejected {plural(r.rejected, 'user')}")
        if r.failed:
            parts.append(f"{plural(r.failed, 'event')} failed")
        return f"{r.label}: not all delivered", "; ".join(parts) + ". See Sync history."
    return None
