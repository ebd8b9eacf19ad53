"""The issue's promise, as a new user would run it: `lr-desktop import` then
`lr-desktop sync --json` (real subprocesses) against the bundled emulator."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, users


def _cli(
    db: Path, *args: str, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lr_desktop", "--db", str(db), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "user_id",
                "clevertap_id",
                "platform",
                "attribution_type",
                "ad_network",
                "campaign_id",
                "campaign_name",
                "installed_at",
            ]
        )
        for u in users(n, without_id_every=9):
            w.writerow(
                [
                    u.user_id,
                    u.clevertap_id or "",
                    u.platform,
                    u.attribution_type.lower(),
                    u.ad_network or "",
                    u.campaign_id or "",
                    u.campaign_name or "",
                    u.installed_at,
                ]
            )


@pytest.mark.parametrize("mode", ["upload", "attribution"])
def test_import_then_sync_delivers_every_event_once(tmp_path: Path, mode: str) -> None:
    db, data = tmp_path / "lr.sqlite", tmp_path / "attributed.csv"
    _write_csv(data, 1200)
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        env = {
            **os.environ,
            "LR_CLEVERTAP_PROJECT_ID": PROJECT,
            "LR_CLEVERTAP_PASSCODE": PASSCODE,
            "LR_CLEVERTAP_PROJECT_TOKEN": TOKEN,
            "LR_CLEVERTAP_MODE": mode,
            "LR_CLEVERTAP_ENDPOINT": emu.url,
            "LR_CLEVERTAP_PARTNER": "linkrunner",  # the emulator's whitelisted partner
        }
        imported = _cli(db, "import", str(data), env=env)
        assert imported.returncode == 0, imported.stderr
        assert "imported 1,200" in imported.stdout
        result = _cli(db, "sync", "--json", env=env)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        waiting = len([u for u in users(1200, without_id_every=9) if u.clevertap_id is None])
        assert summary["delivered"] == 1200 - waiting
        assert summary["rejected"] == summary["failed"] == 0
        assert summary["waiting_for_clevertap_id"] == waiting
        if mode == "upload":
            landed = Counter(e["evtData"]["user_id"] for e in emu.events())
        else:
            landed = Counter(i["device_identifier"] for i in emu.installs())
        assert len(landed) == 1200 - waiting and set(landed.values()) == {1}
        again = json.loads(_cli(db, "sync", "--json", env=env).stdout)
        assert again["delivered"] == 0  # nothing is sent twice
        status = json.loads(_cli(db, "status", "--json", env=env).stdout)
        assert status["counts"]["delivered"] == 1200 - waiting
        assert (
            PASSCODE not in result.stdout + result.stderr
            and TOKEN not in result.stdout + result.stderr
        )


def test_sync_exit_codes_and_missing_config(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    missing = _cli(db, "sync", "--json", env=dict(os.environ))
    assert missing.returncode == 2
    assert "Project ID is missing" in json.loads(missing.stdout)["error"]


def test_config_set_reads_secrets_from_stdin_never_argv(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = _cli(
        db,
        "config",
        "set",
        "--project-id",
        "W9R-486-4W5Z",
        "--passcode",
        env=env,
        stdin="secret-from-stdin\n",
    )
    assert out.returncode == 2 and "keyring" in out.stderr.lower()  # no keyring: nothing saved
    shown = _cli(db, "config", "show", "--json", env=env)
    assert json.loads(shown.stdout)["project_id"] == ""
