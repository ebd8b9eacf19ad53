"""The database side of a CleverTap check: checks, segments, committed pages, records.

Each page of CleverTap's records is committed in one transaction together with the
cursor of the next page, so a killed check resumes from the last committed page. A
cursor may have expired by then: the query starts again and the pages already held
are skipped when their digest matches (`page_digest`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lr_desktop.clevertap.reads import parse_ts, record_profile
from lr_desktop.store import transaction

SEGMENT_DAYS = 31  # one Get Events query covers at most this many days


@dataclass
class Segment:
    id: int
    event_name: str
    from_day: int  # YYYYMMDD
    to_day: int
    cursor: str | None  # the next page's cursor (None: start the query)
    at_page: int  # the page number `cursor` leads from (the next page is at_page + 1)
    pages: int  # pages held
    records: int
    done: bool


def day_number(d: date) -> int:
    return int(d.strftime("%Y%m%d"))


def day_start(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def page_digest(body: str, next_cursor: str | None) -> str:
    """A digest of a page's answer without its next cursor (new on every query)."""
    text = body.replace(next_cursor, "") if next_cursor else body
    return hashlib.sha256(text.encode()).hexdigest()


def install_range(conn: sqlite3.Connection) -> tuple[date, date] | None:
    """The UTC dates of the first and last local install (None: no installs)."""
    lo, hi = conn.execute("SELECT min(installed_at), max(installed_at) FROM installs").fetchone()
    if lo is None:
        return None
    return datetime.fromtimestamp(lo, UTC).date(), datetime.fromtimestamp(hi, UTC).date()


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Each record is matched to a user as it is stored, by the rules of `verdicts` (its
# lr_event_id, else its user_id, else its profile's CleverTap ID), so the judge after the
# download does not rewrite every record. An lr_event_id is looked up in the temp table
# `ct_ids` (`CheckStore.prepare_matching`: installs has no index on event_id).
_BY_EVENT = "(SELECT user_id FROM temp.ct_ids WHERE event_id = ?6)"
_BY_USER = "(SELECT user_id FROM installs WHERE user_id = ?7)"
_BY_PROFILE = "(SELECT user_id FROM installs WHERE clevertap_id = ?5 ORDER BY rowid LIMIT 1)"
_INSERT_RECORD = (
    "INSERT INTO ct_records (check_id, segment_id, page_no, event_name, object_id, "
    "lr_event_id, user_id, ts, props, matched, matched_by) VALUES "
    f"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce({_BY_EVENT}, {_BY_USER}, {_BY_PROFILE}), "
    f"CASE WHEN {_BY_EVENT} IS NOT NULL THEN 'lr_event_id' "
    f"WHEN {_BY_USER} IS NOT NULL THEN 'user_id' "
    f"WHEN {_BY_PROFILE} IS NOT NULL THEN 'objectId' END)"
)


def _record_row(check_id: int, seg: Segment, page_no: int, rec: dict[str, Any]) -> tuple[Any, ...]:
    """One ct_records row. Plain Python on purpose: per record it is a few dict look-ups
    and one small JSON encoding (SQLite's JSON functions took 5x longer in 3.40)."""
    props = rec.get("event_props")
    props = props if isinstance(props, dict) else {}
    eid, uid = props.get("lr_event_id"), props.get("user_id")
    return (
        check_id,
        seg.id,
        page_no,
        seg.event_name,
        record_profile(rec),
        None if eid is None else str(eid),
        None if uid is None else str(uid),
        parse_ts(rec.get("ts")),
        _dumps(props),
    )


class CheckStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- checks ------------------------------------------------------------------------

    def unfinished(self) -> tuple[int, str, str] | None:
        """The latest check that did not finish: (id, since, until)."""
        row = self.conn.execute(
            "SELECT id, since, until FROM ct_checks WHERE state != 'finished' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), row[1], row[2])

    def start_check(self, since: date, until: date, event_names: Sequence[str], run_id: int) -> int:
        """A new check with its segments; forgets any other unfinished check."""
        with transaction(self.conn):
            for (old,) in self.conn.execute(
                "SELECT id FROM ct_checks WHERE state != 'finished'"
            ).fetchall():
                self._forget(old)
            cur = self.conn.execute(
                "INSERT INTO ct_checks (run_id, since, until, state, started_at) "
                "VALUES (?, ?, ?, 'running', ?)",
                (run_id, since.isoformat(), until.isoformat(), time.time()),
            )
            check_id = int(cur.lastrowid or 0)
            # One day either side: CleverTap selects on its account's time zone (unknown here).
            first, last = since - timedelta(days=1), until + timedelta(days=1)
            while first <= last:
                end = min(last, first + timedelta(days=SEGMENT_DAYS - 1))
                for name in event_names:
                    self.conn.execute(
                        "INSERT INTO ct_segments (check_id, event_name, from_day, to_day) "
                        "VALUES (?, ?, ?, ?)",
                        (check_id, name, day_number(first), day_number(end)),
                    )
                first = end + timedelta(days=1)
        return check_id

    def set_check_state(self, check_id: int, state: str, run_id: int | None = None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE ct_checks SET state = ?, run_id = coalesce(?, run_id) WHERE id = ?",
                (state, run_id, check_id),
            )

    def _forget(self, check_id: int) -> None:
        """Drop a check's downloaded data (inside a transaction)."""
        c = self.conn
        c.execute(
            "DELETE FROM ct_pages WHERE segment_id IN "
            "(SELECT id FROM ct_segments WHERE check_id = ?)",
            (check_id,),
        )
        c.execute("DELETE FROM ct_records WHERE check_id = ?", (check_id,))
        c.execute("DELETE FROM ct_segments WHERE check_id = ?", (check_id,))
        c.execute("DELETE FROM ct_verdicts WHERE check_id = ?", (check_id,))
        c.execute("DELETE FROM ct_checks WHERE id = ?", (check_id,))

    def forget_older(self, check_id: int) -> None:
        """Keep only this check's data (inside a transaction)."""
        for (old,) in self.conn.execute(
            "SELECT id FROM ct_checks WHERE id != ?", (check_id,)
        ).fetchall():
            self._forget(old)

    def prepare_matching(self) -> None:
        """Fill `temp.ct_ids` (each install's event_id -> user_id) for this connection's
        page commits and judge; call before the first page."""
        c = self.conn
        c.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ct_ids "
            "(event_id TEXT PRIMARY KEY, user_id TEXT) WITHOUT ROWID"
        )
        c.execute("DELETE FROM temp.ct_ids")  # temp tables only: no write lock on the file
        c.execute(
            "INSERT OR IGNORE INTO temp.ct_ids SELECT event_id, user_id FROM installs "
            "WHERE event_id IS NOT NULL ORDER BY event_id"
        )

    # -- segments and pages --------------------------------------------------------------

    def segments(self, check_id: int) -> list[Segment]:
        return [
            Segment(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))
            for r in self.conn.execute(
                "SELECT id, event_name, from_day, to_day, cursor, at_page, pages, records, done "
                "FROM ct_segments WHERE check_id = ? ORDER BY id",
                (check_id,),
            )
        ]

    def stored_digest(self, segment_id: int, page_no: int) -> str | None:
        row = self.conn.execute(
            "SELECT digest FROM ct_pages WHERE segment_id = ? AND page_no = ?",
            (segment_id, page_no),
        ).fetchone()
        return None if row is None else row[0]

    def commit_page(
        self,
        check_id: int,
        seg: Segment,
        page_no: int,
        records: Sequence[dict[str, Any]],
        digest: str,
        next_cursor: str | None,
    ) -> int:
        """Store one page of records with the next page's cursor, as one transaction;
        returns how many it held. Pages from `page_no` on that an earlier download holds
        are replaced. Needs `prepare_matching` first."""
        rows = [_record_row(check_id, seg, page_no, r) for r in records]
        with transaction(self.conn):
            self._drop_pages_from(seg.id, page_no)
            self.conn.executemany(_INSERT_RECORD, rows)
            self.conn.execute(
                "INSERT INTO ct_pages (segment_id, page_no, records, digest) VALUES (?, ?, ?, ?)",
                (seg.id, page_no, len(rows), digest),
            )
            self._advance(seg, page_no, next_cursor)
        return len(rows)

    def skip_page(self, seg: Segment, page_no: int, next_cursor: str | None) -> None:
        """A page already held (same digest) came again: only move the cursor on."""
        with transaction(self.conn):
            if next_cursor is None:
                self._drop_pages_from(seg.id, page_no + 1)
            self._advance(seg, page_no, next_cursor)

    def _drop_pages_from(self, segment_id: int, page_no: int) -> None:
        """Forget the segment's pages from `page_no` on (a scan of the records: only a
        restarted query whose pages differ from those held gets here with any)."""
        held = self.conn.execute(
            "SELECT 1 FROM ct_pages WHERE segment_id = ? AND page_no >= ? LIMIT 1",
            (segment_id, page_no),
        ).fetchone()
        if held is None:
            return
        self.conn.execute(
            "DELETE FROM ct_records WHERE segment_id = ? AND page_no >= ?", (segment_id, page_no)
        )
        self.conn.execute(
            "DELETE FROM ct_pages WHERE segment_id = ? AND page_no >= ?", (segment_id, page_no)
        )

    def _advance(self, seg: Segment, page_no: int, next_cursor: str | None) -> None:
        pages, held = self.conn.execute(
            "SELECT count(*), coalesce(sum(records), 0) FROM ct_pages WHERE segment_id = ?",
            (seg.id,),
        ).fetchone()
        done = next_cursor is None
        self.conn.execute(
            "UPDATE ct_segments SET cursor = ?, at_page = ?, pages = ?, records = ?, done = ? "
            "WHERE id = ?",
            (next_cursor, page_no, pages, held, int(done), seg.id),
        )
        seg.cursor, seg.at_page, seg.pages, seg.records, seg.done = (
            next_cursor,
            page_no,
            pages,
            held,
            done,
        )
