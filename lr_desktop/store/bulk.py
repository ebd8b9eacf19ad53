"""Bulk loading: a large import into a comparatively small table drops the secondary
indexes and rebuilds them once at the end, which costs about half of keeping them
current row by row.

Every secondary index on `installs` is dropped (the per-column INDEXED_COLUMNS, the
composite and partial indexes of schema v3, any other) and re-created afterwards from
its own stored definition.

The summary's triggers (store/summary.py) are dropped with them, and the summary is
recounted from the rebuilt indexes at the end, in the transaction that re-creates the
triggers.

While a bulk load runs it holds `<db>.bulk.lock`; `ensure_indexes` (called on every
open) re-creates missing indexes and rebuilds a stale summary only when it can take that
lock, so an import that crashed mid-way heals on the next open, and a window opened
during an import does not rebuild them under the importer's feet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lr_desktop.store import summary
from lr_desktop.store.schema import INDEXED_COLUMNS, SUMMARY_VERSION, V3_INDEXES
from lr_desktop.store.tx import transaction

if TYPE_CHECKING:
    from filelock import FileLock

MIN_BULK_ROWS = 50_000  # below this, keeping indexes current is cheap enough


def _lock(db_path: Path | str) -> FileLock:
    # filelock takes ~60 ms to import: the window's first paint does not need it
    from filelock import FileLock

    return FileLock(str(db_path) + ".bulk.lock")


def _index_name(column: str) -> str:
    return f"idx_installs_{column}"


def _present(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def missing_indexes(conn: sqlite3.Connection) -> list[str]:
    """Columns of INDEXED_COLUMNS whose index is missing."""
    present = _present(conn)
    return [c for c in INDEXED_COLUMNS if _index_name(c) not in present]


def missing_extra_indexes(conn: sqlite3.Connection) -> list[str]:
    """Names of the schema v3 (composite, partial) indexes that are missing."""
    if conn.execute("PRAGMA user_version").fetchone()[0] < 3:
        return []
    present = _present(conn)
    return [name for name in V3_INDEXES if name not in present]


def _extra_index_sql(name: str) -> str:
    cols, where = V3_INDEXES[name]
    cols_sql = ", ".join(f'"{c}"' for c in cols)
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON installs ({cols_sql})' + (
        f" WHERE {where}" if where else ""
    )


def secondary_indexes(conn: sqlite3.Connection) -> dict[str, str]:
    """Every explicitly created index on installs: name -> its CREATE statement."""
    return dict(
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'installs' AND sql IS NOT NULL"
        ).fetchall()
    )


def _recreate(conn: sqlite3.Connection, definitions: dict[str, str]) -> None:
    """Re-create the indexes that are missing from their CREATE statements."""
    todo = {n: sql for n, sql in definitions.items() if n not in _present(conn)}
    if not todo:
        return
    with transaction(conn):
        for sql in todo.values():
            conn.execute(sql)


def create_indexes(conn: sqlite3.Connection, columns: list[str]) -> None:
    if not columns:
        return
    with transaction(conn):
        for col in columns:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{_index_name(col)}" ON installs ("{col}")')


def summary_stale(conn: sqlite3.Connection) -> bool:
    """Whether a bulk load dropped the summary's triggers (schema v9 on)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] < SUMMARY_VERSION:
        return False
    return not summary.live(conn)


def rebuild_summary(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        summary.rebuild(conn)


def ensure_indexes(conn: sqlite3.Connection, db_path: Path | str) -> None:
    """Re-create the indexes and the summary a crashed bulk load left dropped (unless a
    bulk load is running)."""
    if not missing_indexes(conn) and not missing_extra_indexes(conn) and not summary_stale(conn):
        return
    lock = _lock(db_path)
    try:
        lock.acquire(timeout=0)
    except OSError:  # filelock's Timeout is a TimeoutError
        return
    try:
        create_indexes(conn, missing_indexes(conn))
        _recreate(conn, {n: _extra_index_sql(n) for n in missing_extra_indexes(conn)})
        if summary_stale(conn):
            rebuild_summary(conn)
    finally:
        lock.release()


@contextmanager
def bulk_load(conn: sqlite3.Connection, db_path: Path | str, expected_rows: int) -> Iterator[bool]:
    """Drop secondary indexes and the summary's triggers for a large load; yields
    whether it did."""
    existing = conn.execute("SELECT coalesce(max(rowid), 0) FROM installs").fetchone()[0]
    if expected_rows < MIN_BULK_ROWS or expected_rows < 2 * existing:
        yield False
        return
    lock = _lock(db_path)
    try:
        lock.acquire(timeout=0)
    except OSError:  # filelock's Timeout is a TimeoutError
        yield False  # another bulk load is running: just insert
        return
    try:
        with transaction(conn):
            definitions = secondary_indexes(conn)
            for name in definitions:
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
            summary.drop_triggers(conn)
        try:
            yield True
        finally:
            _recreate(conn, definitions)
            create_indexes(conn, missing_indexes(conn))
            _recreate(conn, {n: _extra_index_sql(n) for n in missing_extra_indexes(conn)})
            if summary_stale(conn):
                rebuild_summary(conn)
    finally:
        lock.release()
