"""The profile phase's progress counts profiles, not the events phase's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.sync import Operation, Progress, run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users


@pytest.fixture
def emulator():
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        yield emu


def test_profile_phase_counters_count_profiles(db_path: Path, emulator: CleverTapEmulator) -> None:
    fill(db_path, users(40))
    run_sync(db_path, config(emulator.url))  # every install event delivered
    seen: list[Progress] = []
    summary = run_sync(db_path, config(emulator.url), Operation.FULL_SYNC, progress=seen.append)
    assert summary.delivered == 0 and summary.profiles_upserted == 40
    last = [p for p in seen if p.phase == "profiles"][-1]
    assert (last.done, last.total) == (40, 40)
    assert (last.delivered, last.rejected, last.failed) == (40, 0, 0)  # profiles updated
