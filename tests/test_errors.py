"""SQLite errors are sorted by result code: a locked, full or read-only database is the
user's to fix and reads in plain words; a programmer's SQL error stays a bug. Real
SQLite files on disk."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from lr_desktop.errors import StoreError, UserFixableError, explain, sqlite_user_error
from lr_desktop.store import connect, transaction


def _raised(conn: sqlite3.Connection, sql: str) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql)
    return info.value


def test_a_locked_database_is_busy_in_plain_words(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    holder = connect(db)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        exc = _raised(other, "BEGIN IMMEDIATE")
        err = explain(exc, db)
        assert isinstance(err, StoreError) and isinstance(err, UserFixableError)
        assert str(err) == f"The database ({db}) is busy in another program. Try again in a moment."
        assert err.__cause__ is exc
    finally:
        other.close()
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_database_says_the_disk_is_full(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    conn = connect(db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(sqlite3.Error) as info, transaction(conn):
        conn.execute("CREATE TABLE filler (x BLOB)")
        conn.execute("INSERT INTO filler VALUES (zeroblob(1000000))")
    err = explain(info.value, db)
    assert isinstance(err, StoreError)
    assert str(err).startswith(f"The disk holding the database ({db}) is full.")
    assert not conn.in_transaction
    conn.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_a_read_only_file_says_read_only(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    connect(db).close()
    for p in tmp_path.iterdir():
        p.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        conn = sqlite3.connect(db, isolation_level=None)
        exc = _raised(conn, "INSERT INTO settings (key, value) VALUES ('a', 'b')")
        conn.close()
    finally:
        tmp_path.chmod(0o755)
    assert str(explain(exc, db)).startswith(f"The database ({db}) is read-only.")


def test_a_read_only_connection_says_read_only(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    connect(db).close()
    conn = connect(db, readonly=True)
    exc = _raised(conn, "INSERT INTO settings (key, value) VALUES ('a', 'b')")
    conn.close()
    err = explain(exc, db)
    assert isinstance(err, StoreError)
    assert str(err).startswith(f"The database ({db}) is read-only.")


@pytest.mark.parametrize(
    "sql",
    ["SELEC 1", "SELECT no_such_column FROM settings", "INSERT INTO no_such_table VALUES (1)"],
)
def test_bad_sql_is_a_bug_not_a_user_error(tmp_path: Path, sql: str) -> None:
    conn = connect(tmp_path / "q.db")
    exc = _raised(conn, sql)
    conn.close()
    assert sqlite_user_error(exc) is None
    assert explain(exc) is exc


def test_a_closed_connection_is_a_bug(tmp_path: Path) -> None:
    conn = connect(tmp_path / "q.db")
    conn.close()
    exc = _raised(conn, "SELECT 1")
    assert explain(exc) is exc


def test_a_message_that_mentions_locked_is_not_matched(tmp_path: Path) -> None:
    """The words in a message decide nothing: only the result code does."""
    conn = connect(tmp_path / "q.db")
    exc = _raised(conn, 'SELECT * FROM "database is locked"')
    conn.close()
    assert "locked" in str(exc) and explain(exc) is exc


def test_the_user_facing_errors_share_the_base() -> None:
    from lr_desktop.clevertap.config import ConfigError
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.client import KeyRejected
    from lr_desktop.linkrunner.idmap import MappingFileError
    from lr_desktop.secrets import KeyringFailure, KeyringUnavailable
    from lr_desktop.store.schema import SchemaTooNew

    for cls in (
        ConfigError,
        EndpointRefused,
        KeyRejected,
        MappingFileError,
        KeyringFailure,
        KeyringUnavailable,
        SchemaTooNew,
        StoreError,
    ):
        assert issubclass(cls, UserFixableError), cls


def test_a_schema_too_new_keeps_its_own_words(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    connect(db).close()
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    with pytest.raises(StoreError, match="newer than this app understands"):
        connect(db)


def _status_running(db: Path, monkeypatch: pytest.MonkeyPatch, *sql: str) -> None:
    """Make `lr-desktop status` run `sql` on the real database file."""
    from lr_desktop.cli import status_cmd

    def run(args: object) -> int:
        conn = connect(db)
        try:
            for statement in sql:
                conn.execute(statement)
        finally:
            conn.close()
        return 0

    monkeypatch.setattr(status_cmd, "run", run)


def test_the_cli_reports_a_read_only_database_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lr_desktop.cli.main import main

    db = tmp_path / "q.db"
    _status_running(
        db, monkeypatch, "PRAGMA query_only = ON", "INSERT INTO settings VALUES ('a', 'b')"
    )
    assert main(["status", "--db", str(db)]) == 2
    assert "is read-only" in capsys.readouterr().err


def test_the_cli_lets_a_bug_show_as_a_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lr_desktop.cli.main import main

    db = tmp_path / "q.db"
    _status_running(db, monkeypatch, "SELECT no_such_column FROM settings")
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        main(["status", "--db", str(db)])


def test_an_interrupt_is_told_by_its_code(tmp_path: Path) -> None:
    from lr_desktop.errors import interrupted

    conn = connect(tmp_path / "q.db")
    conn.set_progress_handler(lambda: 1, 1)  # a non-zero answer interrupts the statement
    exc = _raised(conn, "SELECT 1")
    conn.set_progress_handler(None, 1)
    assert interrupted(exc)
    assert not interrupted(_raised(conn, "SELEC 1"))
    conn.close()
