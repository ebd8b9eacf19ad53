"""The automatic-pull switch is a core Linkrunner setting, stored where the window kept it."""

from __future__ import annotations

import json

from lr_desktop.linkrunner.settings import AUTO_PULL_KEY, load_settings, update_settings
from lr_desktop.store import connect, transaction


def test_auto_pull_round_trips_under_the_old_settings_key(db_path) -> None:
    conn = connect(db_path)
    try:
        assert load_settings(conn).auto_pull is False
        with transaction(conn):
            update_settings(conn, auto_pull=True, pull_interval_minutes=7)
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (AUTO_PULL_KEY,))
        assert json.loads(row.fetchone()[0]) is True
        stored = conn.execute("SELECT value FROM settings WHERE key = 'linkrunner'").fetchone()
        assert "auto_pull" not in json.loads(stored[0])
        s = load_settings(conn)
        assert s.auto_pull is True and s.pull_interval_minutes == 7
    finally:
        conn.close()


def test_a_switch_stored_by_an_older_window_is_kept(db_path) -> None:
    conn = connect(db_path)
    try:
        with transaction(conn):
            conn.execute("INSERT INTO settings(key, value) VALUES ('linkrunner_auto_pull', 'true')")
            conn.execute(  # an old row with the never-read send_automatically field
                "INSERT INTO settings(key, value) VALUES "
                "('linkrunner', '{\"send_automatically\": true, \"page_size\": 500}')"
            )
        s = load_settings(conn)
        assert s.auto_pull is True and s.page_size == 500
    finally:
        conn.close()
