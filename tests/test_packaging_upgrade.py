"""Upgrades keep data: a database release 0.1.0 (schema v4) wrote opens in this version,
migrates to SCHEMA_VERSION with every user, status and attempt intact, and nothing it had
delivered is sent again; keyring entries are found again under the same names."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import keyring

from lr_desktop import secrets
from lr_desktop.clevertap.config import Secrets, load_config
from lr_desktop.clevertap.credentials import load_secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.linkrunner.settings import load_settings, resolve_api_key
from lr_desktop.store import connect
from lr_desktop.store.schema import SCHEMA_VERSION
from lr_desktop.sync import Operation, run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config

STORED = Path(__file__).parent / "data" / "release-0.1.0-v4.sqlite"  # tests/data/make_v4_db.py


def _snapshot(conn: sqlite3.Connection) -> dict[str, object]:
    return {
        "installs": conn.execute(
            "SELECT user_id, status, clevertap_id, attribution_type, installed_at "
            "FROM installs ORDER BY user_id"
        ).fetchall(),
        "attempts": conn.execute("SELECT count(*) FROM attempts").fetchone()[0],
        "runs": conn.execute("SELECT count(*) FROM runs").fetchone()[0],
    }


def test_a_release_0_1_0_database_opens_in_the_current_version_with_data_intact(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lr.sqlite"
    shutil.copy(STORED, db)
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
    before = _snapshot(raw)
    raw.close()
    assert Counter(row[1] for row in before["installs"]) == {  # type: ignore[union-attr]
        "delivered": 148,
        "rejected": 12,
        "waiting_id": 20,
        "queued": 20,
    }

    conn = connect(db)  # migrates
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert _snapshot(conn) == before
        cfg = load_config(conn)
        assert (cfg.project_id, cfg.region) == (PROJECT, "EU")
        assert load_settings(conn).pull_interval_minutes == 30.0
    finally:
        conn.close()

    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        summary = run_sync(db, config(emu.url), Operation.SEND_PENDING)
        sent = {e["evtData"]["user_id"] for e in emu.events()}
    queued = {row[0] for row in before["installs"] if row[1] == "queued"}  # type: ignore[union-attr]
    assert summary.delivered == 20 and sent == queued  # nothing delivered before goes again


def test_keyring_names_are_the_ones_release_0_1_0_used() -> None:
    """Renaming any of these loses every stored secret on upgrade."""
    assert secrets.SERVICE == "lr-desktop"
    assert (
        secrets.clevertap_key("W9R-486-4W5Z", "project_token")
        == "clevertap/W9R-486-4W5Z/project_token"
    )
    assert secrets.clevertap_key("W9R-486-4W5Z", "passcode") == "clevertap/W9R-486-4W5Z/passcode"
    assert secrets.LINKRUNNER_API_KEY == "linkrunner/api_key"


def test_entries_stored_by_release_0_1_0_are_found_again() -> None:
    # written the way 0.1.0 wrote them: straight into the keyring under those names
    keyring.set_password("lr-desktop", "clevertap/W9R-486-4W5Z/project_token", "old-token")
    keyring.set_password("lr-desktop", "clevertap/W9R-486-4W5Z/passcode", "old-passcode")
    keyring.set_password("lr-desktop", "linkrunner/api_key", "old-linkrunner-key")
    assert load_secrets("W9R-486-4W5Z") == Secrets("old-token", "old-passcode")
    assert resolve_api_key(environ={}) == "old-linkrunner-key"
