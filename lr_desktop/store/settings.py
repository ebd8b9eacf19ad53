"""The settings table: non-secret key/value pairs (JSON values). Secrets never go here."""

from __future__ import annotations

import sqlite3


def put_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Insert or replace one setting's (JSON) text. Call inside a transaction."""
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
