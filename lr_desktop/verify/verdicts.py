"""Match CleverTap's records to users and give every user a verdict; settle what the
evidence settles (missing -> due again; present once -> delivered, flag cleared).

Matching: `event_props.lr_event_id` first, then `event_props.user_id`, then the
profile's objectId (CleverTap's identifier keys are UNCONFIRMED, so they come last).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import PAYLOAD_COLUMNS, event_record
from lr_desktop.clevertap.payloads_sql import EVENT_DATA, EVENT_DATA_PLAIN
from lr_desktop.clevertap.rules import normalise_event_name

# verdict -> how the user meets it
VERDICT_LABELS: dict[str, str] = {
    "present": "In CleverTap once",
    "missing": "Missing in CleverTap",
    "duplicated": "Duplicated in CleverTap",
    "different": "Different in CleverTap",
    "unknown_here": "In CleverTap, unknown here",
    "not_sent": "Not sent, not in CleverTap",
    "too_recent": "Delivered just before the check: not judged",
    "not_checked": "Not checked (attribution mode)",
}
PROBLEMS = ("missing", "duplicated", "different", "unknown_here")
_DELIVERED = ("delivered", "changed")
_NOT_INFLIGHT = "rowid NOT IN (SELECT install_rowid FROM inflight)"
_SKIP_PROPS = {"lr_event_id"}  # a new lr_event_id follows from a changed field, named itself


def match_records(conn: sqlite3.Connection, check_id: int, everything: bool = False) -> None:
    """Set `matched` (a user_id) and `matched_by` on the check's records that the page
    commits left unmatched (`CheckStore.commit_page` matches each record as it stores it,
    by the same rules); `everything`: on all of them again (a resumed check's pages were
    matched against the installs of an earlier day). Needs `CheckStore.prepare_matching`
    on this connection."""
    c = {"c": check_id}
    if everything:
        conn.execute(
            "UPDATE ct_records SET matched = NULL, matched_by = NULL "
            "WHERE check_id = :c AND matched IS NOT NULL",
            c,
        )
    conn.execute(
        "UPDATE ct_records SET matched_by = 'lr_event_id', "
        "matched = (SELECT user_id FROM temp.ct_ids WHERE event_id = ct_records.lr_event_id) "
        "WHERE check_id = :c AND matched IS NULL "
        "AND lr_event_id IN (SELECT event_id FROM temp.ct_ids)",
        c,
    )
    conn.execute(
        "UPDATE ct_records SET matched = user_id, matched_by = 'user_id' "
        "WHERE check_id = :c AND matched IS NULL AND user_id IN (SELECT user_id FROM installs)",
        c,
    )
    conn.execute(
        "UPDATE ct_records SET matched_by = 'objectId', matched = (SELECT user_id FROM installs "
        "WHERE clevertap_id = ct_records.object_id ORDER BY rowid LIMIT 1) "
        "WHERE check_id = :c AND matched IS NULL AND object_id IN "
        "(SELECT clevertap_id FROM installs WHERE clevertap_id IS NOT NULL)",
        c,
    )


def differences(expected: dict[str, Any], copy: dict[str, Any]) -> list[str]:
    """The fields where CleverTap's copy disagrees with the event this app would send."""
    out: list[str] = []
    if normalise_event_name(copy["event_name"]) != normalise_event_name(expected["evtName"]):
        out.append("event_name")
    if copy["object_id"] is not None and copy["object_id"] != expected["objectId"]:
        out.append("objectId")
    if copy["ts"] != expected["ts"]:
        out.append("ts")
    props = copy["props"]
    for key, value in expected["evtData"].items():
        if key not in _SKIP_PROPS and str(props.get(key)) != str(value):
            out.append(key)
    return out


_USER_COLUMNS = (
    "rowid",
    *PAYLOAD_COLUMNS,
    "status",
    "delivered_mode",
    "possibly_duplicated",
    "delivered_at",
)
_ORGANIC = "upper(attribution_type) = 'ORGANIC'"
_IN_RANGE = "installed_at >= :lo AND installed_at < :hi"
# Per user (into the temp table ct_judge): copies, copies of its current lr_event_id,
# whether its one copy is exactly the record this app sends (SQLite builds that record's
# evtData, payloads_sql, for rows where it is sure to build Python's) and whether nothing
# about the user needs settling. The common case, "present once" and delivered, is then
# written by SQL alone.
# The users are those installed in the range, then (a second statement) those outside it
# that a record matched: one index probe each, not a list of every matched user.
_JUDGE_SQL = (
    "INSERT INTO ct_judge (rid, n, current, same, quiet) SELECT u.rowid, count(r.id), "
    "coalesce(sum(r.lr_event_id = u.event_id), 0), "
    "coalesce(max(r.props = u.expected AND r.ts = u.installed_at "
    "AND r.object_id IS u.clevertap_id AND r.event_name = u.evt_name), 0), "
    "u.status = 'delivered' AND u.possibly_duplicated = 0 "
    "FROM (SELECT rowid, user_id, event_id, installed_at, clevertap_id, status, "
    "possibly_duplicated, "
    f"CASE WHEN {EVENT_DATA_PLAIN} THEN {EVENT_DATA} END AS expected, "
    f"CASE WHEN {_ORGANIC} THEN :organic_event ELSE :inorganic_event END AS evt_name "
    "FROM installs WHERE {users}) AS u "
    "LEFT JOIN ct_records AS r ON r.check_id = :c AND r.matched = u.user_id GROUP BY u.rowid"
)
_JUDGE_STATEMENTS = tuple(
    _JUDGE_SQL.replace("{users}", users)
    for users in (
        _IN_RANGE,
        f"NOT ({_IN_RANGE}) AND EXISTS "
        "(SELECT 1 FROM ct_records WHERE check_id = :c AND matched = installs.user_id)",
    )
)
_PLAIN_PRESENT = "j.n = 1 AND j.same AND j.quiet"


def _judge_in_sql(
    conn: sqlite3.Connection, check_id: int, cfg: CleverTapConfig, low: int, high: int
) -> int:
    """Fill ct_judge; write the plain "present" verdicts; returns how many."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS ct_judge "
        "(rid INTEGER PRIMARY KEY, n INTEGER, current INTEGER, same INTEGER, quiet INTEGER)"
    )
    conn.execute("DELETE FROM ct_judge")
    params = {
        "c": check_id,
        "lo": low,
        "hi": high,
        "organic_event": cfg.organic_event,
        "inorganic_event": cfg.inorganic_event,
    }
    for statement in _JUDGE_STATEMENTS:
        conn.execute(statement, params)
    return conn.execute(
        "INSERT INTO ct_verdicts (check_id, user_id, lr_event_id, verdict, copies) "
        "SELECT ?, i.user_id, i.event_id, 'present', 1 FROM ct_judge AS j "
        f"JOIN installs AS i ON i.rowid = j.rid WHERE {_PLAIN_PRESENT}",
        (check_id,),
    ).rowcount


def _users(conn: sqlite3.Connection) -> Iterator[tuple[dict[str, Any], int, int]]:
    """The users ct_judge holds that need Python: (user, copies, copies of its current
    lr_event_id)."""
    width = len(_USER_COLUMNS)
    cols = ", ".join(f"i.{c}" for c in _USER_COLUMNS)
    cur = conn.execute(
        f"SELECT {cols}, j.n, j.current FROM ct_judge AS j JOIN installs AS i "
        f"ON i.rowid = j.rid WHERE NOT ({_PLAIN_PRESENT}) ORDER BY j.rid"
    )
    for row in cur:
        yield dict(zip(_USER_COLUMNS, row[:width], strict=True)), row[width], row[width + 1]


def _copies(conn: sqlite3.Connection, check_id: int, user_id: str) -> list[dict[str, Any]]:
    return [
        {
            "event_name": n,
            "object_id": o,
            "ts": ts,
            "props": json.loads(p),
            "matched_by": by,
            "lr_event_id": e,
        }
        for n, o, ts, p, by, e in conn.execute(
            "SELECT event_name, object_id, ts, props, matched_by, lr_event_id FROM ct_records "
            "WHERE check_id = ? AND matched = ? ORDER BY id",
            (check_id, user_id),
        )
    ]


def absent_verdict(user: Mapping[str, Any], delivered_before: float) -> str:
    """The verdict of a user CleverTap holds no copy of (upload and attribution mode)."""
    if user["status"] not in _DELIVERED:
        return "not_sent"
    if (user["delivered_at"] or 0) >= delivered_before:
        return "too_recent"
    return "missing"


def judge(
    user: dict[str, Any],
    copies: list[dict[str, Any]],
    cfg: CleverTapConfig,
    delivered_before: float = float("inf"),
) -> tuple[str, list[str]]:
    """(verdict, fields that differ) for one user and CleverTap's copies of its event.
    Only events delivered before `delivered_before` can be missing: a later one may not
    be in the pages yet (or in CleverTap's index: its delay is UNCONFIRMED)."""
    if not copies:
        if user["delivered_mode"] == "attribution":
            return "not_checked", []
        return absent_verdict(user, delivered_before), []
    fields: list[str] = []
    if user["clevertap_id"]:
        expected = event_record(user, cfg)
        for copy in copies:
            fields += [f for f in differences(expected, copy) if f not in fields]
    if len(copies) > 1:
        return "duplicated", fields
    return ("different" if fields else "present"), fields


class Settled(Counter[str]):
    """How many users' states the check changed: made_due, confirmed, flags_cleared."""


def judge_all(
    conn: sqlite3.Connection,
    check_id: int,
    cfg: CleverTapConfig,
    low: int,
    high: int,
    delivered_before: float = float("inf"),
) -> tuple[Counter[str], Settled]:
    """Write every verdict of the check and settle states; call inside a transaction."""
    now = time.time()
    note = f"CleverTap check #{check_id}"
    counts: Counter[str] = Counter()
    settled = Settled()
    verdicts: list[tuple[Any, ...]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO ct_verdicts (check_id, user_id, lr_event_id, verdict, copies, fields) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            verdicts,
        )
        verdicts.clear()

    conn.execute("DELETE FROM ct_verdicts WHERE check_id = ?", (check_id,))
    counts["present"] = _judge_in_sql(conn, check_id, cfg, low, high)
    for user, n, current in _users(conn):
        copies = _copies(conn, check_id, user["user_id"]) if n else []
        verdict, fields = judge(user, copies, cfg, delivered_before)
        counts[verdict] += 1
        verdicts.append(
            (check_id, user["user_id"], user["event_id"], verdict, n,
             json.dumps(fields) if fields else None)
        )  # fmt: skip
        _settle(conn, user, verdict, current, now, note, settled)
        if len(verdicts) >= 5000:
            flush()
    flush()
    for eid, uid, n in conn.execute(
        "SELECT lr_event_id, user_id, count(*) FROM ct_records WHERE check_id = ? "
        "AND matched IS NULL AND (lr_event_id IS NOT NULL OR user_id IS NOT NULL) "
        "GROUP BY coalesce(lr_event_id, ''), coalesce(user_id, '')",
        (check_id,),
    ).fetchall():
        counts["unknown_here"] += 1
        verdicts.append((check_id, uid, eid, "unknown_here", n, None))
    flush()
    return counts, settled


def _settle(
    conn: sqlite3.Connection,
    user: dict[str, Any],
    verdict: str,
    current_copies: int,
    now: float,
    note: str,
    settled: Settled,
    mode: str = "upload",
) -> None:
    """Only on evidence about the version this app holds now (its lr_event_id; in
    attribution mode, `current_copies` are the copies whose fields all agree)."""
    rowid, status = user["rowid"], user["status"]
    if verdict == "missing":
        n = conn.execute(
            "UPDATE installs SET status = 'queued', last_error = ? "
            f"WHERE rowid = ? AND status IN ('delivered', 'changed') AND {_NOT_INFLIGHT}",
            (f"{note}: not found in CleverTap; due again", rowid),
        ).rowcount
        _attempt(conn, user, now, "retry", f"{note}: not found in CleverTap; due again", n)
        settled["made_due"] += n
    elif verdict in ("present", "duplicated") and current_copies:
        confirmed = verdict == "present"
        message = (
            f"{note}: CleverTap confirmed"
            if confirmed
            else f"{note}: CleverTap holds {current_copies} copies; not sent again"
        )
        if status in ("queued", "failed"):
            n = conn.execute(
                "UPDATE installs SET status = 'delivered', delivered_at = ?, "
                "delivered_fingerprint = fingerprint, delivered_mode = ?, last_error = ?, "
                "last_code = NULL" + (", possibly_duplicated = 0" if confirmed else "") + " "
                f"WHERE rowid = ? AND status IN ('queued', 'failed') AND {_NOT_INFLIGHT}",
                (int(now), mode, message, rowid),
            ).rowcount
            _attempt(conn, user, now, "delivered", message, n)
            settled["confirmed"] += n
        elif confirmed and user["possibly_duplicated"]:
            n = conn.execute(
                f"UPDATE installs SET possibly_duplicated = 0, last_error = ? "
                f"WHERE rowid = ? AND {_NOT_INFLIGHT}",
                (message, rowid),
            ).rowcount
            _attempt(conn, user, now, "delivered", message, n)
            settled["flags_cleared"] += n


def _attempt(
    conn: sqlite3.Connection, user: dict[str, Any], now: float, outcome: str, msg: str, n: int
) -> None:
    if n:
        conn.execute(
            "INSERT INTO attempts (user_id, at, mode, kind, outcome, message) "
            "VALUES (?, ?, 'verify', 'event', ?, ?)",
            (user["user_id"], now, outcome, msg),
        )
