"""One error hierarchy: what the user can fix, and the rule for bugs.

`UserFixableError` is the base of every error whose message is written for a marketer
(a full disk, a read-only file, a rejected key, a bad input file): commands print it
and exit non-zero, the window shows it in a message box. Anything else is a bug and
propagates (a traceback in the log, the crash dialog in the window).

SQLite errors are sorted by their result code (`sqlite_errorcode`, Python 3.11), never
by their message text, so a programmer error (a syntax error, a missing column, a
closed connection) is never dressed up as a user's problem. No Qt here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_KEPT = " The step that failed was not saved; everything recorded before it is kept."


class UserFixableError(Exception):
    """An error the user can act on; `str()` is the message to show them."""


class StoreError(UserFixableError):
    """A database problem the user can act on (disk full, read-only, locked, corrupt)."""


def _words(code: int, exc: sqlite3.Error, where: str) -> str | None:
    """The marketer's sentence for a primary SQLite result code; None for a bug."""
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return f"The database{where} is read-only. Check the file's permissions.{_KEPT}"
    if code == sqlite3.SQLITE_FULL:
        return (
            f"The disk holding the database{where} is full. Free some space and try again.{_KEPT}"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"The database{where} is busy in another program. Try again in a moment."
    if code == sqlite3.SQLITE_CORRUPT:
        return (
            f"The database{where} is damaged (SQLite reports: {exc}). Nothing was changed. "
            "Restore it from a backup, or move it aside and import the files again."
        )
    if code == sqlite3.SQLITE_NOTADB:
        return f"The file{where} is not a usable Linkrunner Desktop database."
    if code == sqlite3.SQLITE_CANTOPEN:
        return (
            f"The database{where} cannot be opened. Check that its folder exists and is writable."
        )
    if code == sqlite3.SQLITE_IOERR:
        return (
            f"The disk holding the database{where} reported an input/output error ({exc}).{_KEPT}"
        )
    return None


def sqlite_user_error(exc: sqlite3.Error, path: Path | str | None = None) -> StoreError | None:
    """The StoreError in plain words for a user-fixable SQLite error; None for a bug.

    An error that is already user-fixable (e.g. a schema newer than the app) keeps its
    own words. Errors without a result code come from the sqlite3 module's own checks
    (closed connection, wrong parameters): bugs.
    """
    if isinstance(exc, UserFixableError):
        err = StoreError(str(exc))
    else:
        code = getattr(exc, "sqlite_errorcode", None)
        text = None if code is None else _words(code & 0xFF, exc, f" ({path})" if path else "")
        if text is None:
            return None
        err = StoreError(text)
    err.__cause__ = exc
    return err


def explain(exc: sqlite3.Error, path: Path | str | None = None) -> Exception:
    """What to raise for `exc`: a StoreError in plain words, or `exc` itself (a bug).

    Use as `raise explain(exc, path)` (the StoreError already has `exc` as its cause).
    """
    return sqlite_user_error(exc, path) or exc


def interrupted(exc: sqlite3.Error) -> bool:
    """Whether `exc` is SQLite's answer to `Connection.interrupt()` (a time budget ran out)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_INTERRUPT
