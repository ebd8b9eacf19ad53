"""Importing a `user_id,clevertap_id` CSV: known users get their CleverTap ID, and those
waiting for one move to the queue. An optional `platform` column (android or ios) gives
the platform of users Linkrunner's answer did not name one for (linkrunner/derive.py);
it never changes a platform Linkrunner named."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lr_desktop.clevertap.rules import identifier_problem
from lr_desktop.errors import UserFixableError
from lr_desktop.linkrunner.derive import NO_PLATFORM_REASON
from lr_desktop.model import PLATFORMS
from lr_desktop.store import connect, runs, transaction
from lr_desktop.store.queue import MappingCounts, assign_clevertap_ids

CHUNK = 5000  # pairs per transaction
MAX_REASONS = 1000  # rejected rows kept in the report (all are counted)


class MappingFileError(ValueError, UserFixableError):
    """The file cannot be read as a mapping; nothing was changed."""


@dataclass
class MappingReport:
    rows: int = 0  # data rows read (header not counted)
    matched: int = 0  # users whose CleverTap ID was set or changed
    unchanged: int = 0  # users that already had this CleverTap ID
    unknown: int = 0  # user ids not in the queue
    rejected: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)  # (file row, reason)
    run_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            yield from enumerate(csv.reader(fh), start=1)
    except UnicodeDecodeError:
        raise MappingFileError(f"{path.name} is not UTF-8 text; save it as CSV (UTF-8)") from None
    except csv.Error as exc:
        raise MappingFileError(f"{path.name} is not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise MappingFileError(f"{path.name} cannot be read: {exc.strerror or exc}") from None


def read_pairs(path: Path, report: MappingReport) -> Iterator[tuple[str, str, str | None]]:
    """Valid (user_id, clevertap_id, platform or None) rows; rejected rows go to `report`."""
    rows = _rows(path)
    header: list[str] | None = None
    for _n, row in rows:
        if any(cell.strip() for cell in row):
            header = [cell.strip().lower() for cell in row]
            break
    if header is None or "user_id" not in header or "clevertap_id" not in header:
        raise MappingFileError(
            "The first line must be the header user_id,clevertap_id (in any order)"
        )
    ui, ci = header.index("user_id"), header.index("clevertap_id")
    pi = header.index("platform") if "platform" in header else None
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        report.rows += 1
        uid = row[ui].strip() if ui < len(row) else ""
        ct = row[ci].strip() if ci < len(row) else ""
        raw_platform = row[pi].strip().lower() if pi is not None and pi < len(row) else ""
        platform = raw_platform if raw_platform in PLATFORMS else None
        problem = "user_id is missing" if not uid else identifier_problem(ct)
        if not problem and raw_platform and platform is None:
            problem = f"platform '{raw_platform[:20]}' is not android or ios"
        if problem:
            report.rejected += 1
            if len(report.rejections) < MAX_REASONS:
                report.rejections.append((number, problem))
            continue
        yield uid, ct, platform


def import_id_mapping(db_path: Path | str, path: Path | str) -> MappingReport:
    """Apply a mapping file in chunked transactions; recorded in `runs` (kind "import")."""
    path = Path(path)
    report = MappingReport()
    conn = connect(db_path)
    try:
        with transaction(conn):
            report.run_id = runs.start_run(conn, "import", "mapping")
        state, error = "finished", None
        try:
            chunk: list[tuple[str, str, str | None]] = []
            for pair in read_pairs(path, report):
                chunk.append(pair)
                if len(chunk) >= CHUNK:
                    _apply(conn, chunk, report)
                    chunk = []
            if chunk:
                _apply(conn, chunk, report)
        except BaseException as exc:
            state, error = "stopped", str(exc)
            raise
        finally:
            detail = {"file": path.name, **report.to_dict()}
            detail["rejections"] = report.rejections[:100]
            with transaction(conn):
                runs.record_run(
                    conn,
                    report.run_id,
                    state,
                    total=report.rows,
                    rejected=report.rejected,
                    error=error,
                    detail=detail,
                )
    finally:
        conn.close()
    return report


def _apply(
    conn: sqlite3.Connection, chunk: list[tuple[str, str, str | None]], report: MappingReport
) -> None:
    pairs = [(uid, ct) for uid, ct, _p in chunk]
    platforms = {uid: p for uid, _ct, p in chunk if p}
    with transaction(conn):
        counts: MappingCounts = assign_clevertap_ids(
            conn, pairs, source="mapping", platforms=platforms
        )
        if platforms:  # the reason they waited no longer holds
            conn.executemany(
                "UPDATE installs SET last_error = NULL WHERE user_id = ? AND platform != '' "
                "AND last_error = ?",
                [(uid, NO_PLATFORM_REASON) for uid in platforms],
            )
    report.matched += counts.matched
    report.unchanged += counts.unchanged
    report.unknown += counts.unknown
