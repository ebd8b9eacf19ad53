"""Start-up probe, run as a child: prints `SHOWN <epoch seconds>` when the first top-level
window is painted, then quits the application.

    python -m bench.startup_probe baseline        # import PySide6.QtWidgets + empty QMainWindow
    python -m bench.startup_probe app [ARGS...]    # what `lr-desktop ARGS` runs

For both, `QWidget.show` is wrapped: a window being shown gets an event filter that
watches for its first paint; nothing else of the app changes. The parent compares the
printed time with the time it started the process (same clock: time.time()).

It used to be an application-wide event filter on a QApplication subclass. That filter
receives every event of every object, so PySide6 wraps each one in Python, and the first
object of a type it does not export (the sidebar's QGestureManager, a rich-text label's
text control) makes it create every lazily-loaded class of QtCore, QtGui and QtWidgets
while it looks for one: ~60-120 ms the app never pays without the probe, and the
empty QMainWindow of the baseline never triggered.
"""

from __future__ import annotations

import sys
import time


def _install() -> None:
    from PySide6 import QtCore, QtWidgets

    class Probe(QtCore.QObject):
        done = False

        def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
            if (
                not Probe.done
                and event.type() == QtCore.QEvent.Type.Paint
                and isinstance(obj, QtWidgets.QWidget)
                and obj.isWindow()
            ):
                Probe.done = True
                print(f"SHOWN {time.time():.6f} {type(obj).__name__}", flush=True)
                QtCore.QTimer.singleShot(0, _quit)
            return False

    def _quit() -> None:
        app = QtWidgets.QApplication.instance()
        for w in QtWidgets.QApplication.topLevelWidgets():
            if hasattr(w, "closing"):
                w.closing = True  # the app's window: no "sync running" question
            w.close()
        if app is not None:
            app.quit()

    probe = Probe()
    show = QtWidgets.QWidget.show

    def show_and_watch(self: QtWidgets.QWidget) -> None:
        if self.isWindow():
            self.installEventFilter(probe)
        show(self)

    QtWidgets.QWidget.show = show_and_watch  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "baseline"
    _install()
    if mode == "baseline":
        from PySide6.QtWidgets import QApplication, QMainWindow

        app = QApplication(sys.argv[:1])
        win = QMainWindow()
        win.show()
        return int(app.exec())
    from lr_desktop.cli.main import main as lr_main

    return int(lr_main(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
