"""`lr-desktop pull` (a real subprocess, real HTTP to the Linkrunner emulator) says what
its total counts: user records Linkrunner returned, a user listed under two campaigns
once in each, with new/updated/unchanged/rejected beside it; the run row agrees."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.fieldmap import parse_timestamp

KEY = "lr-total-key-Zx8"


def test_pull_summary_says_what_its_total_counts(db_path: Path) -> None:
    with LinkrunnerEmulator(KEY, seed=3, users=40, rate_limit=None) as emu:
        first = emu.users()[0]
        other = next(
            c["display_id"]
            for c in emu.campaigns()
            if c["display_id"] != first["campaign_display_id"]
        )
        at = parse_timestamp(first["attributed_at"])
        emu.add_records([{**first, "campaign_display_id": other}], attributed_at=at)
        emu.add_records(
            [
                {
                    "attributed_at": first["attributed_at"],
                    "user_data": {"id": "no-install"},
                    "campaign_display_id": other,
                }
            ],
            attributed_at=at,
        )
        env = {**os.environ, "LR_LINKRUNNER_KEY": KEY, "LR_LINKRUNNER_ENDPOINT": emu.url}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        done = subprocess.run(
            [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "pull"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stderr  # one record rejected
    # 42 records: 40 users, one of them listed again under a second campaign, 1 rejected
    assert (
        "42 user records Linkrunner returned (a user listed under two campaigns counts "
        "once in each): 40 new, 1 updated, 0 unchanged, 1 rejected" in done.stdout
    ), done.stdout
    conn = sqlite3.connect(db_path)
    try:
        total, rejected = conn.execute(
            "SELECT total, rejected FROM runs WHERE kind = 'pull'"
        ).fetchone()
        users = conn.execute("SELECT count(*) FROM installs").fetchone()[0]
    finally:
        conn.close()
    assert (total, rejected, users) == (42, 1, 40)
