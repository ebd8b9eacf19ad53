"""The window paints without loading the HTTP client, the verify engine or filelock:
together they were ~300 ms of start-up (bench/startup.py measures the whole)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LATE = ("httpx", "filelock", "lr_desktop.verify.run", "lr_desktop.sync.engine", "keyring")

CODE = f"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from lr_desktop.gui.main_window import MainWindow
w = MainWindow(Path(sys.argv[1]))
w.show()
app.processEvents()
print(",".join(m for m in {LATE!r} if m in sys.modules) or "none")
w.closing = True
w.close()
"""


def test_the_window_shows_before_the_network_code_loads(tmp_path: Path) -> None:
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
    assert out.stdout.strip().splitlines()[-1] == "none"
