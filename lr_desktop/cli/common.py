"""Helpers shared by sub-commands: opening the database, printing errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lr_desktop.paths import default_db_path

if TYPE_CHECKING:
    import sqlite3


def db_path(args: argparse.Namespace) -> Path:
    return default_db_path(getattr(args, "db", None))


def open_db(args: argparse.Namespace, *, create_folder: bool = True) -> sqlite3.Connection:
    """The database of `--db`; read commands pass create_folder=False (a missing folder is
    an error, never created)."""
    from lr_desktop.store import StoreError, connect  # on use: the window starts without it

    try:
        return connect(db_path(args), create_folder=create_folder)
    except StoreError as exc:
        fail(str(exc))
        raise SystemExit(2) from None


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
