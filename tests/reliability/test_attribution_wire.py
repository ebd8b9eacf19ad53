"""Promise: attribution mode waits for CleverTap's slow answers (its partner endpoint may
take up to 60 s) instead of timing out and retrying them into duplicate installs, even
when the configured timeout is shorter; its auth refusals (401 and 403) name
credentials and region."""

from __future__ import annotations

import json
from pathlib import Path

from lr_desktop.clevertap.client import ATTRIBUTION_MIN_TIMEOUT
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from tests.engine_helpers import PROJECT, fill, users
from tests.reliability.conftest import attribution_copies, cli_env, query, run_cli, store_config

N = 12
CONFIGURED_TIMEOUT = 0.3  # seconds; every answer takes LATENCY
LATENCY = 0.8


def test_slow_attribution_answers_are_waited_for_not_retried(
    tmp_path: Path, emulator: CleverTapEmulator
) -> None:
    assert LATENCY < ATTRIBUTION_MIN_TIMEOUT and ATTRIBUTION_MIN_TIMEOUT >= 60
    db = tmp_path / "lr.sqlite"
    fill(db, users(N))
    store_config(
        db,
        CleverTapConfig(
            project_id=PROJECT,
            mode="attribution",
            partner_name="linkrunner",
            timeout=CONFIGURED_TIMEOUT,
            concurrency=4,
            max_retries=1,
            backoff_base=0.01,
        ),
    )
    emulator.faults = Faults(latency=LATENCY)
    res = run_cli(db, "sync", "--json", env=cli_env(emulator.url, "attribution"))
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert doc["delivered"] == N and doc.get("possibly_duplicated", 0) == 0, doc
    assert query(db, "SELECT count(*) FROM attempts WHERE outcome = 'retry'") == [(0,)]
    assert emulator.stats()["attribution_requests"] == N  # one request per install
    assert set(attribution_copies(emulator).values()) == {1}


def test_attribution_mode_needs_a_partner_name_the_user_gave(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    env = cli_env()
    res = run_cli(db, "config", "set", "--project-id", PROJECT, "--mode", "attribution", env=env)
    assert res.returncode == 2 and "whitelisted for your account" in res.stderr, res.stderr
    res = run_cli(
        db, "config", "set", "--project-id", PROJECT, "--mode", "attribution",
        "--partner", "acme-partner", "--attribution-method", "post", env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    shown = json.loads(run_cli(db, "config", "show", "--json", env=env).stdout)
    assert (shown["partner_name"], shown["attribution_method"]) == ("acme-partner", "POST")


def test_help_says_how_each_mode_lands_and_what_is_unconfirmed(tmp_path: Path) -> None:
    res = run_cli(tmp_path / "lr.sqlite", "config", "set", "--help", env=cli_env())
    text = " ".join(res.stdout.split())
    assert "'UTM Visited'" in text and "Settings > Partners" in text
    assert "custom events" in text and "whitelisted" in text and "no default" in text
    assert "POST has no public source (UNCONFIRMED)" in text
