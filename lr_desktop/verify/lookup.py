"""One user's result in the last finished check: the verdict and CleverTap's copies of
the install event (for the window's detail pane and events table; no Qt)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

_LAST = "SELECT id FROM ct_checks WHERE state = 'finished' ORDER BY id DESC LIMIT 1"


def last_check_id(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute(_LAST).fetchone()
    except sqlite3.OperationalError:  # a database of an older schema
        return None
    return None if row is None else int(row[0])


def user_check(conn: sqlite3.Connection, user_id: str) -> dict[str, Any] | None:
    """{check_id, verdict, copies, fields, records} for this user in the last finished
    check (verdict None: the check gave none); None when no check finished yet.
    `records`: CleverTap's copies matched to the user, oldest first, as CleverTap sent
    their properties."""
    check_id = last_check_id(conn)
    if check_id is None:
        return None
    row = conn.execute(
        "SELECT verdict, copies, fields FROM ct_verdicts WHERE user_id = ? AND check_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (user_id, check_id),
    ).fetchone()
    records = [
        {
            "event_name": name,
            "ts": ts,
            "object_id": oid,
            "matched_by": by,
            "props": json.loads(props) if props else {},
        }
        for name, ts, oid, by, props in conn.execute(
            "SELECT event_name, ts, object_id, matched_by, props FROM ct_records "
            "WHERE check_id = ? AND matched = ? ORDER BY ts, id",
            (check_id, user_id),
        )
    ]
    return {
        "check_id": check_id,
        "verdict": row[0] if row else None,
        "copies": row[1] if row else len(records),
        "fields": json.loads(row[2]) if row and row[2] else [],
        "records": records,
    }
