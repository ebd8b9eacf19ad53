"""Promise: a full disk or a read-only database gives a clear message, the CLI exits
non-zero, no event is wrongly marked, and nothing is lost once the problem is fixed.

Real mechanisms only: a tiny tmpfs mounted for the test (filled with a filler file)
and a read-only bind mount. Both need root with CAP_SYS_ADMIN (true in this sandbox
and in CI containers that run as root); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.store import StoreError
from lr_desktop.sync import run_sync
from tests.engine_helpers import PROJECT, config, fill, statuses, users
from tests.reliability.conftest import (
    attribution_copies,
    cli_env,
    flagged_users,
    integrity,
    query,
    record_figures,
    run_cli,
    store_config,
    upload_copies,
    users_by_install,
)


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs of our own, unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to create a small filesystem")
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = _mount("-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mnt))
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        _umount(mnt)


def _fill_up(folder: Path, leave: int = 0) -> Path:
    """Write a filler file until the filesystem is full (minus `leave` bytes)."""
    filler = folder / "filler"
    st = os.statvfs(folder)
    room = st.f_bavail * st.f_frsize - leave
    with open(filler, "wb") as fh:
        try:
            while room > 0:
                n = fh.write(b"\0" * min(room, 1 << 16))
                room -= n
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk_before_the_run_changes_nothing_and_says_so(
    small_fs: Path, emulator: CleverTapEmulator
) -> None:
    db = small_fs / "lr.sqlite"
    fill(db, users(300))
    store_config(db, CleverTapConfig(project_id=PROJECT))
    before = query(db, "SELECT user_id, status, attempts FROM installs ORDER BY user_id")
    _fill_up(small_fs)
    res = run_cli(db, "sync", "--json", env=cli_env(emulator.url))
    assert res.returncode != 0
    assert "full" in res.stderr.lower() or "full" in res.stdout.lower()
    assert "Traceback" not in res.stderr
    (small_fs / "filler").unlink()
    assert query(db, "SELECT user_id, status, attempts FROM installs ORDER BY user_id") == before
    assert integrity(db) == "ok"
    assert emulator.events() == []


def test_disk_filling_up_mid_run_raises_store_error_and_resume_loses_nothing(
    small_fs: Path, emulator: CleverTapEmulator
) -> None:
    db = small_fs / "lr.sqlite"
    n = 3000
    fill(db, users(n))
    emulator.faults = Faults(latency=0.005)
    _fill_up(small_fs, leave=512 * 1024)  # room for a few batches' attempts, not all
    cfg = config(emulator.url, batch_size=100, concurrency=3)
    with pytest.raises(StoreError, match="disk holding the database .* is full"):
        run_sync(db, cfg)
    # what was written is true: every row marked delivered is at CleverTap
    delivered = {r[0] for r in query(db, "SELECT event_id FROM installs WHERE status='delivered'")}
    assert delivered and delivered <= set(upload_copies(emulator))
    assert integrity(db) == "ok"
    (small_fs / "filler").unlink()
    summary = run_sync(db, cfg)
    assert statuses(db) == {"delivered": n}
    copies = upload_copies(emulator)
    by_event = dict(query(db, "SELECT event_id, user_id FROM installs"))
    assert set(copies) == set(by_event)
    duplicated = {by_event[e] for e, k in copies.items() if k > 1}
    assert duplicated <= flagged_users(db)
    record_figures(
        "disk_full_mid_run",
        events=n,
        delivered_before_full=len(delivered),
        lost=0,
        duplicated_users=len(duplicated),
        flagged_users=len(flagged_users(db)),
        resumed_possibly_duplicated=summary.possibly_duplicated,
    )


def test_disk_filling_up_mid_attribution_run_same_promise(
    small_fs: Path, emulator: CleverTapEmulator
) -> None:
    """Attribution mode writes on the event loop's thread, not the writer's: the same
    promise holds there."""
    db = small_fs / "lr.sqlite"
    n = 1500
    fill(db, users(n))
    by_install = users_by_install(db)
    emulator.faults = Faults(latency=0.002)
    _fill_up(small_fs, leave=256 * 1024)
    cfg = config(emulator.url, mode="attribution", concurrency=3)
    with pytest.raises(StoreError, match="disk holding the database .* is full"):
        run_sync(db, cfg)
    delivered = set(
        query(db, "SELECT clevertap_id, installed_at FROM installs WHERE status='delivered'")
    )
    assert delivered and delivered <= set(attribution_copies(emulator))
    assert len(delivered) < n  # the disk filled up mid-run
    assert integrity(db) == "ok"
    (small_fs / "filler").unlink()
    run_sync(db, cfg)
    assert statuses(db) == {"delivered": n}
    copies = attribution_copies(emulator)
    assert set(copies) == set(by_install)
    assert {by_install[k] for k, c in copies.items() if c > 1} <= flagged_users(db)


def test_cli_reports_a_full_disk_in_plain_words(
    small_fs: Path, emulator: CleverTapEmulator
) -> None:
    db = small_fs / "lr.sqlite"
    fill(db, users(3000))
    store_config(db, CleverTapConfig(project_id=PROJECT, batch_size=100, concurrency=3))
    emulator.faults = Faults(latency=0.005)
    _fill_up(small_fs, leave=96 * 1024)
    res = run_cli(db, "sync", "--json", env=cli_env(emulator.url))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert "is full" in res.stderr
    doc = json.loads(res.stdout)
    assert "is full" in doc["error"] and doc["ok"] is False


@pytest.fixture
def readonly_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(writable folder, the same folder bind-mounted read-only)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) for a read-only bind mount")
    rw = tmp_path / "rw"
    ro = tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    res = _mount("--bind", str(rw), str(ro))
    if res.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {res.stderr.strip()}")
    try:
        res = _mount("-o", "remount,ro,bind", str(ro))
        if res.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {res.stderr.strip()}")
        yield rw, ro
    finally:
        _umount(ro)


def test_read_only_database_is_reported_and_nothing_changes(
    readonly_view: tuple[Path, Path], emulator: CleverTapEmulator
) -> None:
    rw, ro = readonly_view
    fill(rw / "lr.sqlite", users(50))
    store_config(rw / "lr.sqlite", CleverTapConfig(project_id=PROJECT))
    before = query(rw / "lr.sqlite", "SELECT user_id, status, attempts FROM installs")
    with pytest.raises(OSError):
        (ro / "probe").write_text("x")  # root cannot write through the read-only mount
    res = run_cli(ro / "lr.sqlite", "sync", "--json", env=cli_env(emulator.url))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "cannot be opened" in res.stderr and "writable" in res.stderr
    assert query(rw / "lr.sqlite", "SELECT user_id, status, attempts FROM installs") == before
    assert emulator.events() == []
    with pytest.raises(StoreError):
        run_sync(ro / "lr.sqlite", config(emulator.url))
    assert emulator.events() == []


@pytest.fixture
def immutable_db(tmp_path: Path) -> Iterator[Path]:
    """A database file marked immutable (chattr +i): root cannot write it either."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr(1)")
    db = tmp_path / "lr.sqlite"
    fill(db, users(50))
    store_config(db, CleverTapConfig(project_id=PROJECT))
    res = subprocess.run(["chattr", "+i", str(db)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        pytest.skip(f"this filesystem does not support chattr +i: {res.stderr.strip()}")
    try:
        yield db
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True, check=False)


def test_immutable_database_file_is_reported_read_only(
    immutable_db: Path, emulator: CleverTapEmulator
) -> None:
    before = query(immutable_db, "SELECT user_id, status, attempts FROM installs")
    res = run_cli(immutable_db, "sync", "--json", env=cli_env(emulator.url))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "is read-only" in res.stderr
    assert "is read-only" in json.loads(res.stdout)["error"]
    with pytest.raises(StoreError, match="read-only"):
        run_sync(immutable_db, config(emulator.url))
    assert query(immutable_db, "SELECT user_id, status, attempts FROM installs") == before
    assert query(immutable_db, "SELECT count(*) FROM runs") == [(0,)]
    assert emulator.events() == []
