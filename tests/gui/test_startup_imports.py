"""The window paints without loading the HTTP client, the verify engine or filelock:
together they were ~300 ms of start-up (bench/startup.py measures the whole). Nor does
its first paint wait for what it does not show: the sync panel's progress bar, Cancel
and links, the first-run checklist, the Overview's charts, the other sections, the
CleverTap settings' and the store's modules, or PySide6's `Qt` namespace (its ~100 enums
take 20-50 ms to create)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LATE = ("httpx", "filelock", "lr_desktop.verify.run", "lr_desktop.sync.engine", "keyring")
# not before the first paint; all come right after it
AFTER_PAINT = ("lr_desktop.verify", "lr_desktop.clevertap.config", "lr_desktop.store")
# objectName: the sync panel's hidden parts, the checklist, the charts (all after the paint)
DEFERRED = (
    "syncProgress",
    "cancelSync",
    "fixLink",
    "sendChangedLink",
    "firstRun",
    "overviewCharts",
)
UNBUILT = ("unbuilt Install events", "unbuilt Integrations", "unbuilt Sync history")

CODE = f"""
import json, sys, time
from pathlib import Path
from PySide6 import QtCore
from PySide6.QtCore import QObject, QEvent
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
from lr_desktop.gui.main_window import MainWindow

def present(w):
    names = {DEFERRED!r} + {UNBUILT!r}
    return [n for n in names if w.findChild(QWidget, n) is not None]

def loaded():
    return [m for m in {AFTER_PAINT!r} if m in sys.modules] + (
        ["Qt"] if "Qt" in vars(QtCore) else [])

at_paint = []
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if not at_paint and event.type() == QEvent.Type.Paint:
            at_paint.append((present(w), loaded()))
        return False

w = MainWindow(Path(sys.argv[1]))
probe = FirstPaint()
w.installEventFilter(probe)
w.show()
app.processEvents()
print(",".join(m for m in {LATE!r} if m in sys.modules) or "none")
deadline = time.monotonic() + 60
while w.findChild(QWidget, "firstRun") is None and time.monotonic() < deadline:
    app.processEvents()  # the background start: the database, the panel's parts, the checklist
    time.sleep(0.01)
print(json.dumps({{"at_paint": at_paint, "after": present(w)}}))
w.closing = True
w.close()
"""


def _run(tmp_path: Path) -> list[str]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    out = subprocess.run(
        [sys.executable, "-c", CODE, str(tmp_path / "queue.sqlite")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


def test_the_window_shows_before_the_network_code_loads(tmp_path: Path) -> None:
    lines = _run(tmp_path)
    assert lines[0] == "none"
    seen = json.loads(lines[1])
    # the first paint: nothing it does not show was built (the other sections are still
    # their placeholders), nor those modules imported
    assert seen["at_paint"] == [[list(UNBUILT), []]]
    # right after it, the sync panel's parts, the (empty database's) checklist and the
    # Overview's charts are there; the other sections wait for a visit
    assert seen["after"] == list(DEFERRED) + list(UNBUILT)
