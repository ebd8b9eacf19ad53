"""Helpers shared by sub-commands: opening the database, printing errors."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from lr_desktop.paths import default_db_path
from lr_desktop.store import StoreError, connect


def db_path(args: argparse.Namespace) -> Path:
    return default_db_path(getattr(args, "db", None))


def open_db(args: argparse.Namespace) -> sqlite3.Connection:
    try:
        return connect(db_path(args))
    except StoreError as exc:
        fail(str(exc))
        raise SystemExit(2) from None


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
