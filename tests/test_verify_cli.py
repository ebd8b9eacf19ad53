"""`lr-desktop verify` as a user runs it (real subprocesses, the emulator over HTTP):
the seeded disagreement reported user by user in --json, the counts in `status`, and a
check killed with SIGKILL that resumes from its last committed page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect
from lr_desktop.sync import run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users

N = 40


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as e:
        yield e


@pytest.fixture
def env(emu: CleverTapEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "LR_CLEVERTAP_PROJECT_ID": PROJECT,
        "LR_CLEVERTAP_PASSCODE": PASSCODE,
        "LR_CLEVERTAP_ENDPOINT": emu.url,
    }


def _cmd(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "lr_desktop", "--db", str(db), *args]


def _cli(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_cmd(db, *args), env=env, capture_output=True, text=True, timeout=120)


def _event_ids(db: Path) -> dict[str, str]:
    conn = connect(db)
    try:
        return dict(conn.execute("SELECT user_id, event_id FROM installs"))
    finally:
        conn.close()


def test_verify_json_reports_the_seeded_scenario_user_by_user(
    db_path: Path, emu: CleverTapEmulator, env: dict[str, str]
) -> None:
    fill(db_path, users(N))
    run_sync(db_path, config(emu.url))
    ev = _event_ids(db_path)
    emu.reads.scenario(
        drop=[ev["user-0000010"]],
        duplicate={ev["user-0000011"]: 1},
        alter={ev["user-0000012"]: {"utm_campaign": "Winter", "platform": "web"}},
        add=[{"objectId": "ct-9", "evtName": "organic_install", "ts": 1767225600,
              "evtData": {"lr_event_id": "not-ours", "user_id": "user-9999999"}}],
    )  # fmt: skip
    result = _cli(db_path, "verify", "--json", "--grace-minutes", "0", env=env)
    assert result.returncode == 1, result.stderr  # problems found
    doc = json.loads(result.stdout)
    assert doc["ok"] and doc["state"] == "finished"
    assert doc["counts"] == {"present": N - 3, "missing": 1, "duplicated": 1, "different": 1,
                             "unknown_here": 1}  # fmt: skip
    assert doc["users"] == [
        {"user_id": "user-0000012", "lr_event_id": ev["user-0000012"], "verdict": "different",
         "copies": 1, "fields": ["platform", "utm_campaign"]},
        {"user_id": "user-0000011", "lr_event_id": ev["user-0000011"], "verdict": "duplicated",
         "copies": 2, "fields": []},
        {"user_id": "user-0000010", "lr_event_id": ev["user-0000010"], "verdict": "missing",
         "copies": 0, "fields": []},
        {"user_id": "user-9999999", "lr_event_id": "not-ours", "verdict": "unknown_here",
         "copies": 1, "fields": []},
    ]  # fmt: skip
    assert doc["api_calls"] == 4  # per event name: 1 query + 1 page of up to 5000
    assert PASSCODE not in result.stdout + result.stderr
    status = json.loads(_cli(db_path, "status", "--json", env=env).stdout)
    assert status["clevertap_check"]["counts"]["missing"] == 1
    assert status["counts"]["queued"] == 1  # the missing user is due again
    text = _cli(db_path, "status", env=env).stdout
    assert "Missing in CleverTap" in text


def _pages_held(db_path: Path) -> int:
    conn = connect(db_path, readonly=True)
    try:
        return int(conn.execute("SELECT count(*) FROM ct_pages").fetchone()[0])
    finally:
        conn.close()


def test_a_killed_verify_resumes_from_its_last_committed_page(
    db_path: Path, emu: CleverTapEmulator, env: dict[str, str]
) -> None:
    fill(db_path, users(N))
    run_sync(db_path, config(emu.url))
    proc = subprocess.Popen(
        _cmd(db_path, "verify", "--json", "--batch-size", "5", "--concurrency", "1"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def kill_on_fourth_page(n: int) -> None:
        # page 3 is asked for before page 2 is committed (prefetch), and pages are
        # committed on the check's writer thread: kill once two of them are held
        if n == 4:
            deadline = time.monotonic() + 30
            while _pages_held(db_path) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)  # the writer commits in the other process: poll the file
            os.kill(proc.pid, signal.SIGKILL)

    emu.reads.page_hook = kill_on_fourth_page
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    emu.reads.page_hook = None
    conn = connect(db_path)
    (held,) = conn.execute("SELECT count(*) FROM ct_pages").fetchone()
    conn.close()
    assert held >= 2
    result = _cli(db_path, "verify", "--json", "--batch-size", "5", env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["resumed"] and doc["counts"] == {"present": N}
    assert doc["pages_downloaded"] == 9 - held  # 4 organic + 5 inorganic pages
    assert doc["restarts"] == 0 and doc["pages_skipped"] == 0  # the saved cursor still lived
    conn = connect(db_path)
    runs = conn.execute("SELECT state FROM runs WHERE kind = 'verify' ORDER BY id").fetchall()
    conn.close()
    assert runs == [("interrupted",), ("finished",)]


def test_bad_input_is_exit_2(db_path: Path, env: dict[str, str]) -> None:
    fill(db_path, users(3))
    bad = _cli(db_path, "verify", "--since", "31/01/2026", env=env)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    no_creds = {k: v for k, v in env.items() if k != "LR_CLEVERTAP_PASSCODE"}
    missing = _cli(db_path, "verify", env=no_creds)
    assert missing.returncode == 2  # no passcode in the environment or the keyring
