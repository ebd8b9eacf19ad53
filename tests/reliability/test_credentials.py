"""Promise: 401 (wrong passcode, or the wrong region's host), 403 and 400 are never
retried; the run stops, every event stays queued, and the message names the fix -
also through the CLI (exit code 2, message on stderr, "error" in the --json object)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from tests.engine_helpers import PROJECT, fill, users
from tests.reliability.conftest import cli_env, query, record_figures, run_cli, store_config

CONCURRENCY = 3

CASES = {
    # case: (mode, fault status or None, fix the message must name)
    "401-wrong-passcode": ("upload", None, ("Passcode", "Region")),
    "401-wrong-region": ("upload", None, ("Passcode", "Region")),
    "401-attribution-wrong-passcode": (
        "attribution",
        None,
        ("credentials or region wrong", "Passcode", "Region"),
    ),
    "403-upload": ("upload", 403, ("not allowed", "API access")),
    # the partner doc: authorisation errors "throw HTTP 403" (and its table lists 401)
    "403-attribution": ("attribution", 403, ("credentials or region wrong", "Project Token")),
    "400-upload": ("upload", 400, ("refused the request (400)",)),
    "400-attribution-partner": ("attribution", None, ("whitelist",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refusals_stop_keep_events_queued_and_name_the_fix(
    tmp_path: Path, emulator: CleverTapEmulator, case: str
) -> None:
    mode, status, fixes = CASES[case]
    db = tmp_path / "lr.sqlite"
    fill(db, users(300))
    store_config(
        db, CleverTapConfig(project_id=PROJECT, mode=mode, batch_size=50, concurrency=CONCURRENCY)
    )
    target = emulator
    env = cli_env(emulator.url, mode)
    other = None
    if "wrong-passcode" in case:
        env["LR_CLEVERTAP_PASSCODE"] = "not-the-passcode"
    elif case == "401-wrong-region":
        other = CleverTapEmulator({"SOME-OTHER-ACCOUNT": ("x", "y")}).start()
        target = other
        env["LR_CLEVERTAP_ENDPOINT"] = other.url
    elif case == "400-attribution-partner":
        emulator.settings.update({"partners": []})
    if status is not None:
        emulator.faults = Faults(error_rate=1.0, error_statuses=(status,))
    try:
        for as_json in (False, True):
            res = run_cli(db, "sync", *(["--json"] if as_json else []), env=env)
            assert res.returncode == 2, res.stderr
            assert "Traceback" not in res.stderr
            for fix in fixes:
                assert fix in res.stderr, (fix, res.stderr)
            if as_json:
                doc = json.loads(res.stdout)
                assert doc["ok"] is False and all(f in doc["error"] for f in fixes)
                assert doc["delivered"] == 0 and doc["stopped_http_status"] in (400, 401, 403)
        requests = target.stats()["requests"]
    finally:
        if other is not None:
            other.stop()
    assert query(db, "SELECT status, count(*) FROM installs GROUP BY status") == [("queued", 300)]
    assert query(db, "SELECT count(*) FROM attempts WHERE outcome = 'retry'") == [(0,)]
    assert query(db, "SELECT DISTINCT state FROM runs") == [("stopped",)]
    # never retried: at most one request per worker in flight when the refusal came, per run
    assert 1 <= requests <= 2 * CONCURRENCY
    assert emulator.events() == [] and emulator.installs() == []
    record_figures(f"refusal[{case}]", requests_over_two_runs=requests, events_left_queued=300)
