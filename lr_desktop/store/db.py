"""Connections: WAL, sensible pragmas, explicit transactions, clear errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lr_desktop.store.bulk import ensure_indexes
from lr_desktop.store.schema import migrate


class StoreError(Exception):
    """A database problem the user can act on (disk full, read-only, locked, corrupt)."""


def explain(exc: sqlite3.Error, path: Path | str | None = None) -> StoreError:
    """Turn a sqlite3 error into words a marketer understands."""
    msg = str(exc).lower()
    where = f" ({path})" if path else ""
    if "readonly" in msg or "read-only" in msg:
        text = f"The database{where} is read-only. Check the file's permissions. The step that failed was not saved; everything recorded before it is kept."
    elif "full" in msg:
        text = f"The disk holding the database{where} is full. Free some space and try again. The step that failed was not saved; everything recorded before it is kept."
    elif "locked" in msg or "busy" in msg:
        text = f"The database{where} is busy in another program. Try again in a moment."
    elif "not a database" in msg or "malformed" in msg:
        text = f"The file{where} is not a usable Linkrunner Desktop database."
    elif "unable to open" in msg:
        text = (
            f"The database{where} cannot be opened. Check that its folder exists and is writable."
        )
    else:
        text = f"Database error{where}: {exc}"
    err = StoreError(text)
    err.__cause__ = exc
    return err


def connect(
    path: Path | str, *, readonly: bool = False, check_same_thread: bool = True
) -> sqlite3.Connection:
    """Open the database with WAL and a busy timeout; migrate it to the current schema.

    The connection is in autocommit mode: use `transaction()` for every change.
    """
    path = Path(path)
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=check_same_thread,
                timeout=30,
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=check_same_thread, timeout=30
            )
        conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            ensure_indexes(conn, path)
        return conn
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc


open_store = connect


@contextmanager
def transaction(
    conn: sqlite3.Connection, *, immediate: bool = True
) -> Iterator[sqlite3.Connection]:
    """One committed unit of work; rolled back whole on any error."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (disk full, I/O error) leaves the transaction open; without
        # this the next BEGIN on the connection fails with a misleading error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
