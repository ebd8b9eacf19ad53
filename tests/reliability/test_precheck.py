"""Promise (issue 13, item 1): in upload mode an event that may have reached CleverTap is
looked up (Get Events API, by lr_event_id) before it is sent again; CleverTap then holds
exactly one copy. When the read API fails, the old behaviour holds (re-send and flag)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.sync import precheck, run_sync
from tests.engine_helpers import config, fill, statuses, users
from tests.reliability.conftest import flagged_users, query, upload_copies

N = 60


def _flag_all(db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE installs SET possibly_duplicated = 1")
    conn.close()


def _lose_every_answer(db: Path, emu: CleverTapEmulator) -> None:
    """A first run whose requests all land but whose answers are all lost: every event
    ends failed and possibly duplicated (retries off), and CleverTap holds each once."""
    emu.faults = Faults(lost_answer_rate=1.0, seed=3)
    fill(db, users(N))
    first = run_sync(db, config(emu.url, max_retries=0, batch_size=20, precheck=False))
    assert first.failed == N and len(flagged_users(db)) == N
    assert set(upload_copies(emu).values()) == {1}
    emu.faults = Faults()


def test_flagged_events_that_landed_are_confirmed_not_resent(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    _lose_every_answer(db_path, emulator)
    uploads = emulator.stats()["upload_requests"]
    again = run_sync(db_path, config(emulator.url, precheck_settle=0.0))
    assert again.confirmed_by_clevertap == N and again.total == 0
    assert emulator.stats()["upload_requests"] == uploads  # nothing sent again
    assert statuses(db_path) == {"delivered": N}
    assert flagged_users(db_path) == set()
    assert set(upload_copies(emulator).values()) == {1}
    notes = query(db_path, "SELECT count(*) FROM attempts WHERE mode = 'precheck'")[0][0]
    assert notes == N
    (err,) = query(db_path, "SELECT DISTINCT last_error FROM installs")
    assert "CleverTap confirmed" in err[0]


def test_flagged_events_that_never_landed_are_sent_once_and_unflagged(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(N))
    _flag_all(db_path)  # e.g. a run killed before its requests left
    summary = run_sync(db_path, config(emulator.url, precheck_settle=0.0))
    assert summary.delivered == N and summary.confirmed_by_clevertap == 0
    assert flagged_users(db_path) == set()
    assert set(upload_copies(emulator).values()) == {1}


def test_lost_answers_inside_a_run_are_checked_before_each_retry(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.faults = Faults(lost_answer_rate=0.3, seed=9)  # reads lose answers too
    fill(db_path, users(N))
    cfg = config(emulator.url, batch_size=10, max_retries=10, concurrency=1)
    summary = run_sync(db_path, cfg)
    assert summary.delivered == N and summary.possibly_duplicated == 0
    assert emulator.stats()["faults_lost_answer"] > 0
    assert set(upload_copies(emulator).values()) == {1}
    assert flagged_users(db_path) == set()


def test_read_api_failing_keeps_the_old_resend_and_flag(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    _lose_every_answer(db_path, emulator)
    emulator.reads.settings.max_concurrent = 0  # every read answers 429
    again = run_sync(db_path, config(emulator.url, precheck_settle=0.0))
    assert again.delivered == N and again.confirmed_by_clevertap == 0
    assert any("could not be asked" in w for w in again.warnings)
    assert len(flagged_users(db_path)) == N  # still flagged: CleverTap now holds two each
    assert set(upload_copies(emulator).values()) == {2}
    assert emulator.reads.counts["http_429"] > 0


def test_a_check_that_would_download_too_many_pages_falls_back(
    db_path: Path, emulator: CleverTapEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lose_every_answer(db_path, emulator)
    monkeypatch.setattr(precheck, "MAX_PAGES", 0)  # these 60 events are one page: too many
    again = run_sync(db_path, config(emulator.url, precheck_settle=0.0))
    assert again.confirmed_by_clevertap == 0
    assert any("more than 0 pages" in w for w in again.warnings), again.warnings
    assert len(flagged_users(db_path)) == N and set(upload_copies(emulator).values()) == {2}
