"""Putting attributed users into the queue, idempotently.

Rules:
- a user seen for the first time is queued (or waits when it has no CleverTap ID);
- an identical re-import changes nothing;
- a change of any event-shaping field (model.EVENT_FIELDS) makes a never-delivered
  event due again; a delivered one becomes `changed` (CleverTap keeps every copy, so a
  second install event goes out only when the user asks), and changing it back to what
  CleverTap already has makes it delivered again;
- a missing column or an empty cell (None) never erases a known value, the CleverTap
  ID included; one arriving for a waiting user queues its event;
- `possibly_duplicated` is never cleared here: the copies stay in CleverTap whatever
  the file says (only evidence from CleverTap may clear it);
- a user changed while its event is in a request keeps the sent version in
  `inflight.sent_values`, so CleverTap's answer still lands on what was sent.
- a user whose platform is unknown ("", from a Linkrunner answer that does not say)
  waits too, whatever its CleverTap ID, and an unknown platform never erases a known one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lr_desktop.model import (
    ATTRIBUTION_COLUMNS,
    Attribution,
    Status,
    attribution_values,
    event_id,
    fingerprint,
)
from lr_desktop.store.versions import EVENT_VALUES_SQL

_CT_INDEX = ATTRIBUTION_COLUMNS.index("clevertap_id")
_PF_INDEX = ATTRIBUTION_COLUMNS.index("platform")
_CHUNK = 500  # users per IN (...) lookup; well under SQLite's variable limit
_QUEUED, _WAITING = str(Status.QUEUED), str(Status.WAITING_ID)


@dataclass
class UpsertCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged


_COLS = ", ".join(ATTRIBUTION_COLUMNS)
_INSERT = (
    f"INSERT INTO installs ({_COLS}, fingerprint, event_id, source, imported_at, updated_at, status) "
    f"VALUES ({', '.join('?' * len(ATTRIBUTION_COLUMNS))}, ?, ?, ?, ?, ?, ?)"
)
_UPDATE = (
    "UPDATE installs SET "
    + ", ".join(f"{c} = ?" for c in ATTRIBUTION_COLUMNS)
    + ", source = ?, updated_at = ?, event_id = ?,"
    " status = CASE WHEN fingerprint = ? THEN status"
    "  WHEN ? IS NULL THEN 'waiting_id'"
    "  WHEN delivered_fingerprint = ? THEN 'delivered'"
    "  WHEN status = 'unmatched' THEN 'unmatched'"  # maybe delivered: never silently re-sent
    "  WHEN delivered_fingerprint IS NOT NULL THEN 'changed'"
    "  ELSE 'queued' END,"
    # what CleverTap holds, for old-vs-new (NULL: the row itself; see store.versions)
    " delivered_values = CASE WHEN delivered_fingerprint = ? THEN NULL"
    f"  WHEN delivered_fingerprint = fingerprint THEN {EVENT_VALUES_SQL}"
    "  ELSE delivered_values END,"
    " fingerprint = ?"
    " WHERE user_id = ?"
)
# Before a user in a request changes: keep the version sent (see SyncStore.record).
_KEEP_SENT = (
    f"UPDATE inflight SET sent_values = (SELECT {EVENT_VALUES_SQL} FROM installs "
    "WHERE rowid = inflight.install_rowid) "
    "WHERE sent_values IS NULL AND install_rowid IN "
    "(SELECT rowid FROM installs WHERE user_id IN (SELECT value FROM json_each(?))) "
    "AND fingerprint = (SELECT fingerprint FROM installs WHERE rowid = inflight.install_rowid)"
)


def _merge(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    """`new`, with every None (missing column, empty cell) keeping the known value."""
    merged = tuple(o if n is None else n for n, o in zip(new, old, strict=True))
    if not merged[_PF_INDEX] and old[_PF_INDEX]:  # "" is an unknown platform
        merged = (*merged[:_PF_INDEX], old[_PF_INDEX], *merged[_PF_INDEX + 1 :])
    return merged


def _existing(conn: sqlite3.Connection, user_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    for i in range(0, len(user_ids), _CHUNK):
        part = user_ids[i : i + _CHUNK]
        sql = f"SELECT {_COLS} FROM installs WHERE user_id IN ({', '.join('?' * len(part))})"
        for row in conn.execute(sql, part):
            found[row[0]] = row
    return found


def upsert_attributions(
    conn: sqlite3.Connection,
    items: Iterable[Attribution],
    *,
    source: str,
    now: int | None = None,
) -> UpsertCounts:
    """Merge users into the queue. Call inside `transaction()`; later duplicates win."""
    latest: dict[str, Attribution] = {}
    for item in items:
        latest[item.user_id] = item
    if not latest:
        return UpsertCounts()
    now = int(time.time()) if now is None else now
    existing = _existing(conn, list(latest))
    counts = UpsertCounts()
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for uid, item in latest.items():
        old = existing.get(uid)
        values = attribution_values(item)
        if old is None:
            fp = fingerprint(item)
            sendable = item.clevertap_id if item.platform else None  # None: it waits
            status = _QUEUED if sendable else _WAITING
            inserts.append((*values, fp, event_id(uid, fp), source, now, now, status))
            counts.imported += 1
            continue
        if None in values or not values[_PF_INDEX]:
            values = _merge(old, values)
        if tuple(old) == values:
            counts.unchanged += 1
            continue
        fp = fingerprint(dict(zip(ATTRIBUTION_COLUMNS, values, strict=True)))
        sendable = values[_CT_INDEX] if values[_PF_INDEX] else None  # None: it waits
        updates.append((*values, source, now, event_id(uid, fp), fp, sendable, fp, fp, fp, uid))
        counts.updated += 1
    if inserts:
        conn.executemany(_INSERT, inserts)
    if updates:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM inflight)").fetchone()[0]:
            conn.execute(_KEEP_SENT, (json.dumps([u[-1] for u in updates]),))
        conn.executemany(_UPDATE, updates)
    return counts


@dataclass
class MappingCounts:
    matched: int = 0  # users whose CleverTap ID was set or changed
    unchanged: int = 0  # users that already had this CleverTap ID
    unknown: int = 0  # user ids not in the queue (kept nowhere; import them first)


def assign_clevertap_ids(
    conn: sqlite3.Connection,
    pairs: Iterable[tuple[str, str]],
    *,
    source: str = "mapping",
    platforms: dict[str, str] | None = None,
) -> MappingCounts:
    """Set CleverTap IDs of known users (from a `user_id,clevertap_id` mapping), and the
    platform of those whose platform is unknown (`platforms`). Call in a transaction."""
    wanted = dict(pairs)
    platforms = platforms or {}
    counts = MappingCounts()
    existing = _existing(conn, list(wanted))
    changed: list[Attribution] = []
    for uid, ct_id in wanted.items():
        old = existing.get(uid)
        if old is None:
            counts.unknown += 1
            continue
        current = Attribution(**dict(zip(ATTRIBUTION_COLUMNS, old, strict=True)))
        platform = current.platform or platforms.get(uid) or current.platform
        if current.clevertap_id == ct_id and current.platform == platform:
            counts.unchanged += 1
        else:
            changed.append(replace(current, clevertap_id=ct_id, platform=platform))
            counts.matched += 1
    upsert_attributions(conn, changed, source=source)
    return counts
