"""The window's sync runs the same engine in a child process; the results, progress,
cancel and errors come back exactly as from run_sync."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.sync import CredentialsRejected, Operation, Progress, SyncError
from lr_desktop.sync.isolated import run_sync_isolated
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, statuses, users


@pytest.fixture
def emulator():
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        yield emu


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        pids += [int(p) for p in text]
    return pids


def test_delivers_like_run_sync_with_progress(db_path: Path, emulator: CleverTapEmulator) -> None:
    fill(db_path, users(1500, without_id_every=10))
    seen: list[Progress] = []
    summary = run_sync_isolated(
        db_path, config(emulator.url), Operation.FULL_SYNC, progress=seen.append
    )
    assert (summary.delivered, summary.waiting_for_clevertap_id) == (1350, 150)
    assert summary.profiles_upserted == 1350
    assert len(emulator.events()) == 1350
    assert seen and seen[-1].phase == "profiles" and seen[-1].done == seen[-1].total


def test_cancel_reaches_the_child(db_path: Path, emulator: CleverTapEmulator) -> None:
    emulator.faults = Faults(latency=0.05)
    fill(db_path, users(3000))
    cancel = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.done >= 100:
            cancel.set()

    cfg = config(emulator.url, batch_size=50, concurrency=2)
    summary = run_sync_isolated(db_path, cfg, progress=on_progress, cancel=cancel)
    assert summary.cancelled and 100 <= summary.delivered < 3000
    assert statuses(db_path)["queued"] == 3000 - summary.delivered


def test_errors_come_back_typed_with_their_summary(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(20))
    bad = config(emulator.url)
    bad = replace(bad, secrets=replace(bad.secrets, passcode="wrong"))
    with pytest.raises(CredentialsRejected, match="credentials or region wrong") as info:
        run_sync_isolated(db_path, bad)
    assert info.value.summary is not None and info.value.summary.delivered == 0
    assert statuses(db_path) == {"queued": 20}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the child")
def test_a_child_that_dies_is_reported_and_the_next_run_recovers(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.faults = Faults(latency=0.05)
    fill(db_path, users(2000))

    def kill_child(p: Progress) -> None:
        if p.done >= 50:
            for pid in _children():
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(SyncError, match="stopped unexpectedly"):
        run_sync_isolated(
            db_path, config(emulator.url, batch_size=50, concurrency=2), progress=kill_child
        )
    rest = run_sync_isolated(db_path, config(emulator.url))
    assert statuses(db_path) == {"delivered": 2000}
    assert rest.delivered + len({e["evtData"]["user_id"] for e in emulator.events()}) >= 2000


def test_secrets_never_reach_argv_or_environment(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(200))
    emulator.faults = Faults(latency=0.02)
    found: list[bytes] = []
    inspected: list[int] = []

    def inspect(p: Progress) -> None:
        for pid in _children():
            inspected.append(pid)
            for name in ("cmdline", "environ"):
                data = Path(f"/proc/{pid}/{name}").read_bytes()
                found.extend(s for s in (PASSCODE.encode(), TOKEN.encode()) if s in data)

    run_sync_isolated(db_path, config(emulator.url, batch_size=20, concurrency=1), progress=inspect)
    assert inspected and found == []
