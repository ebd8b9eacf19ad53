"""SIGTERM/SIGINT close the window cleanly: the demo's temporary folder goes with it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lr_desktop.gui.stop_signals import StopOnSignals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_a_signal_reaches_the_gui_thread(qtbot) -> None:
    # what was there before (Python's default, or SIG_IGN when the suite runs as a
    # background job of a shell): remove() must put exactly that back
    before = signal.getsignal(signal.SIGINT)
    stopped: list[bool] = []
    stopper = StopOnSignals(lambda: stopped.append(True))
    try:
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt without it
        qtbot.waitUntil(lambda: stopped == [True], timeout=5000)
        # a second signal would end the process at once
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    finally:
        stopper.remove()
    assert signal.getsignal(signal.SIGINT) is before
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup fd is given back too


def _demo_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("lr-desktop-demo-*"))


def _window_pulled(tmp: Path) -> bool:
    """The window's automatic Linkrunner pull has begun: its event loop is running."""
    for folder in _demo_folders(tmp):
        db = folder / "demo.sqlite"
        if db.exists():
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                if conn.execute("SELECT count(*) FROM runs WHERE kind = 'pull'").fetchone()[0]:
                    return True
            except sqlite3.OperationalError:  # not created yet
                pass
            finally:
                conn.close()
    return False


def test_sigterm_closes_the_demo_and_removes_its_folder(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["LR_DEMO_AUTOMATIC"] = "1"  # the demo pulls at once: a sign its event loop runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "lr_desktop", "gui", "--demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _window_pulled(tmp):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the demo window never pulled from Linkrunner"
            time.sleep(0.05)  # polling another process's files: there is no signal to await
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == 0, err
    assert _demo_folders(tmp) == []
