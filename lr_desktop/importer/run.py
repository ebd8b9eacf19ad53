"""Importing files into the queue: read, map, write in chunked transactions, report.

Each chunk of CHUNK good rows is one transaction through `store.queue.upsert_attributions`,
so a crash leaves whole rows only and importing again is idempotent. A user appearing
twice in one file: the later row wins (and a warning names both rows). One import runs
at a time per database (`importer.lock`): a second one waits, so each file wins whole.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from lr_desktop import csvsafe, fieldrules
from lr_desktop.errors import explain
from lr_desktop.fieldmap import RowProblem
from lr_desktop.importer import lock as import_lock
from lr_desktop.importer.readers import UNITS, RecordStream, Unusable, open_records
from lr_desktop.model import Attribution
from lr_desktop.store import StoreError, connect, runs, transaction
from lr_desktop.store.bulk import bulk_load
from lr_desktop.store.queue import upsert_attributions

CHUNK = 5_000  # good rows per transaction
PROGRESS_EVERY = 0.2  # seconds between progress reports (at most ~5 a second)
MAX_DUPLICATE_WARNINGS = 20
_IN = 500  # user ids per IN (...) lookup


class Rejection(NamedTuple):
    """A row that was not imported. `row` is the number in `report.units[file]` terms."""

    file: str
    row: int
    user_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ImportProgress:
    file: str
    rows_read: int
    bytes_read: int
    bytes_total: int
    imported: int
    updated: int
    unchanged: int
    rejected: int


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    read: int = 0  # records read (blank lines not counted)
    duplicates: int = 0  # rows whose user appeared earlier in the same file
    rejections: list[Rejection] = field(default_factory=list)  # the first N; all are counted
    warnings: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)
    cancelled: bool = False
    units: dict[str, str] = field(default_factory=dict)  # file -> "row" | "record" | "line"
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        """0: all good; 1: some rows rejected; 2: a file (or part of it) could not be read."""
        if self.unusable:
            return 2
        return 1 if self.rejected else 0

    def where(self, rejection: Rejection) -> str:
        """'orders.csv row 7', 'users.json record 3', 'users.jsonl line 12'."""
        unit = self.units.get(rejection.file, "row")
        return f"{Path(rejection.file).name} {unit} {rejection.row}"

    def to_dict(self, max_rejections: int | None = None) -> dict[str, Any]:
        shown = self.rejections if max_rejections is None else self.rejections[:max_rejections]
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "read": self.read,
            "duplicates": self.duplicates,
            "cancelled": self.cancelled,
            "exit_code": self.exit_code,
            "warnings": self.warnings,
            "unusable": self.unusable,
            "rejections": [{**r._asdict(), "unit": self.units.get(r.file, "row")} for r in shown],
        }


def write_rejections_csv(report: ImportReport, path: Path | str) -> int:
    """Save the kept rejections as a spreadsheet-safe CSV; returns rows written."""
    rows = (
        (r.file, report.units.get(r.file, "row"), r.row, r.user_id or "", r.reason)
        for r in report.rejections
    )
    return csvsafe.write_csv(path, ("file", "unit", "row", "user_id", "reason"), rows)


def import_files(
    db_path: Path,
    paths: Sequence[Path],
    *,
    source: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    cancel: threading.Event | None = None,
    max_kept_rejections: int = 10_000,
    waiting: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import Linkrunner export files (CSV, JSON array, JSON Lines) into the queue at db_path.

    `source` labels the rows (default: each file's name). While another import holds
    the database, this one waits and calls `waiting` once with a message to show.
    Raises StoreError for database trouble; every problem with the files themselves
    ends up in the report.
    """
    report = ImportReport()
    conn = connect(db_path)
    try:
        lock = import_lock.lock_for(db_path)
        try:
            got = import_lock.acquire(lock, waiting=waiting, cancel=cancel)
        except OSError as exc:  # the lock file sits next to the database
            raise StoreError(
                f"Cannot start an import into the database ({db_path}): "
                f"{exc.strerror or exc}; nothing was changed."
            ) from exc
        if not got:
            report.cancelled = True
            return report
        try:
            _import_locked(
                conn, Path(db_path), paths, report, source, progress, cancel, max_kept_rejections
            )
        finally:
            lock.release()
    finally:
        conn.close()
    return report


def _import_locked(
    conn: sqlite3.Connection,
    db_path: Path,
    paths: Sequence[Path],
    report: ImportReport,
    source: str | None,
    progress: Callable[[ImportProgress], None] | None,
    cancel: threading.Event | None,
    max_kept_rejections: int,
) -> None:
    try:
        import_lock.end_dead_runs(conn)  # we hold the lock: a 'running' import is dead
        conn.execute("PRAGMA cache_size = -32768")  # 32 MB: index pages stay cached
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_seen"
            " (user_id TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID"
        )
        with transaction(conn):
            report.run_id = runs.start_run(conn, "import", "file")
        state, error = "finished", None
        try:
            with bulk_load(conn, db_path, _expected_rows(paths)):
                _import_each(conn, paths, report, source, progress, cancel, max_kept_rejections)
            if report.cancelled:
                state = "cancelled"
        except BaseException as exc:
            state, error = "stopped", str(exc) or type(exc).__name__
            raise
        finally:
            _finish_run(conn, report, state, error, paths)
    except sqlite3.Error as exc:
        raise explain(exc, db_path)  # noqa: B904 - a StoreError carries exc as its cause


_BYTES_PER_ROW = 200  # a typical Linkrunner export row, to size bulk loads up front


def _expected_rows(paths: Sequence[Path]) -> int:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):
            total += Path(p).stat().st_size
    return total // _BYTES_PER_ROW


def _import_each(
    conn: sqlite3.Connection,
    paths: Sequence[Path],
    report: ImportReport,
    source: str | None,
    progress: Callable[[ImportProgress], None] | None,
    cancel: threading.Event | None,
    max_kept_rejections: int,
) -> None:
    for path in paths:
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            return
        _FileImport(conn, Path(path), report, source, progress, cancel, max_kept_rejections).run()
        if report.cancelled:
            return


def _finish_run(
    conn: sqlite3.Connection,
    report: ImportReport,
    state: str,
    error: str | None,
    paths: Sequence[Path],
) -> None:
    detail = {"files": [Path(p).name for p in paths], **report.to_dict(max_rejections=100)}
    try:
        with transaction(conn):
            runs.record_run(
                conn, report.run_id or 0, state, total=report.read, rejected=report.rejected,
                error=error, detail=detail,
            )
    except sqlite3.Error:
        if state != "stopped":
            raise


class _FileImport:
    """One file: stream records, map them, write chunks, keep the report current."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        report: ImportReport,
        source: str | None,
        progress: Callable[[ImportProgress], None] | None,
        cancel: threading.Event | None,
        max_kept: int,
    ) -> None:
        self.conn = conn
        self.path = path
        self.file = str(path)
        self.report = report
        self.source = source or path.name
        self.progress = progress
        self.cancel = cancel
        self.max_kept = max_kept
        self.pending: dict[str, tuple[int, Attribution]] = {}
        self.first_row = 0  # row number of the first pending row
        self.rows_read = 0
        self.duplicates = 0
        self.bytes_total = 0
        self.stream: RecordStream | None = None
        self.read_to_end = False  # the last progress then says 100%
        self.future_after = int(time.time())  # installs after this get a warning
        self.future: list[int] = []  # row numbers of the first few
        self.future_count = 0

    def run(self) -> None:
        report = self.report
        try:
            self.bytes_total = self.path.stat().st_size
        except OSError:
            self.bytes_total = 0
        try:
            with open_records(self.path) as stream:
                self.stream = stream
                report.units[self.file] = stream.unit
                self.conn.execute("DELETE FROM temp.import_seen")
                try:
                    self._read(stream)
                    self.read_to_end = not report.cancelled
                finally:
                    self._flush()
                    report.read += self.rows_read
                    report.warnings.extend(f"{self.path.name}: {w}" for w in stream.warnings)
                    self._duplicate_summary()
                    self._future_summary()
                    self._report_progress()
        except Unusable as exc:
            report.units.setdefault(self.file, UNITS.get(self.path.suffix.lower()[1:], "row"))
            report.unusable.append(f"{self.path.name}: {exc}")

    def _read(self, stream: RecordStream) -> None:
        report = self.report
        pending = self.pending
        cancel = self.cancel
        tick = time.monotonic() + PROGRESS_EVERY
        for number, record in stream.records:
            self.rows_read += 1
            try:
                if isinstance(record, RowProblem):
                    raise record
                item = stream.map_record(record)  # the CSV's own, compiled from its header
            except RowProblem as problem:
                self._reject(number, record, problem.reason)
            else:
                if not pending:
                    self.first_row = number
                if item.installed_at > self.future_after:
                    self._future(number)
                uid = item.user_id
                earlier = pending.get(uid)
                if earlier is not None:
                    self._duplicate(uid, earlier[0], number)
                    del pending[uid]  # keep file order: the later row is written last
                pending[uid] = (number, item)
                if len(pending) >= CHUNK:
                    self._flush()
            if not self.rows_read & 1023:
                now = time.monotonic()
                if now >= tick:
                    tick = now + PROGRESS_EVERY
                    self._report_progress()
                if cancel is not None and cancel.is_set():
                    report.cancelled = True
                    return

    def _reject(self, number: int, record: Any, reason: str) -> None:
        report = self.report
        report.rejected += 1
        if len(report.rejections) < self.max_kept:
            report.rejections.append(Rejection(self.file, number, _user_id(record), reason))

    def _duplicate(self, uid: str, first: int, later: int) -> None:
        self.duplicates += 1
        self.report.duplicates += 1
        if self.duplicates <= MAX_DUPLICATE_WARNINGS:
            unit = self.report.units.get(self.file, "row")
            self.report.warnings.append(
                f"{self.path.name}: user {uid} appears in {unit} {first} and again in {unit} "
                f"{later}; the later {unit} wins"
            )

    def _flush(self) -> None:
        if not self.pending:
            return
        chunk = dict(self.pending)
        self.pending.clear()  # in place: _read holds it
        conn = self.conn
        with transaction(conn):
            self._cross_chunk_duplicates(chunk)
            counts = upsert_attributions(
                conn, [item for _, item in chunk.values()], source=self.source
            )
        report = self.report
        report.imported += counts.imported
        report.updated += counts.updated
        report.unchanged += counts.unchanged

    def _cross_chunk_duplicates(self, pending: dict[str, tuple[int, Attribution]]) -> None:
        """Remember this chunk's users; warn about those already seen in an earlier chunk."""
        conn = self.conn
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO temp.import_seen (user_id, row) VALUES (?, ?)",
            ((uid, number) for uid, (number, _) in pending.items()),
        )
        if conn.total_changes - before == len(pending):
            return  # every user is new in this file: the usual case
        uids = list(pending)
        for i in range(0, len(uids), _IN):
            part = uids[i : i + _IN]
            sql = (
                "SELECT user_id, row FROM temp.import_seen WHERE row < ? AND user_id IN "
                f"({', '.join('?' * len(part))})"
            )
            for uid, first in conn.execute(sql, (self.first_row, *part)):
                self._duplicate(uid, first, pending[uid][0])

    def _future(self, number: int) -> None:
        self.future_count += 1
        if len(self.future) < 10:
            self.future.append(number)

    def _future_summary(self) -> None:
        if not self.future_count:
            return
        unit = self.report.units.get(self.file, "row")
        rows = ", ".join(str(n) for n in self.future)
        more = ", ..." if self.future_count > len(self.future) else ""
        grace = fieldrules.FUTURE_GRACE // 3600
        one = self.future_count == 1
        self.report.warnings.append(
            f"{self.path.name}: {self.future_count:,} {unit}{'' if one else 's'} "
            f"{'has' if one else 'have'} an install time in the future ({unit}"
            f"{'' if one else 's'} {rows}{more}); imported, but check the clock or time zone of "
            f"the export (times up to {grace} hours ahead are accepted, later ones refused)"
        )

    def _duplicate_summary(self) -> None:
        if self.duplicates > MAX_DUPLICATE_WARNINGS:
            self.report.warnings.append(
                f"{self.path.name}: {self.duplicates:,} rows repeat a user seen earlier in the "
                f"file (the first {MAX_DUPLICATE_WARNINGS} are listed above); the later row wins"
            )

    def _report_progress(self) -> None:
        if self.progress is None:
            return
        r = self.report
        read = self.stream.bytes_read() if self.stream is not None else 0
        if self.read_to_end:
            read = self.bytes_total
        self.progress(
            ImportProgress(
                self.file,
                self.rows_read,
                min(read, self.bytes_total) if self.bytes_total else read,
                self.bytes_total,
                r.imported,
                r.updated,
                r.unchanged,
                r.rejected,
            )
        )


def _user_id(record: Any) -> str | None:
    """Best-effort user id of a rejected record, printable."""
    if not isinstance(record, dict):
        return None
    value = record.get("user_id") or record.get("user_data.id") or record.get("user_data_id")
    if value is None and isinstance(record.get("user_data"), dict):
        value = record["user_data"].get("id")
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()[:200]
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text or None
