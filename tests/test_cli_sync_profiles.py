"""`lr-desktop sync` (a real subprocess, real HTTP to the CleverTap emulator) counts the
profile phase's upserts as profiles, apart from the install events it delivered."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lr_desktop.cli.sync_cmd import TerminalProgress
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.sync import Progress, run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users


def test_sync_summary_counts_profile_upserts_as_profiles(db_path: Path) -> None:
    fill(db_path, users(40))
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        run_sync(db_path, config(emu.url))  # every install event delivered first
        events = len(emu.events())
        env = {
            **os.environ,
            "LR_CLEVERTAP_PROJECT_ID": PROJECT,
            "LR_CLEVERTAP_PASSCODE": PASSCODE,
            "LR_CLEVERTAP_PROJECT_TOKEN": TOKEN,
            "LR_CLEVERTAP_MODE": "upload",
            "LR_CLEVERTAP_ENDPOINT": emu.url,
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        done = subprocess.run(
            [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "sync", "--all"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert len(emu.events()) == events  # the second sync sent no install event
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("delivered 0 events,"), done.stdout
    assert "40 profiles updated, 0 failed" in done.stdout, done.stdout
    conn = sqlite3.connect(db_path)
    try:
        profiles = conn.execute("SELECT profiles FROM runs ORDER BY id DESC").fetchone()[0]
    finally:
        conn.close()
    assert profiles == 40


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_names_profiles_in_the_profile_phase(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    err = _Tty()
    monkeypatch.setattr(sys, "stderr", err)
    bar = TerminalProgress()
    bar(Progress("full_sync", "events", 5, 10, 5, 0, 0, 50.0, 0.1))
    bar(Progress("full_sync", "profiles", 40, 40, 40, 0, 0, 80.0, 0.0))
    events, profiles = err.getvalue().split("\r")[1:]
    assert "5/10 events" in events and "40/40 profiles" in profiles, err.getvalue()
