"""Shared parts of the reliability suite: real subprocesses of `python -m lr_desktop`,
a stored configuration in the database's settings table, condition polling with a
deadline, and the figures each test reports (printed at the end of the run and
copied into docs/reliability.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lr_desktop.clevertap.config import CleverTapConfig, save_config
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect, transaction
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, dict[str, Any]] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, data in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {json.dumps(data, sort_keys=True)}")


def record_figures(name: str, **data: Any) -> None:
    FIGURES[name] = data


@pytest.fixture
def emulator() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        yield emu


def wait_for(cond: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `cond` until it is truthy; fail after `timeout` seconds (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def cli_env(url: str | None = None, mode: str = "upload", **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess: the test's XDG folders, no real keyring, and
    (with `url`) the LR_CLEVERTAP_* configuration pointing at the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LR_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if url is not None:
        env.update(
            LR_CLEVERTAP_PROJECT_ID=PROJECT,
            LR_CLEVERTAP_PASSCODE=PASSCODE,
            LR_CLEVERTAP_PROJECT_TOKEN=TOKEN,
            LR_CLEVERTAP_MODE=mode,
            LR_CLEVERTAP_ENDPOINT=url,
            LR_CLEVERTAP_PARTNER="linkrunner",  # the emulator's whitelisted partner
        )
    env.update(extra)
    return env


def cli_cmd(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "lr_desktop", "--db", str(db), *args]


def run_cli(
    db: Path, *args: str, env: dict[str, str], input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_cmd(db, *args),
        env=env,
        cwd=ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def spawn_cli(db: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_cmd(db, *args),
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def store_config(db: Path, cfg: CleverTapConfig) -> None:
    """Save the non-secret settings the way the app does (settings table)."""
    conn = connect(db)
    try:
        with transaction(conn):
            save_config(conn, cfg)
    finally:
        conn.close()


def query(db: Path, sql: str, *params: Any) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    return query(db, "PRAGMA integrity_check")[0][0]


def flagged_users(db: Path) -> set[str]:
    return {r[0] for r in query(db, "SELECT user_id FROM installs WHERE possibly_duplicated = 1")}


def upload_copies(emu: CleverTapEmulator) -> Counter[str]:
    """lr_event_id -> how many copies the emulator holds."""
    return Counter(
        e["evtData"]["lr_event_id"] for e in emu.events() if "lr_event_id" in e["evtData"]
    )


def attribution_copies(emu: CleverTapEmulator) -> Counter[tuple[str, int]]:
    """(device_identifier, timestamp) -> how many installs the emulator stored."""
    return Counter((i["device_identifier"], int(i["timestamp"])) for i in emu.installs())


def users_by_install(db: Path) -> dict[tuple[str, int], str]:
    """(clevertap_id, installed_at) -> user_id: the keys of `attribution_copies`."""
    return {
        (ct, ts): uid
        for uid, ct, ts in query(db, "SELECT user_id, clevertap_id, installed_at FROM installs")
    }
