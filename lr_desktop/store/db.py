"""Connections: WAL, sensible pragmas, explicit transactions, clear errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lr_desktop.errors import StoreError, explain
from lr_desktop.store.bulk import ensure_indexes
from lr_desktop.store.schema import migrate
from lr_desktop.store.tx import transaction

__all__ = ["StoreError", "connect", "explain", "transaction"]

# Tables every Linkrunner Desktop database has (schema v1 on): how one is recognised.
OWN_TABLES = frozenset(("installs", "runs"))


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Raise StoreError for another program's SQLite file, before anything is written to it.

    A new (or empty) file has no tables and user_version 0 and becomes ours; a file with
    tables but not ours is left exactly as it is (no tables, no user_version, no WAL).
    """
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if not tables and not conn.execute("PRAGMA user_version").fetchone()[0]:
        return
    if OWN_TABLES.issubset(tables):
        return
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    has = f"it holds the tables {shown}" if tables else "it has a schema version but no tables"
    conn.close()
    raise StoreError(
        f"The file {path} is an SQLite database of another program, not a Linkrunner Desktop "
        f"database ({has}). It was left unchanged. Choose another file (--db or LR_DESKTOP_DB)."
    )


def connect(
    path: Path | str,
    *,
    readonly: bool = False,
    check_same_thread: bool = True,
    create_folder: bool = True,
) -> sqlite3.Connection:
    """Open the database with WAL and a busy timeout; migrate it to the current schema.

    The connection is in autocommit mode: use `transaction()` for every change. A file
    that is another program's database raises StoreError untouched. `create_folder=False`
    (read commands): a missing folder raises StoreError instead of being created.
    """
    path = Path(path)
    if not create_folder and not readonly and not path.parent.is_dir():
        raise StoreError(
            f"The database {path} does not exist: its folder {path.parent} is missing. "
            "Nothing was created. Check --db or LR_DESKTOP_DB (or import a file first)."
        )
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
            _refuse_foreign(conn, path)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            ensure_indexes(conn, path)
        return conn
    except sqlite3.Error as exc:
        raise explain(exc, path)  # noqa: B904 - a StoreError carries exc as its cause
