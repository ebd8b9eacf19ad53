"""Make tests/data/release-0.1.0-v4.sqlite: a database as release 0.1.0 (schema v4) leaves it.

Run once, on a checkout of that release (the script refuses any other schema version):
`.venv/bin/python -m tests.data.make_v4_db`. 200 users: delivered, rejected by CleverTap
(an id with a space), waiting for a CleverTap ID, and 20 still queued; a saved CleverTap
configuration and Linkrunner settings; the sync history of one real run against the
emulator. tests/test_packaging_upgrade.py opens it with the current code.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from lr_desktop.clevertap.config import save_config
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.linkrunner.settings import update_settings
from lr_desktop.store import connect, transaction
from lr_desktop.store.schema import SCHEMA_VERSION
from lr_desktop.sync import Operation, run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users

OUT = Path(__file__).with_name("release-0.1.0-v4.sqlite")


def main() -> None:
    assert SCHEMA_VERSION == 4, "make it from a checkout of release 0.1.0 (schema v4)"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lr.sqlite"
        fill(db, users(180, without_id_every=9, bad_id_every=13))
        with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
            cfg = config(emu.url)
            run_sync(db, cfg, Operation.FULL_SYNC)
        fill(db, users(20, start=180))  # arrived after the sync: queued
        conn = connect(db)
        with transaction(conn):
            save_config(conn, config("https://eu1.api.clevertap.com"))  # no secrets stored
            # (the stored 0.1.0 file also holds a never-read send_automatically; loads ignore it)
            update_settings(conn, pull_interval_minutes=30.0)
        conn.close()
        raw = sqlite3.connect(db)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        raw.execute("VACUUM")
        raw.close()
        OUT.write_bytes(db.read_bytes())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
