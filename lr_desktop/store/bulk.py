"""Bulk loading: a large import into a comparatively small table drops the secondary
indexes and rebuilds them once at the end, which costs about half of keeping them
current row by row.

While a bulk load runs it holds `<db>.bulk.lock`; `ensure_indexes` (called on every
open) re-creates missing indexes only when it can take that lock, so an import that
crashed mid-way heals on the next open, and a window opened during an import does not
rebuild indexes under the importer's feet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from lr_desktop.store.schema import INDEXED_COLUMNS

MIN_BULK_ROWS = 50_000  # below this, keeping indexes current is cheap enough


def _lock(db_path: Path | str) -> FileLock:
    return FileLock(str(db_path) + ".bulk.lock")


def _index_name(column: str) -> str:
    return f"idx_installs_{column}"


def missing_indexes(conn: sqlite3.Connection) -> list[str]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [c for c in INDEXED_COLUMNS if _index_name(c) not in present]


def create_indexes(conn: sqlite3.Connection, columns: list[str]) -> None:
    if not columns:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for col in columns:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{_index_name(col)}" ON installs ("{col}")')
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def ensure_indexes(conn: sqlite3.Connection, db_path: Path | str) -> None:
    """Re-create indexes a crashed bulk load left dropped (unless a bulk load is running)."""
    missing = missing_indexes(conn)
    if not missing:
        return
    lock = _lock(db_path)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return
    try:
        create_indexes(conn, missing_indexes(conn))
    finally:
        lock.release()


@contextmanager
def bulk_load(conn: sqlite3.Connection, db_path: Path | str, expected_rows: int) -> Iterator[bool]:
    """Drop secondary indexes for a large load; yields whether it did."""
    existing = conn.execute("SELECT coalesce(max(rowid), 0) FROM installs").fetchone()[0]
    if expected_rows < MIN_BULK_ROWS or expected_rows < 2 * existing:
        yield False
        return
    lock = _lock(db_path)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        yield False  # another bulk load is running: just insert
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for col in INDEXED_COLUMNS:
                conn.execute(f'DROP INDEX IF EXISTS "{_index_name(col)}"')
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            yield True
        finally:
            create_indexes(conn, missing_indexes(conn))
    finally:
        lock.release()
