"""`lr-desktop gui --demo --smoke-sync` (hidden; for the packaging check in CI): open the
window, press Sync with CleverTap once the window is painted, and quit when that sync has
finished, with exit code 0 only if it finished without an error.

`lr-desktop gui --smoke-paint` (hidden; bench/startup_frozen.py): print `SHOWN <epoch
seconds>` at the window's first paint and quit, so the frozen build's start-up is timed
the same way as the source run's.

It drives the real window exactly as a click would (the sync action, the isolated sync
child process, the demo's emulator), so a frozen build that lacks a module, a resource or
the `-m` child entry fails here.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer

if TYPE_CHECKING:
    from lr_desktop.gui.main_window import MainWindow


class SmokeSync(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.exit_code = 1  # until our sync has finished cleanly
        self._ours = False
        window.sync_panel.started.connect(self._started)
        window.sync_panel.finished.connect(self._finished)
        QTimer.singleShot(0, self._press)  # after show(): the event loop paints first

    def _press(self) -> None:
        self.window.sync_panel.start()  # refused while an automatic send runs: again after it

    def _started(self, operation: str) -> None:
        from lr_desktop.sync import Operation

        self._ours = self._ours or operation == str(Operation.FULL_SYNC)

    def _finished(self, result: object) -> None:
        from lr_desktop.sync import SyncSummary

        if not self._ours:
            QTimer.singleShot(0, self._press)
            return
        if isinstance(result, SyncSummary):
            print(
                f"smoke-sync: delivered {result.delivered}, rejected {result.rejected}, "
                f"failed {result.failed}",
                flush=True,
            )
            self.exit_code = 0 if not result.cancelled else 1
        else:
            print(f"smoke-sync: the sync failed: {result!r}", file=sys.stderr, flush=True)
        self.window.close_without_asking()


class SmokePaint(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.exit_code = 0
        self._done = False
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self._done and event.type() == QEvent.Type.Paint:
            self._done = True
            print(f"SHOWN {time.time():.6f}", flush=True)
            QTimer.singleShot(0, self.window.close_without_asking)
        return False
