"""The engine's reading side: which events are due next, and their upload records built
by SQLite (`UploadClaim`), on a second connection of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lr_desktop.clevertap.payloads import RecordBatch
from lr_desktop.clevertap.payloads_sql import EVENT_RECORD, PLAIN_ROW
from lr_desktop.store import connect
from lr_desktop.sync.due import HAS_ID, SELECT, SELECT_NAMES, Due


@dataclass(frozen=True)
class UploadClaim:
    """Events claimed for one upload request.

    `plain_ids` are the events whose records SQLite built (`plain_records`: that many
    comma-separated JSON records, in the same order; `plain_event_ids`: a JSON array of
    their event ids); `other_rows` are claimed rows to build and pre-check in Python.
    `had_errors`: some carry an earlier error to clear.
    """

    plain_ids: list[int]
    plain_records: str
    other_rows: list[dict[str, Any]]
    had_errors: bool
    pairs: str = "[]"  # JSON [[rowid, fingerprint], ...] of every event in it
    plain_event_ids: str = ""  # "": not known (rejects are then mapped by parsing records)

    def batch(self, other_records: Sequence[dict[str, Any]] = ()) -> RecordBatch:
        """The request's records: the SQL-built ones, then `other_records`."""
        return RecordBatch(
            other_records,
            json_records=self.plain_records,
            json_count=len(self.plain_ids),
            json_event_ids=self.plain_event_ids,
        )

    def __len__(self) -> int:
        return len(self.plain_ids) + len(self.other_rows)

    def only(self, rowids: set[int]) -> UploadClaim:
        """The part of this claim whose events are in `rowids`."""
        keep = [i for i, rowid in enumerate(self.plain_ids) if rowid in rowids]
        records = self.batch()
        event_ids = json.loads(self.plain_event_ids) if self.plain_event_ids else None
        return UploadClaim(
            [self.plain_ids[i] for i in keep],
            ",".join(json.dumps(records[i], ensure_ascii=False) for i in keep),
            [r for r in self.other_rows if r["rowid"] in rowids],
            self.had_errors,
            json.dumps([p for p in json.loads(self.pairs) if p[0] in rowids]),
            json.dumps([event_ids[i] for i in keep]) if event_ids is not None else "",
        )


NO_CLAIM = UploadClaim([], "", [], False)


class SyncReader:
    """A second connection, on its own thread: finds what is due and builds the upload
    records while the writer records results (WAL: readers never wait for the writer)."""

    def __init__(self, path: Path | str) -> None:
        self.conn = connect(path, check_same_thread=False)

    def close(self) -> None:
        self.conn.close()

    def due_rowids(self, due: Due, after: int, limit: int) -> list[int]:
        """The next due rowids after `after`, in rowid order.

        One query per status: the status index then yields rowids already in order, so
        each batch costs O(limit) whether 1 or 1,000,000 events are due (a single
        `status IN (...)` query makes SQLite sort every remaining due row per batch).
        """
        ids: list[int] = []
        for status in due.statuses:
            # group_concat: one row back instead of `limit` (each row fetched from SQLite
            # is a GIL hand-off with the event loop thread)
            (found,) = self.conn.execute(
                "SELECT group_concat(rowid) FROM (SELECT rowid FROM installs WHERE status = ? "
                f"AND rowid > ? AND {HAS_ID} ORDER BY rowid LIMIT ?)",
                (status, after, limit),
            ).fetchone()
            if found:
                ids += map(int, found.split(","))
        if len(due.statuses) > 1:
            ids.sort()
        return ids[:limit]

    def prepare_upload(
        self, rowids: Sequence[int], due: Due, event_names: tuple[str, str] | None
    ) -> UploadClaim:
        """The records of these events if they are still due; `SyncStore.claim_prepared`
        then claims those whose fingerprint is still the one the records were built from.
        SQLite builds the records of plain rows when `event_names` (organic, inorganic)
        are given; other rows come back as rows for Python."""
        rows = "SELECT value FROM json_each(:ids)"
        return self._upload(rows, -1, due, event_names, {"ids": json.dumps(list(rowids))})[1]

    def next_upload(
        self, due: Due, after: int, limit: int, event_names: tuple[str, str] | None
    ) -> tuple[int, UploadClaim]:
        """`prepare_upload` of the next `limit` due events after rowid `after`, found in the
        same statement (`due_rowids`' per-status index walks); with the last rowid read
        (0: nothing is due after `after`)."""
        walks = " UNION ALL ".join(
            f"SELECT rowid FROM (SELECT rowid FROM installs WHERE status = '{status}' "
            f"AND rowid > :after AND {HAS_ID} ORDER BY rowid LIMIT :limit)"
            for status in due.statuses
        )
        return self._upload(walks, limit, due, event_names, {"after": after, "limit": limit})

    def _upload(
        self,
        rows: str,
        limit: int,
        due: Due,
        event_names: tuple[str, str] | None,
        params: dict[str, Any],
    ) -> tuple[int, UploadClaim]:
        organic, inorganic = event_names or ("", "")
        plain = PLAIN_ROW if event_names else "0"
        last, plain_ids, records, event_ids, others, errors, pairs = self.conn.execute(
            "SELECT max(rowid), group_concat(rowid) FILTER (WHERE plain), "
            f"group_concat({EVENT_RECORD}, ',') FILTER (WHERE plain), "
            "json_group_array(event_id) FILTER (WHERE plain), "
            f"json_group_array(json_array({SELECT})) FILTER (WHERE NOT plain), "
            "count(*) FILTER (WHERE last_code IS NOT NULL OR last_error IS NOT NULL), "
            "json_group_array(json_array(rowid, fingerprint)) "
            f"FROM (SELECT {SELECT}, last_code, last_error, ({plain}) AS plain "
            f"FROM installs NOT INDEXED WHERE rowid IN ({rows}) "
            f"AND {due.sql} ORDER BY rowid LIMIT {int(limit)})",  # LIMIT: not flattened, `plain` once
            {**params, "organic_event": organic, "inorganic_event": inorganic},
        ).fetchone()
        return last or 0, UploadClaim(
            [int(x) for x in plain_ids.split(",")] if plain_ids else [],
            records or "",
            [dict(zip(SELECT_NAMES, r, strict=True)) for r in json.loads(others)],
            bool(errors),
            pairs,
            event_ids,
        )
